"""GOST TLS and every certificate problem through the shipped nginx configuration.

nginx runs with the GOST engine loaded through deploy/nginx/openssl-gost.cnf; the GOST client
is `openssl s_client -engine gost` with GOST R 34.10-2012 (256 and 512) certificates over the
TLS 1.2 GOST suites. Certificates nginx itself rejects (expired, not yet valid) must still reach
the application and be explained.
"""

from __future__ import annotations

import html
import http.client
import os
import re
import ssl
import subprocess
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from asn1crypto import pem

from registry.extensions import utcnow
from registry.pki import load_certificate, reason_title
from registry.pki.builder import build_certificate, generate_key, load_key
from registry.pki.demo_pki import CRL_URL, DemoCert, person_subject

from ..auth.test_signature import cms_sign
from ..browser import open_page
from ..helpers import ARTIFACTS
from .test_nginx import OPENSSL_GOST_CONF, https_get, journal

GOST_SUITES = ("GOST2012-KUZNYECHIK-KUZNYECHIKOMAC", "GOST2012-MAGMA-MAGMAOMAC")


def openssl_get(port, cert=None, *, cipher=GOST_SUITES[0], path="/", engine=True):
    """One HTTPS request through `openssl s_client` (TLS 1.2); returns (status, body, info)."""
    args = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
            "-tls1_2", "-cipher", cipher, "-quiet", "-ign_eof"]
    if engine:
        args[2:2] = ["-engine", "gost"]
    if cert is not None:
        args += ["-cert", str(cert.cert_path), "-key", str(cert.key_path)]
    request = f"GET {path} HTTP/1.0\r\nHost: localhost\r\nUser-Agent: gost-test\r\n\r\n"
    env = dict(os.environ, OPENSSL_CONF=str(OPENSSL_GOST_CONF))
    out = subprocess.run(args, input=request.encode(), capture_output=True, timeout=60, env=env)
    text = out.stdout.decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    status = int(head.split(" ", 2)[1]) if head.startswith("HTTP/") else None
    return status, body, out.stderr.decode("utf-8", "replace")


def negotiated(port, cert, cipher):
    """The cipher nginx agreed on and the server certificate's key algorithm."""
    args = ["openssl", "s_client", "-engine", "gost", "-connect", f"127.0.0.1:{port}",
            "-servername", "localhost", "-tls1_2", "-cipher", cipher,
            "-cert", str(cert.cert_path), "-key", str(cert.key_path), "-brief"]
    env = dict(os.environ, OPENSSL_CONF=str(OPENSSL_GOST_CONF))
    out = subprocess.run(args, input=b"", capture_output=True, timeout=60, env=env)
    return out.stderr.decode("utf-8", "replace")


@pytest.fixture(scope="session")
def gost512_person(demo_pki, tmp_path_factory):
    """Пётр Петрович with a GOST R 34.10-2012 512-bit key, issued by the demo GOST CA."""
    ca = demo_pki.ca("gost256")
    ca_key = load_key("gost256", ca.key_path.read_bytes())
    ca_cert = load_certificate(ca.cert_path.read_bytes()).asn1
    key = generate_key("gost512")
    now = utcnow()
    cert = build_certificate(subject=person_subject("ip"), subject_key=key, issuer_key=ca_key,
                             issuer=ca_cert, not_before=now - timedelta(days=1),
                             not_after=now + timedelta(days=365),
                             crl_url=CRL_URL.format(name="ca-gost256"),
                             policies=["1.2.643.100.113.1"])
    out = tmp_path_factory.mktemp("gost512")
    (out / "ip-gost512.crt").write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    (out / "ip-gost512.key").write_bytes(key.private_pem())
    return DemoCert(out / "ip-gost512.crt", out / "ip-gost512.key")


@pytest.mark.parametrize("cipher", GOST_SUITES)
def test_gost256_certificate_signs_in_over_gost_tls(nginx_stack, demo_pki, cipher):
    head = demo_pki.person("head", "gost256")
    info = negotiated(nginx_stack["https"], head, cipher)
    assert f"Ciphersuite: {cipher}" in info, info
    status, page, err = openssl_get(nginx_stack["https"], head, cipher=cipher)
    assert status == 200, (page, err)
    assert "Здравствуйте, Иван Иванович!" in page
    assert ("sign_in", "ok", "127.0.0.1", head.certificate.serial) in journal(nginx_stack["app"])


def test_gost512_certificate_signs_in_over_gost_tls(nginx_stack, gost512_person):
    status, page, err = openssl_get(nginx_stack["https"], gost512_person, cipher=GOST_SUITES[1])
    assert status == 200, (page, err)
    assert "Здравствуйте, Пётр Петрович!" in page
    serial = gost512_person.certificate.serial
    assert ("sign_in", "ok", "127.0.0.1", serial) in journal(nginx_stack["app"])


def test_gost_suite_uses_the_gost_server_certificate(nginx_stack, demo_pki):
    info = negotiated(nginx_stack["https"], demo_pki.person("head", "gost256"), GOST_SUITES[0])
    assert "Peer certificate: C = RU, CN = localhost" in info, info
    assert "Server Temp Key" not in info  # GOST key exchange, not ECDHE


@pytest.mark.parametrize("kind, code", [
    ("expired", "expired"), ("not_yet_valid", "not_yet_valid"), ("untrusted", "incomplete_chain"),
])
def test_refused_gost_certificates_get_the_application_page(nginx_stack, demo_pki, kind, code):
    cert = demo_pki.special(kind, "gost256")
    status, page, err = openssl_get(nginx_stack["https"], cert)
    assert status == 403, (page[:500], err)
    assert "Вход невозможен" in page and reason_title(code) in page
    assert ("refused", code, "127.0.0.1", cert.certificate.serial) in journal(nginx_stack["app"])


def test_revoked_gost_certificate_gets_the_application_page(nginx_stack, demo_pki):
    cert = demo_pki.person("employee2", "gost256")
    status, page, err = openssl_get(nginx_stack["https"], cert)
    assert status == 403, err
    assert "Сертификат отозван" in page
    assert ("refused", "revoked", "127.0.0.1", cert.certificate.serial) in journal(
        nginx_stack["app"])


@pytest.mark.parametrize("kind, code", [
    ("expired", "expired"), ("not_yet_valid", "not_yet_valid"), ("untrusted", "incomplete_chain"),
    ("bad_signature", "bad_signature"), ("wrong_purpose", "wrong_purpose"),
    ("ca_as_leaf", "ca_as_leaf"),
])
def test_every_ecdsa_certificate_problem_reaches_the_application(nginx_stack, demo_pki, kind,
                                                                 code):
    cert = demo_pki.special(kind, "ecdsa")
    status, page = https_get(nginx_stack["https"], demo_pki, cert)
    assert status == 403, page[:300]
    assert "Вход невозможен" in page and reason_title(code) in page
    entries = [e for e in journal(nginx_stack["app"]) if e[3] == cert.certificate.serial]
    assert entries and entries[-1][:2] == ("refused", code), entries


def test_ecdsa_browser_still_signs_in_on_the_same_server(nginx_stack, demo_pki, browser):
    url = f"https://localhost:{nginx_stack['https']}"
    p12 = demo_pki.person("head", "ecdsa").cert_path.with_suffix(".p12")
    context, page, problems = open_page(browser, url, p12)
    try:
        page.goto(url + "/")
        assert page.locator("h1").inner_text() == "Здравствуйте, Иван Иванович!"
        page.screenshot(path=str(ARTIFACTS / "nginx-gost-server-ecdsa-browser.png"))
        assert problems == []
    finally:
        context.close()


def test_sign_in_by_signature_through_nginx(nginx_stack, demo_pki, tmp_path):
    """No client certificate on the connection: the signed challenge alone signs in."""
    ctx = ssl.create_default_context(cafile=str(demo_pki.server_cert_path.parent / "ca.crt"))

    def request(method, path, cookie=None, body=None):
        conn = http.client.HTTPSConnection("localhost", nginx_stack["https"], context=ctx,
                                           timeout=15)
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            set_cookie = response.getheader("Set-Cookie") or ""
            return response.status, response.read().decode(), set_cookie.split(";", 1)[0]
        finally:
            conn.close()

    status, page, cookie = request("GET", "/login/signature")
    assert status == 200
    text = html.unescape(re.search(r'data-challenge="([^"]*)"', page).group(1))
    nonce = re.search(r'name="nonce"[^>]*value="([0-9a-f]+)"', page).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    head = demo_pki.person("head", "gost256")
    body = urlencode({"csrf_token": token, "nonce": nonce, "certificate": "",
                      "signature": cms_sign(text, head, "gost256", tmp_path)})
    status, page, cookie = request("POST", "/login/signature", cookie, body)
    assert status == 302, page
    status, page, _ = request("GET", "/", cookie)
    assert status == 200 and "Здравствуйте, Иван Иванович!" in page
    entries = journal(nginx_stack["app"])
    assert ("sign_in", "ok", "127.0.0.1", head.certificate.serial) in entries
