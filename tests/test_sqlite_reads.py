"""SQLite (the demo database): GET requests read in deferred transactions (no wait for the
write lock); a unit of work that writes takes the write lock at BEGIN (core.uow.will_write), so
nothing is ever run again."""

from __future__ import annotations

import logging
import sqlite3

from flask_migrate import upgrade
from sqlalchemy import event, text

from registry import create_app
from registry.core.web import public
from registry.extensions import db

from .conftest import TEST_SECRET


def _app(tmp_path, demo_pki):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'reads.db'}",
                      "SECRET_KEY": TEST_SECRET, "REGISTRY_TRUST_STORE": str(demo_pki.trust_dir),
                      "REGISTRY_INSTANCE_PATH": str(tmp_path), "TESTING": True})
    with app.app_context():
        upgrade()
    with sqlite3.connect(tmp_path / "reads.db") as conn:
        conn.execute("CREATE TABLE other_writes (n INTEGER)")
    return app


def test_a_get_that_read_and_then_writes_takes_the_write_lock_first(tmp_path, demo_pki):
    from registry.core import uow

    app = _app(tmp_path, demo_pki)
    runs: list[str] = []
    begins: list[str] = []

    @public
    def touch():
        db.session.execute(text("SELECT count(*) FROM users")).scalar()  # a snapshot
        with sqlite3.connect(tmp_path / "reads.db") as other:  # another process writes
            other.execute("INSERT INTO other_writes VALUES (1)")
        runs.append("run")
        uow.will_write()
        db.session.execute(text("INSERT INTO other_writes VALUES (2)"))
        return "written"

    app.add_url_rule("/_touch", "touch", touch)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *args: begins.append(statement)
                     if statement.startswith("BEGIN") else None)
    response = app.test_client().get("/_touch", base_url="https://localhost")
    assert response.status_code == 200 and response.text == "written"
    assert runs == ["run"]
    assert begins == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]
    with sqlite3.connect(tmp_path / "reads.db") as conn:
        assert conn.execute("SELECT n FROM other_writes ORDER BY n").fetchall() == [(1,), (2,)]


def test_reads_begin_deferred_and_posts_immediate(tmp_path, demo_pki):
    app = _app(tmp_path, demo_pki)
    begins: list[str] = []

    @public
    def page():
        db.session.execute(text("SELECT 1")).scalar()
        return "ok"

    app.add_url_rule("/_page", "page", page, methods=["GET", "POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *args: begins.append(statement)
                     if statement.startswith("BEGIN") else None)
    client = app.test_client()
    assert client.get("/_page", base_url="https://localhost").status_code == 200
    assert client.post("/_page", base_url="https://localhost").status_code == 200
    assert begins == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]


def test_a_streamed_body_reads_without_the_write_lock(tmp_path, demo_pki):
    from flask import Response, stream_with_context
    app = _app(tmp_path, demo_pki)
    begins: list[str] = []

    @public
    def export():
        db.session.execute(text("SELECT 1")).scalar()

        def rows():
            db.session.commit()  # as after the request's own commit: a new transaction below
            for n in range(3):
                yield f"{db.session.execute(text('SELECT :n'), {'n': n}).scalar()}\n"
        return Response(stream_with_context(rows()), mimetype="text/csv")

    app.add_url_rule("/_export", "export", export)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *args: begins.append(statement)
                     if statement.startswith("BEGIN") else None)
    response = app.test_client().get("/_export", base_url="https://localhost", buffered=False)
    body = b"".join(response.response)
    response.close()
    assert body == b"0\n1\n2\n"
    assert begins and set(begins) == {"BEGIN DEFERRED"}, begins


def _cert_app(tmp_path, demo_pki):
    from .conftest import CertClient

    app = _app(tmp_path, demo_pki)
    app.config["REGISTRY_SITE_ORIGIN"] = "https://localhost"
    app.test_client_class = CertClient
    return app


def _begins(app) -> list[str]:
    begins: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *args: begins.append(statement)
                     if statement.startswith("BEGIN") else None)
    return begins


def test_a_page_view_that_writes_takes_the_write_lock_at_begin(tmp_path, demo_pki):
    """A sign-in and the session's last activity are written by GETs: their writing transaction
    begins IMMEDIATE (no snapshot to lose); other page views read in a DEFERRED one."""
    from datetime import timedelta

    from sqlalchemy import update

    from registry.auth import services
    from registry.auth.models import AuthSession
    from registry.extensions import utcnow

    app = _cert_app(tmp_path, demo_pki)
    begins = _begins(app)
    client = app.test_client()
    client.certificate = demo_pki.person("head", "ecdsa").pem
    assert client.get("/profile").status_code == 200  # signs in (no session to look up first)
    assert begins == ["BEGIN IMMEDIATE"], begins
    begins.clear()
    assert client.get("/profile").status_code == 200  # nothing to write
    assert begins == ["BEGIN DEFERRED"], begins
    with app.app_context():  # a minute later the session's last activity is due
        db.session.execute(update(AuthSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    services._TOUCHING.clear()
    begins.clear()
    assert client.get("/profile").status_code == 200  # the session read, then its activity written
    assert begins == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"], begins


def test_ten_clients_at_once_get_200_and_nothing_is_run_twice(tmp_path, demo_pki, monkeypatch):
    """The attack run's load: 10 clients signing in and viewing «Мой профиль» at once, each
    view writing the session's last activity. Every answer is 200 and no request had to be
    run again."""
    import threading

    from registry.auth import services

    app = _cert_app(tmp_path, demo_pki)
    monkeypatch.setattr(services, "SEEN_AT_RESOLUTION", 0)  # every view writes
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keep = Keep(logging.INFO)
    logging.getLogger("registry").addHandler(keep)
    statuses: list[int] = []
    people = ["head", "employee1", "ip"]

    def browse(n):
        client = app.test_client()
        client.certificate = demo_pki.person(people[n % len(people)], "ecdsa").pem
        for _ in range(8):
            statuses.append(client.get("/profile").status_code)

    threads = [threading.Thread(target=browse, args=(n,)) for n in range(10)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        logging.getLogger("registry").removeHandler(keep)
    assert statuses == [200] * 80, statuses
    messages = [r.getMessage() for r in records]
    assert not [m for m in messages if "lost its SQLite snapshot" in m or "Exception" in m], \
        messages
