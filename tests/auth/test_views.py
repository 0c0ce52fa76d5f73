"""Certificate sign-in through the application with real demo-PKI certificates."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select, update

from registry.auth.models import AuthSession, User, UserCertificate, VisitJournalEntry
from registry.extensions import db, utcnow
from registry.pki import reason_message, reason_title, validate
from registry.pki.reasons import ALL_CODES
from registry.pki.validation import ValidationResult
from registry.web.proxy import TrustedProxyMiddleware

from .. import factories
from .conftest import csrf_token

SESSION_SEEN_AT, SESSION_LOGIN_AT = "last_seen_at", "created_at"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


def signed_in_as(client, demo_cert) -> str:
    client.certificate = demo_cert.pem
    response = client.get("/", headers={"User-Agent": UA})
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize("alg", ["gost256", "ecdsa", "rsa"])
def test_first_visit_creates_the_account_and_greets_by_name(client, demo_pki, users, journal, alg):
    head = demo_pki.person("head", alg)
    page = signed_in_as(client, head)

    assert "Здравствуйте, Иван Иванович!" in page
    assert [(name, snils) for _id, name, snils in users()] == [
        ("Иванов Иван Иванович", head.certificate.snils)]
    [entry] = journal()
    assert entry["event"] == "sign_in" and entry["result"] == "ok"
    assert entry["cert_serial"] == head.certificate.serial
    assert entry["cert_issuer"] == head.certificate.issuer
    assert entry["user_agent"] == UA
    assert entry["key_kind"] == "snils"


def test_renewed_certificate_reaches_the_same_account(client, demo_pki, users, app):
    signed_in_as(client, demo_pki.person("head", "gost256"))
    client.certificate = demo_pki.person("head", "rsa").pem  # same СНИЛС, new certificate
    assert "Иван Иванович" in client.get("/", follow_redirects=True).text

    assert len(users()) == 1
    with app.app_context():
        stored = db.session.scalars(select(UserCertificate.serial)).all()
    assert sorted(stored) == sorted([demo_pki.person("head", "gost256").certificate.serial,
                                     demo_pki.person("head", "rsa").certificate.serial])
    profile = client.get("/profile").text
    for alg in ("gost256", "rsa"):
        assert demo_pki.person("head", alg).certificate.serial in profile


def test_certificate_without_snils_or_inn_is_its_own_account(client, issue_certificate, users):
    anonymous = issue_certificate([("C", "RU"), ("CN", "Гостев Гость Гостевич"),
                                   ("SN", "Гостев"), ("G", "Гость Гостевич")])
    signed_in_as(client, anonymous)
    client.get("/")
    [(_id, name, snils)] = users()
    assert (name, snils) == ("Гостев Гость Гостевич", None)


def test_no_certificate_explains_what_to_check(client, journal):
    response = client.get("/")
    assert response.status_code == 403
    page = response.text
    for hint in ("Токен", "КриптоПро CSP", "корневые сертификаты", "ГОСТ TLS"):
        assert hint in page
    assert journal() == []


def _expected(demo_pki, cert):
    from registry.pki import TrustStore
    return validate(cert, trust_store=TrustStore.from_paths(demo_pki.trust_dir), purpose="login")


REFUSALS = {
    "expired": lambda pki: pki.special("expired", "ecdsa").pem,
    "revoked": lambda pki: pki.person("employee2", "ecdsa").pem,
    "untrusted": lambda pki: pki.special("untrusted", "rsa").pem,
    "wrong_purpose": lambda pki: pki.special("wrong_purpose", "ecdsa").pem,
    "malformed": lambda pki: "-----BEGIN CERTIFICATE-----\nMIIBhjCCASugAwIBAgIUeA==\n-----END CERTIFICATE-----\n",
}
EXPECTED_CODES = {"expired": {"expired"}, "revoked": {"revoked"},
                  "untrusted": {"untrusted_root", "incomplete_chain"},
                  "wrong_purpose": {"wrong_purpose"}, "malformed": {"malformed"}}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_refused_certificate_gets_a_page_and_a_journal_entry(client, demo_pki, journal, kind):
    raw = REFUSALS[kind](demo_pki)
    expected = _expected(demo_pki, raw)
    assert expected.code in EXPECTED_CODES[kind]

    client.certificate = raw
    response = client.get("/", headers={"User-Agent": UA})
    assert response.status_code == 403
    page = response.text
    assert expected.title in page
    assert _html(expected.message) in page
    assert "Закройте все окна браузера" in page
    assert "Здравствуйте" not in page

    [entry] = journal()
    assert entry["event"] == "refused" and entry["result"] == expected.code
    assert entry["message"] == expected.message
    assert entry["user_agent"] == UA
    if expected.certificate is not None:
        assert entry["cert_serial"] == expected.certificate.serial

    client.get("/profile")  # the same browser again: the refusal is journaled once
    assert len(journal()) == 1


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&#34;").replace("'", "&#39;")


def test_refusal_joins_the_journal_of_the_existing_account(client, demo_pki, app):
    revoked = demo_pki.person("employee2", "ecdsa").certificate
    with app.app_context():
        user_id = factories.make_user(snils=revoked.snils, full_name="Кузнецов Олег").id
        db.session.commit()
    client.certificate = revoked.pem
    assert client.get("/").status_code == 403
    with app.app_context():
        entry = db.session.scalars(select(VisitJournalEntry)).one()
        assert (entry.user_id, entry.result) == (user_id, "revoked")


def test_earlier_refusals_appear_once_the_account_exists(client, demo_pki, app):
    # The expired certificate is Анна Сергеевна's old one (same СНИЛС); she has no account yet.
    client.certificate = demo_pki.special("expired", "ecdsa").pem
    assert client.get("/").status_code == 403
    signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    with app.app_context():
        entries = db.session.scalars(select(VisitJournalEntry).order_by(VisitJournalEntry.id)).all()
        assert [e.event for e in entries] == ["refused", "sign_in"]
        assert entries[0].user_id == entries[1].user_id is not None
    page = client.get("/journal").text
    assert "Отказ: Срок действия сертификата истёк" in page
    assert "Вход выполнен" in page


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_reason_code_has_a_page(client, app, demo_pki, monkeypatch, code):
    cert = demo_pki.person("employee1", "ecdsa").certificate
    result = ValidationResult(False, code, reason_message(code, date=cert.not_after,
                                                          issuer=cert.issuer), [], cert, {})
    checker = app.extensions["registry.auth.checker"]
    monkeypatch.setattr(checker, "check", lambda raw: result)
    client.certificate = cert.pem
    response = client.get("/")
    assert response.status_code == 403
    assert reason_title(code) in response.text
    assert _html(result.message) in response.text
    journal_page_label = "Отказ: " + reason_title(code)
    with app.app_context():
        entry = db.session.scalars(select(VisitJournalEntry)).one()
        from registry.auth.views import journal_result
        assert journal_result(entry) == journal_page_label


def test_another_certificate_ends_the_session(client, demo_pki, journal):
    signed_in_as(client, demo_pki.person("head", "ecdsa"))
    client.certificate = demo_pki.person("employee1", "ecdsa").pem
    page = client.get("/").text
    assert "Здравствуйте, Анна Сергеевна!" in page
    assert "предыдущий сеанс завершён" in page
    events = [(e["event"], e["result"], e["cert_serial"]) for e in journal()]
    head, anna = (demo_pki.person(p, "ecdsa").certificate.serial for p in ("head", "employee1"))
    assert events == [("sign_in", "ok", head), ("sign_out", "changed", head),
                      ("sign_in", "ok", anna)]


def test_refused_certificate_ends_an_open_session(client, demo_pki, journal):
    signed_in_as(client, demo_pki.person("head", "ecdsa"))
    client.certificate = demo_pki.special("expired", "ecdsa").pem
    refused = client.get("/")
    assert refused.status_code == 403
    # The person's own certificate is the problem: the page says how to choose another.
    assert "Как войти с другим сертификатом" in refused.text
    assert "Ваш сертификат здесь ни при чём" not in refused.text
    client.certificate = demo_pki.person("head", "ecdsa").pem
    client.get("/")
    events = [(e["event"], e["result"]) for e in journal()]
    assert events == [("sign_in", "ok"), ("sign_out", "changed"), ("refused", "expired"),
                      ("sign_in", "ok")]


def _age_session(app, **seconds_ago):
    """Move the open server-side sessions' times back (``last_seen_at``/``created_at``)."""
    with app.app_context():
        values = {key: utcnow() - timedelta(seconds=ago) for key, ago in seconds_ago.items()}
        db.session.execute(update(AuthSession).where(AuthSession.ended_at.is_(None))
                           .values(**values))
        db.session.commit()


@pytest.mark.parametrize("key, ago, reason, text", [
    (SESSION_SEEN_AT, 31 * 60, "idle", "вы не работали в реестре 30 мин"),
    (SESSION_LOGIN_AT, 12 * 3600 + 60, "lifetime", "истёк максимальный срок сеанса (12 ч)"),
])
def test_session_times_out(client, app, demo_pki, journal, key, ago, reason, text):
    signed_in_as(client, demo_pki.person("head", "ecdsa"))
    _age_session(app, **{key: ago})

    response = client.get("/profile")
    assert response.status_code == 302 and response.location.endswith("/session-ended")
    page = client.get("/session-ended").text
    assert text in page
    assert ("sign_out", reason) in [(e["event"], e["result"]) for e in journal()]
    # Still no automatic sign-in; «Войти» starts a new session.
    assert client.get("/").status_code == 302
    response = client.post("/login", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert "Здравствуйте" in client.get("/").text


def test_recent_activity_keeps_the_session(client, app, demo_pki, journal):
    signed_in_as(client, demo_pki.person("head", "ecdsa"))
    _age_session(app, **{SESSION_SEEN_AT: 29 * 60})
    assert client.get("/profile").status_code == 200
    assert [e["event"] for e in journal()] == ["sign_in"]


def test_sign_out_explains_the_browser_keeps_the_certificate(client, demo_pki, journal):
    page = signed_in_as(client, demo_pki.person("head", "ecdsa"))
    response = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    page = client.get("/session-ended").text
    assert "Вы вышли из реестра." in page
    assert "Браузер запоминает выбранный сертификат" in page and "Войти снова" in page
    assert [e["result"] for e in journal()][-1] == "sign_out"
    # Opening the site again does not sign straight back in.
    assert client.get("/").location.endswith("/session-ended")


def test_sign_in_again_after_sign_out_opens_a_new_session(client, demo_pki, journal):
    page = signed_in_as(client, demo_pki.person("head", "ecdsa"))
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    page = client.get("/session-ended").text
    head = demo_pki.person("head", "ecdsa").certificate
    assert "Войти снова" in page and head.serial in page and "Как войти с другим сертификатом" in page
    # An address typed by hand and a page kept from before lead back here, not to an error.
    assert client.get("/login").location.endswith("/session-ended")
    response = client.post("/login", data={"csrf_token": "stale"})
    assert response.status_code == 302 and response.location.endswith("/session-ended")
    assert "Страница входа устарела" in client.get("/session-ended").text
    assert client.get("/").location.endswith("/session-ended")  # still signed out
    page = client.get("/session-ended").text
    response = client.post("/login", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert "Здравствуйте" in client.get("/").text
    assert [e["result"] for e in journal() if e["event"] != "refused"] == ["ok", "sign_out", "ok"]
    with client.application.app_context():
        sessions = db.session.scalars(select(AuthSession).order_by(AuthSession.id)).all()
        assert len(sessions) == 2 and sessions[0].ended_at is not None and sessions[1].ended_at is None


def test_sign_out_requires_the_csrf_token(client, demo_pki, journal):
    signed_in_as(client, demo_pki.person("head", "ecdsa"))
    response = client.post("/logout")
    assert response.status_code == 400
    assert "Форма устарела" in response.text
    assert [e["event"] for e in journal()] == ["sign_in"]


def test_profile_shows_the_certificate_and_days_left(client, demo_pki):
    head = demo_pki.person("head", "ecdsa").certificate
    signed_in_as(client, demo_pki.person("head", "ecdsa"))
    page = client.get("/profile").text
    assert "Мой профиль" in page
    assert f"До окончания срока действия: {head.days_left()}" in page
    assert head.serial in page
    assert "112-233-445" in page  # СНИЛС, formatted
    assert "ООО «РОМАШКА»" in page or "ООО &#171;РОМАШКА&#187;" in page


def test_profile_warns_when_the_certificate_expires_soon(client, issue_certificate):
    soon = issue_certificate([("C", "RU"), ("CN", "Скоро Истекает"), ("SN", "Скоро"),
                              ("G", "Истекает Сертификатович")], days=10)
    signed_in_as(client, soon)
    for path in ("/", "/profile"):
        page = client.get(path).text
        assert "Срок действия сертификата истекает через" in page
        assert "role=\"alert\"" in page


def test_profile_saves_valid_values(client, demo_pki, app):
    page = signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    response = client.post("/profile", data={
        "csrf_token": csrf_token(page), "email": " anna@example.ru ", "phone": "8 (495) 123-45-67",
        "position": "Бухгалтер", "department": ""})
    assert response.status_code == 302
    assert "Профиль сохранён." in client.get("/profile").text
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert (user.email, user.phone, user.position, user.department) == (
            "anna@example.ru", "+74951234567", "Бухгалтер", None)


def test_profile_rejects_bad_values_and_keeps_the_input(client, demo_pki, app):
    page = signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    response = client.post("/profile", data={
        "csrf_token": csrf_token(page), "email": "not-an-email", "phone": "call me",
        "position": "Д" * 201, "department": "Отдел кадров"})
    assert response.status_code == 200
    page = response.text
    assert "Адрес электронной почты указан неверно" in page
    assert "Укажите телефон цифрами" in page
    assert "Не более 200 символов" in page
    assert 'value="Отдел кадров"' in page and 'value="not-an-email"' in page
    assert 'aria-invalid="true"' in page
    with app.app_context():
        assert db.session.scalars(select(User.department)).one() is None


def test_journal_lists_own_sign_ins_and_refusals_only(client, demo_pki, app):
    employee = demo_pki.person("employee1", "ecdsa").certificate
    with app.app_context():
        other = factories.make_user()
        factories.make_journal_entry(other, cert_serial="DEADBEEF")
        db.session.commit()
    signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    page = client.get("/journal").text
    assert "Журнал посещений" in page
    assert employee.serial in page
    assert "Chrome 124" in page
    assert "Вход выполнен" in page
    assert "DEADBEEF" not in page


# --- the certificate from a reverse proxy -------------------------------------------------

def nginx_escaped(pem: str) -> str:
    return quote(pem, safe="")


PROXY_SECRET = "proxy-secret-for-tests"


@pytest.fixture
def sealed_proxy(app, monkeypatch):
    """The app's proxy middleware with the unix channel and a TCP proxy secret turned on."""
    layer = app.wsgi_app
    while not isinstance(layer, TrustedProxyMiddleware):
        layer = layer.app
    monkeypatch.setattr(layer, "unix", True)
    monkeypatch.setattr(layer, "secret", PROXY_SECRET.encode())
    return layer


@pytest.mark.parametrize("channel", [
    {"environ_base": {"REMOTE_ADDR": "", "REMOTE_PORT": ""}},
    {"environ_base": {"REMOTE_ADDR": "10.0.0.1"},
     "headers": {"X-Registry-Proxy-Secret": PROXY_SECRET}},
], ids=["unix-socket", "tcp-with-secret"])
def test_header_from_the_sealed_channel_signs_in(client, demo_pki, journal, sealed_proxy,
                                                 channel):
    pem = demo_pki.person("head", "ecdsa").pem
    client.certificate = None
    headers = {"X-SSL-Client-Cert": nginx_escaped(pem), "X-Forwarded-For": "198.51.100.7",
               "X-Forwarded-Proto": "https", **channel.get("headers", {})}
    response = client.get("/", headers=headers, environ_base=channel["environ_base"])
    assert response.status_code == 200
    assert "Здравствуйте, Иван Иванович!" in response.text
    assert journal()[0]["remote_addr"] == "198.51.100.7"


@pytest.mark.parametrize("environ, extra, why", [
    ({"REMOTE_ADDR": "192.0.2.99"}, {"X-Registry-Proxy-Secret": PROXY_SECRET},
     "from 192.0.2.99: not a trusted channel"),
    ({"REMOTE_ADDR": "10.0.0.1"}, {}, "from 10.0.0.1: no valid X-Registry-Proxy-Secret"),
    ({"REMOTE_ADDR": "10.0.0.1"}, {"X-Registry-Proxy-Secret": "guess"},
     "from 10.0.0.1: no valid X-Registry-Proxy-Secret"),
], ids=["other-address", "trusted-address-without-secret", "wrong-secret"])
def test_header_from_anyone_else_is_ignored_and_logged(client, demo_pki, journal, caplog,
                                                       sealed_proxy, environ, extra, why):
    pem = demo_pki.person("head", "ecdsa").pem
    client.certificate = None
    with caplog.at_level("WARNING", logger="registry.proxy"):
        response = client.get("/", headers={"X-SSL-Client-Cert": nginx_escaped(pem),
                                            "X-Forwarded-For": "10.0.0.1", **extra},
                              environ_base=environ)
    assert response.status_code == 403
    assert "Браузер не передал сертификат" in response.text
    assert f"ignored X-SSL-Client-Cert {why}" in caplog.text
    assert journal() == []


def test_unix_socket_is_not_trusted_unless_configured(client, demo_pki, journal, caplog):
    # The test app trusts the address 10.0.0.1 only (and has no secret): a unix-socket request
    # is not believed either.
    client.certificate = None
    with caplog.at_level("WARNING", logger="registry.proxy"):
        response = client.get("/", headers={
            "X-SSL-Client-Cert": nginx_escaped(demo_pki.person("head", "ecdsa").pem)},
            environ_base={"REMOTE_ADDR": "", "REMOTE_PORT": ""})
    assert response.status_code == 403
    assert "ignored X-SSL-Client-Cert from the unix socket" in caplog.text
    assert journal() == []


def test_header_cannot_replace_the_certificate_of_a_direct_tls_connection(client, demo_pki):
    client.certificate = demo_pki.person("employee1", "ecdsa").pem
    response = client.get("/", headers={
        "X-SSL-Client-Cert": nginx_escaped(demo_pki.person("head", "ecdsa").pem)},
        environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert "Анна Сергеевна" in response.text
