"""The unit of work: a request commits once at its end, or rolls back; so does a CLI command."""

from __future__ import annotations

import click
import pytest
from flask import abort
from flask.cli import with_appcontext
from sqlalchemy import insert, select

from registry import create_app
from registry.auth.models import User, VisitJournalEntry
from registry.core import uow
from registry.core.web import public
from registry.extensions import db
from registry.refdata.models import OkvedCode

from ..conftest import app_config
from ..helpers import statements


def _add(code: str) -> None:
    db.session.add(OkvedCode(code=code, name=code, section="Z", search_text=code))
    db.session.flush()


@pytest.fixture(scope="module")
def uow_app(database_url, demo_pki, tmp_path_factory, app):
    """The application with a few routes that write and then answer in different ways
    (the database is the one ``app`` has migrated)."""
    application = create_app(app_config(database_url, demo_pki, tmp_path_factory.mktemp("uow")))
    events: list[str] = []
    application.extensions["test.events"] = events

    @application.route("/t/ok")
    @public
    def ok():
        _add("ZZ.01")
        uow.on_commit(lambda: events.append("committed"))
        uow.on_rollback(lambda: events.append("rolled back"))
        return "ok"

    @application.route("/t/redirect")
    @public
    def redirected():
        _add("ZZ.02")
        return "", 302, {"Location": "/t/ok"}

    @application.route("/t/refused")
    @public
    def refused():
        _add("ZZ.03")
        uow.on_rollback(lambda: events.append("rolled back"))
        return "no", 422

    @application.route("/t/abort")
    @public
    def aborted():
        _add("ZZ.04")
        abort(404)

    @application.route("/t/kept")
    @public
    def kept():
        _add("ZZ.05")
        uow.on_commit(lambda: events.append("kept committed"))
        uow.keep()
        _add("ZZ.06")
        uow.on_commit(lambda: events.append("late committed"))
        uow.on_rollback(lambda: events.append("late rolled back"))
        return "kept", 409

    @application.route("/t/kept-then-fail")
    @public
    def kept_then_fail():
        _add("ZZ.07")
        uow.keep()
        raise RuntimeError("boom")

    @application.route("/t/nested")
    @public
    def nested():
        try:
            with db.session.begin_nested():
                _add("ZZ.08")
                raise ValueError("refused by a service")
        except ValueError:
            pass
        _add("ZZ.09")
        return "ok"

    @application.route("/t/nothing")
    @public
    def nothing():
        uow.on_commit(lambda: events.append("nothing committed"))
        return "nothing"

    @application.route("/t/flushed-only")
    @public
    def flushed_only():
        # the session has nothing pending once it flushed: the flushed row is committed still
        db.session.execute(insert(OkvedCode).values(code="ZZ.11", name="x", section="Z", search_text="x"))
        assert not (db.session.new or db.session.dirty)
        return "ok"

    @application.route("/t/stream")
    @public
    def streamed():
        _add("ZZ.10")

        def body():
            yield "a"
            yield "b"
        return application.response_class(body())

    return application


@pytest.fixture
def http(uow_app, db_session):
    uow_app.extensions["test.events"].clear()
    return uow_app.test_client()


def _codes(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(OkvedCode.code).where(OkvedCode.code.like("ZZ.%"))))


def test_success_and_redirect_commit(uow_app, http):
    assert http.get("/t/ok").status_code == 200
    assert http.get("/t/redirect").status_code == 302
    assert _codes(uow_app) == {"ZZ.01", "ZZ.02"}
    assert uow_app.extensions["test.events"] == ["committed"]


def test_a_request_that_used_no_database_commits_nothing_and_runs_its_callbacks(uow_app, http):
    with statements(uow_app) as seen:
        assert http.get("/t/nothing").status_code == 200
    assert [s for s, _ in seen if "ZZ" not in s] == []  # not even a BEGIN or COMMIT
    assert uow_app.extensions["test.events"] == ["nothing committed"]
    assert http.get("/t/flushed-only").status_code == 200
    assert _codes(uow_app) == {"ZZ.11"}


def test_error_answers_roll_back(uow_app, http):
    assert http.get("/t/refused").status_code == 422
    assert http.get("/t/abort").status_code == 404
    assert _codes(uow_app) == set()
    assert uow_app.extensions["test.events"] == ["rolled back"]


def test_keep_survives_a_4xx_but_not_what_follows(uow_app, http):
    assert http.get("/t/kept").status_code == 409
    assert _codes(uow_app) == {"ZZ.05"}
    assert uow_app.extensions["test.events"] == ["late rolled back", "kept committed"]


def test_an_exception_undoes_even_kept_writes(uow_app, http):
    uow_app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert http.get("/t/kept-then-fail").status_code == 500
    finally:
        uow_app.config["PROPAGATE_EXCEPTIONS"] = None
    assert _codes(uow_app) == set()


def test_an_exception_propagated_in_testing_rolls_back(uow_app, http):
    with pytest.raises(RuntimeError):
        http.get("/t/kept-then-fail")
    assert _codes(uow_app) == set()


def test_a_failed_attempt_in_a_savepoint_leaves_the_rest(uow_app, http):
    assert http.get("/t/nested").status_code == 200
    assert _codes(uow_app) == {"ZZ.09"}


def test_a_streamed_body_is_sent_after_the_commit(uow_app, http):
    response = http.get("/t/stream")
    assert response.get_data(as_text=True) == "ab"
    assert _codes(uow_app) == {"ZZ.10"}


def test_sign_in_is_kept_when_the_first_page_is_an_error(app, client, demo_pki):
    """The sign-in hook's writes ride in the request's transaction and survive its 404."""
    client.certificate = demo_pki.person("employee1", "ecdsa").pem
    assert client.get("/organizations/2000000000").status_code == 404
    with app.app_context():
        user = db.session.scalar(select(User).where(User.snils.is_not(None)))
        assert user is not None
        events = list(db.session.scalars(select(VisitJournalEntry.event)
                                         .where(VisitJournalEntry.user_id == user.id)))
    assert events == [VisitJournalEntry.EVENT_SIGN_IN]
    assert client.get("/profile").status_code == 200  # the session found its account


@pytest.fixture
def command_app(uow_app, db_session):
    @click.command("ok")
    @click.option("--fail", default="")
    @with_appcontext
    @uow.command_transaction
    def command(fail: str) -> None:
        _add("ZZ.20")
        if fail == "click":
            raise click.ClickException("refused")
        if fail == "exit1":
            raise SystemExit(1)
        if fail == "exit0":
            raise SystemExit(0)

    return uow_app, command


@pytest.mark.parametrize("fail, kept", [("", True), ("exit0", True), ("click", False),
                                        ("exit1", False)])
def test_a_command_commits_when_it_returns(command_app, fail, kept):
    application, command = command_app
    runner = application.test_cli_runner()
    runner.invoke(command, ["--fail", fail] if fail else [])
    assert _codes(application) == ({"ZZ.20"} if kept else set())
