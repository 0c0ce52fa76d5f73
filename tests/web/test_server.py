"""The built-in HTTPS server: real TLS, real client certificates, the application decides."""

from __future__ import annotations

import http.client
import ssl

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from registry import create_app
from registry.auth.models import VisitJournalEntry
from registry.extensions import db
from registry.web.server import make_server, start

from ..conftest import app_config


@pytest.fixture(scope="session")
def https_server(demo_pki, tmp_path_factory):
    """The built-in server on a free port, in a thread, over a migrated SQLite database."""
    tmp = tmp_path_factory.mktemp("https-server")
    app = create_app(app_config(f"sqlite:///{tmp / 'registry.db'}", demo_pki, tmp))
    with app.app_context():
        upgrade()
    server = make_server(app, "127.0.0.1", 0, str(demo_pki.server_cert_path),
                         str(demo_pki.server_key_path))
    thread = start(server)
    yield app, server.port
    server.shutdown()
    server.server_close()
    thread.join(5)


def tls_get(port, demo_pki, cert=None, path="/", headers=None, cookie=None):
    ctx = ssl.create_default_context(cafile=str(demo_pki.server_cert_path.parent / "ca.crt"))
    if cert is not None:
        ctx.load_cert_chain(str(cert.cert_path), str(cert.key_path))
    conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)
    try:
        hdrs = dict(headers or {})
        if cookie:
            hdrs["Cookie"] = cookie
        conn.request("GET", path, headers=hdrs)
        response = conn.getresponse()
        return response.status, response.read().decode(), response.getheader("Set-Cookie")
    finally:
        conn.close()


@pytest.mark.parametrize("alg", ["ecdsa", "rsa"])
def test_client_certificate_over_tls_signs_in(https_server, demo_pki, alg):
    _app, port = https_server
    status, page, cookie = tls_get(port, demo_pki, demo_pki.person("ip", alg))
    assert status == 200
    assert "Здравствуйте, Пётр Петрович!" in page
    assert "Secure" in cookie and "HttpOnly" in cookie
    # The signed-in session continues on the next connection with the same certificate.
    status, page, _ = tls_get(port, demo_pki, demo_pki.person("ip", alg), path="/profile",
                              cookie=cookie.split(";", 1)[0])
    assert status == 200 and "Мой профиль" in page


def test_no_certificate_is_a_page_not_a_tls_error(https_server, demo_pki):
    _app, port = https_server
    status, page, _ = tls_get(port, demo_pki, None)
    assert status == 403
    assert "Браузер не передал сертификат" in page


@pytest.mark.parametrize("kind, title", [
    ("untrusted", "цепочк"), ("expired", "Срок действия сертификата истёк"),
    ("wrong_purpose", "не предназначен")])
def test_refused_certificate_passes_tls_and_gets_the_page(https_server, demo_pki, kind, title):
    app, port = https_server
    cert = demo_pki.special(kind, "ecdsa")
    status, page, _ = tls_get(port, demo_pki, cert)
    assert status == 403
    assert title in page or title.capitalize() in page
    with app.app_context():
        entry = db.session.scalars(select(VisitJournalEntry).where(
            VisitJournalEntry.cert_serial == cert.certificate.serial)).first()
        assert entry is not None and entry.event == "refused"


def test_header_cannot_override_the_tls_certificate(https_server, demo_pki):
    from urllib.parse import quote
    _app, port = https_server
    forged = quote(demo_pki.person("head", "ecdsa").pem, safe="")
    status, page, _ = tls_get(port, demo_pki, demo_pki.person("employee1", "rsa"),
                              headers={"X-SSL-Client-Cert": forged})
    assert status == 200 and "Анна Сергеевна" in page
    status, page, _ = tls_get(port, demo_pki, None, headers={"X-SSL-Client-Cert": forged})
    assert status == 403 and "Иван" not in page
