"""Sessions live on the server: an old cookie opens nothing once its session has ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from registry import create_app
from registry.auth import services
from registry.auth.models import AuthSession, User, UserCertificate
from registry.extensions import db, utcnow

from ..conftest import CertClient, app_config
from .conftest import csrf_token

COOKIE = "registry_session"


def signed_in_as(client, demo_cert) -> str:
    client.certificate = demo_cert.pem
    response = client.get("/")
    assert response.status_code == 200, response.text
    return response.text


def cookie(client) -> str:
    value = client.get_cookie(COOKIE)
    assert value is not None
    return value.value


def replay(client, value: str, certificate: str | None):
    """A browser (or a thief) sending a kept cookie, with or without a client certificate."""
    client.set_cookie(COOKIE, value, domain="localhost")
    client.certificate = certificate
    return client.get("/profile")


def sessions(app):
    with app.app_context():
        return [(s.method, s.end_reason) for s in
                db.session.scalars(select(AuthSession).order_by(AuthSession.id))]


def signature_session(app, client, demo_cert) -> str:
    """A session opened without a client certificate (as sign-in by signature opens one)."""
    signed_in_as(client, demo_cert)  # creates the account and stores the certificate
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        user_id = user.id
        token = services.open_session(user, demo_cert.certificate.fingerprint,
                                      AuthSession.METHOD_SIGNATURE)
        db.session.commit()
    with client.session_transaction() as data:
        data.clear()
        data["_user_id"] = str(user_id)
        data["_fresh"] = True
        data["sid"] = token
        data["cert_fp"] = demo_cert.certificate.fingerprint
    client.certificate = None
    assert "Мой профиль" in client.get("/profile").text
    return cookie(client)


def test_a_cookie_kept_from_before_sign_out_is_refused(client, app, demo_pki):
    head = demo_pki.person("head", "ecdsa")
    page = signed_in_as(client, head)
    kept = cookie(client)
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302
    assert sessions(app) == [("tls", "sign_out")]

    response = replay(client, kept, head.pem)
    assert response.status_code == 302 and response.location.endswith("/session-ended")
    assert "Вы вышли из реестра." in client.get("/session-ended").text
    response = replay(client, kept, None)
    assert response.status_code == 403 and "Мой профиль" not in response.text


def test_a_signature_session_cookie_after_sign_out_opens_nothing(client, app, demo_pki):
    head = demo_pki.person("head", "ecdsa")
    kept = signature_session(app, client, head)
    page = client.get("/").text
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302

    response = replay(client, kept, None)
    assert response.status_code == 403
    assert "Браузер не передал сертификат" in response.text
    assert sessions(app)[-1] == ("signature", "sign_out")


def test_a_cookie_of_an_idle_session_is_refused(client, app, demo_pki):
    kept = signature_session(app, client, demo_pki.person("head", "ecdsa"))
    with app.app_context():
        db.session.execute(
            update(AuthSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
        db.session.commit()
    response = client.get("/profile")
    assert response.status_code == 302 and response.location.endswith("/session-ended")
    assert "вы не работали в реестре 30 мин" in client.get("/session-ended").text
    assert sessions(app)[-1] == ("signature", "idle")
    # Refreshing the server-side record would not help the kept cookie either.
    with app.app_context():
        db.session.execute(update(AuthSession).values(last_seen_at=utcnow()))
        db.session.commit()
    response = replay(client, kept, None)
    assert response.status_code in (302, 403)
    assert "Иван Иванович" not in client.get("/profile", follow_redirects=True).text


def test_idle_timeout_is_configurable(client, app, demo_pki):
    signature_session(app, client, demo_pki.person("head", "ecdsa"))
    with app.app_context():
        db.session.execute(update(AuthSession).values(last_seen_at=utcnow() - timedelta(minutes=6)))
        db.session.commit()
    app.config["REGISTRY_SESSION_IDLE_MINUTES"] = 5
    try:
        response = client.get("/profile")
    finally:
        app.config["REGISTRY_SESSION_IDLE_MINUTES"] = 30
    assert response.status_code == 302
    assert sessions(app)[-1] == ("signature", "idle")


def test_a_cookie_from_before_a_certificate_change_is_refused(client, app, demo_pki):
    head, anna = demo_pki.person("head", "ecdsa"), demo_pki.person("employee1", "ecdsa")
    kept = signature_session(app, client, head)
    client.certificate = anna.pem
    assert "Анна Сергеевна" in client.get("/", follow_redirects=True).text
    assert ("signature", "changed") in sessions(app)

    response = replay(client, kept, None)
    assert response.status_code == 403 and "Иван Иванович" not in response.text
    # With the other certificate the old cookie is not head's session either.
    response = replay(client, kept, anna.pem)
    assert "Иван Иванович" not in client.get("/profile").text


def test_a_blocked_person_loses_open_sessions(client, app, demo_pki):
    kept = signature_session(app, client, demo_pki.person("head", "ecdsa"))
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        user.blocked_reason = "проверка"
        services.end_user_sessions(user.id, "blocked")
        db.session.commit()
    response = replay(client, kept, None)
    assert response.status_code in (302, 403)
    assert "Иван Иванович" not in client.get("/profile", follow_redirects=True).text


@pytest.fixture(scope="module")
def bare_page_app(database_url, demo_pki, tmp_path_factory, app):
    """The application with a signed-in page that reads nothing and shows no header."""
    application = create_app(app_config(database_url, demo_pki, tmp_path_factory.mktemp("bare")))
    application.add_url_rule("/t/plain", "plain", lambda: "plain")
    application.test_client_class = CertClient
    return application


@pytest.mark.parametrize("change", ["blocked", "certificate"])
def test_every_page_checks_the_account_of_an_open_session(bare_page_app, db_session, demo_pki, change):
    """Even a page that reads nothing but the session ends a session whose account was blocked
    or no longer holds the session's certificate, when nothing else ended it."""
    app = bare_page_app
    client = app.test_client()
    client.certificate = demo_pki.person("head", "ecdsa").pem
    assert client.get("/t/plain").text == "plain"
    assert client.get("/t/plain").text == "plain"  # an open session now
    with app.app_context():
        if change == "blocked":
            db.session.execute(update(User).values(blocked_reason="проверка"))
        else:  # the certificate now belongs to another account
            other = User(full_name="Другой Человек", created_at=utcnow())
            db.session.add(other)
            db.session.flush()
            db.session.execute(update(UserCertificate).values(user_id=other.id))
        db.session.commit()
    response = client.get("/t/plain")
    assert response.status_code == 302 and response.text != "plain"
    with client.session_transaction() as data:
        assert "sid" not in data  # the browser's session is gone


def test_session_cookie_holds_no_timestamps(client, demo_pki):
    signed_in_as(client, demo_pki.person("head", "ecdsa"))
    with client.session_transaction() as data:
        assert set(data) <= {"_user_id", "_fresh", "_id", "sid", "cert_fp", "csrf_token",
                             "_flashes"}


def test_one_of_a_sessions_parallel_requests_rewrites_its_last_activity():
    """The others would only queue for the write lock to write the same minute again."""
    first, second = 10**9 + 1, 10**9 + 2  # ids no test session has
    assert services.claim_touch(first)
    assert not services.claim_touch(first)
    assert services.claim_touch(second)
