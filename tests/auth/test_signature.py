"""Sign-in by signature with real CMS signatures made by `openssl cms -sign` (GOST engine too)."""

from __future__ import annotations

import base64
import html
import os
import re
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.auth.models import AuthSession, SignInChallenge
from registry.extensions import db, utcnow

from ..helpers import ROOT
from .conftest import csrf_token

OPENSSL_CONF = ROOT / "deploy" / "nginx" / "openssl-gost.cnf"
DIGESTS = {"gost256": "md_gost12_256", "gost512": "md_gost12_512", "ecdsa": "sha256",
           "rsa": "sha256"}


def challenge_of(client, base_url="https://localhost"):
    client.certificate = None
    page = client.get("/login/signature", base_url=base_url)
    assert page.status_code == 200
    text = html.unescape(re.search(r'data-challenge="([^"]*)"', page.text).group(1))
    nonce = re.search(r'name="nonce"[^>]*value="([0-9a-f]+)"', page.text).group(1)
    return text, nonce, csrf_token(page.text)


def cms_sign(text: str, demo_cert, alg: str, tmp_path) -> str:
    """A detached CAdES-BES signature over ``text`` by `openssl cms -sign`, base64."""
    content = tmp_path / "challenge.txt"
    content.write_bytes(text.encode("utf-8"))
    out = tmp_path / "challenge.sig"
    args = ["openssl", "cms", "-sign", "-binary", "-cades", "-in", str(content),
            "-signer", str(demo_cert.cert_path), "-inkey", str(demo_cert.key_path),
            "-md", DIGESTS[alg], "-outform", "DER", "-out", str(out)]
    if alg.startswith("gost"):
        args[2:2] = ["-engine", "gost"]
    subprocess.run(args, check=True, capture_output=True, timeout=60,
                   env=dict(os.environ, OPENSSL_CONF=str(OPENSSL_CONF)))
    return base64.b64encode(out.read_bytes()).decode()


def offered(demo_cert) -> str:
    return base64.b64encode(demo_cert.certificate.der).decode()


def post(client, nonce, token, signature, certificate="", base_url="https://localhost"):
    # as a browser sends it (Flask-WTF compares the referrer with the host over HTTPS)
    return client.post("/login/signature", base_url=base_url,
                       headers={"Referer": f"{base_url}/login/signature"}, data={
        "csrf_token": token, "nonce": nonce, "signature": signature, "certificate": certificate})


@pytest.mark.parametrize("alg", ["gost256", "ecdsa", "rsa"])
def test_signed_challenge_signs_in_without_a_tls_certificate(client, app, demo_pki, journal,
                                                             tmp_path, alg):
    head = demo_pki.person("head", alg)
    text, nonce, token = challenge_of(client)
    assert "Сайт: https://localhost\n" in text and f"Одноразовый код: {nonce}" in text
    response = post(client, nonce, token, cms_sign(text, head, alg, tmp_path), offered(head))
    assert response.status_code == 302, response.text
    page = client.get("/")  # no client certificate on the connection
    assert page.status_code == 200 and "Здравствуйте, Иван Иванович!" in page.text
    assert "Мой профиль" in client.get("/profile").text
    [entry] = journal()
    assert (entry["event"], entry["result"], entry["cert_serial"]) == (
        "sign_in", "ok", head.certificate.serial)
    with app.app_context():
        assert db.session.scalars(select(AuthSession.method)).all() == ["signature"]


def test_gost512_signature_signs_in(client, demo_pki, tmp_path):
    text, nonce, token = challenge_of(client)
    cert = _gost512(demo_pki, tmp_path)
    response = post(client, nonce, token, cms_sign(text, cert, "gost512", tmp_path))
    assert response.status_code == 302, response.text
    assert "Здравствуйте, Пётр Петрович!" in client.get("/").text


def _gost512(demo_pki, tmp_path):
    from asn1crypto import pem

    from registry.pki import load_certificate
    from registry.pki.builder import build_certificate, generate_key, load_key
    from registry.pki.demo_pki import CRL_URL, DemoCert, person_subject

    ca = demo_pki.ca("gost256")
    ca_key = load_key("gost256", ca.key_path.read_bytes())
    key = generate_key("gost512")
    now = utcnow()
    cert = build_certificate(subject=person_subject("ip"), subject_key=key, issuer_key=ca_key,
                             issuer=load_certificate(ca.cert_path.read_bytes()).asn1,
                             not_before=now - timedelta(days=1),
                             not_after=now + timedelta(days=30),
                             crl_url=CRL_URL.format(name="ca-gost256"))
    (tmp_path / "p.crt").write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    (tmp_path / "p.key").write_bytes(key.private_pem())
    return DemoCert(tmp_path / "p.crt", tmp_path / "p.key")


def refused(response, title):
    assert response.status_code == 403, response.text
    assert title in response.text
    return response


def test_replayed_signature_is_refused(client, demo_pki, journal, tmp_path):
    head = demo_pki.person("head", "gost256")
    text, nonce, token = challenge_of(client)
    signature = cms_sign(text, head, "gost256", tmp_path)
    assert post(client, nonce, token, signature).status_code == 302
    client.set_cookie("registry_session", "", domain="localhost", expires=0)  # another browser
    _text, _nonce, token = challenge_of(client)
    refused(post(client, nonce, token, signature), "Запрос на вход уже использован")
    assert journal()[-1]["result"] == "challenge_replayed"
    assert client.get("/profile").status_code == 403


def test_expired_challenge_is_refused(client, app, demo_pki, tmp_path, monkeypatch):
    head = demo_pki.person("head", "ecdsa")
    text, nonce, token = challenge_of(client)
    monkeypatch.setitem(app.config, "REGISTRY_SIGNIN_CHALLENGE_SECONDS", -1)
    refused(post(client, nonce, token, cms_sign(text, head, "ecdsa", tmp_path)),
            "Время на подписание истекло")
    assert client.get("/profile").status_code == 403


def _sessions_and_challenges(app):
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(AuthSession)),
                db.session.scalar(select(func.count()).select_from(SignInChallenge)))


def test_a_foreign_host_gets_no_challenge_and_no_session(client, app, demo_pki, journal,
                                                         tmp_path, monkeypatch):
    """A relaying site (or a forged Host) cannot have a challenge name it, nor post one."""
    head = demo_pki.person("head", "ecdsa")
    client.certificate = None
    page = client.get("/login/signature", base_url="https://evil.example")
    assert page.status_code == 403 and "data-challenge" not in page.text
    assert "не по адресу реестра" in page.text and "https://localhost" in page.text
    assert "evil.example" not in page.text
    # A challenge of the real site, signed, posted through the relaying host: no session.
    text, nonce, token = challenge_of(client)
    signature = cms_sign(text, head, "ecdsa", tmp_path)
    # (the relay would pass its own cookies and CSRF token along; the test turns the CSRF
    # check off rather than imitate that)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    response = post(client, nonce, token, signature, offered(head),
                    base_url="https://evil.example")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert response.status_code == 403 and "Запрос выдан для другого сайта" in response.text
    assert _sessions_and_challenges(app) == (0, 0)
    assert journal() == []
    assert client.get("/profile", base_url="https://evil.example").status_code == 403
    # The same signature on the real site still works: the relay spent nothing.
    assert post(client, nonce, token, signature, offered(head)).status_code == 302


def test_a_challenge_names_the_configured_origin_not_the_host(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRY_SITE_ORIGIN", "https://registry.example.ru/")
    client.certificate = None
    page = client.get("/login/signature", base_url="https://registry.example.ru:8443")
    assert page.status_code == 200
    text = html.unescape(re.search(r'data-challenge="([^"]*)"', page.text).group(1))
    assert "Сайт: https://registry.example.ru\n" in text
    assert client.get("/login/signature", base_url="https://localhost").status_code == 403


def test_without_a_configured_origin_sign_in_by_signature_is_not_offered(client, app, demo_pki,
                                                                         tmp_path, monkeypatch):
    head = demo_pki.person("head", "ecdsa")
    text, nonce, token = challenge_of(client)  # issued while the origin was set
    monkeypatch.setitem(app.config, "REGISTRY_SITE_ORIGIN", "")
    page = client.get("/login/signature")
    assert page.status_code == 503 and "data-challenge" not in page.text
    assert "Вход по подписи не настроен" in page.text
    response = post(client, nonce, token, cms_sign(text, head, "ecdsa", tmp_path))
    assert response.status_code == 503 and _sessions_and_challenges(app) == (0, 0)
    assert "/login/signature" not in client.get("/").text  # the refusal page offers no link


def test_a_challenge_writes_nothing_until_a_signature_is_posted(client, app, demo_pki,
                                                                tmp_path):
    """Anonymous page views store nothing; a posted signature records its nonce as spent,
    and spent nonces are forgotten once they could no longer be used."""
    for _ in range(5):
        challenge_of(client)
    assert _sessions_and_challenges(app) == (0, 0)
    head = demo_pki.person("head", "ecdsa")
    with app.app_context():  # a spent nonce of long ago
        db.session.add(SignInChallenge(nonce="cd" * 32, origin="https://localhost", text="old",
                                       created_at=utcnow() - timedelta(hours=3),
                                       expires_at=utcnow() - timedelta(hours=2),
                                       used_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
    text, nonce, token = challenge_of(client)
    assert post(client, nonce, token, cms_sign(text, head, "ecdsa", tmp_path)).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(SignInChallenge.nonce)).all() == [nonce]


def test_a_forged_or_altered_nonce_is_unknown(client, demo_pki, tmp_path):
    head = demo_pki.person("head", "ecdsa")
    text, nonce, token = challenge_of(client)
    later = f"{int(nonce[24:32], 16) + 600:08x}"  # the time moved on: the MAC no longer fits
    altered = nonce[:24] + later + nonce[32:]
    refused(post(client, altered, token, cms_sign(text.replace(nonce, altered), head, "ecdsa",
                                                  tmp_path)), "Запрос на вход не найден")


@pytest.mark.parametrize("alg", ["gost256", "rsa"])
def test_tampered_text_or_signature_is_refused(client, demo_pki, journal, tmp_path, alg):
    head = demo_pki.person("head", alg)
    text, nonce, token = challenge_of(client)
    other_text = text.replace("Одноразовый код", "Одноразовый  код")
    refused(post(client, nonce, token, cms_sign(other_text, head, alg, tmp_path)),
            "Подпись не принята")
    text, nonce, token = challenge_of(client)
    der = bytearray(base64.b64decode(cms_sign(text, head, alg, tmp_path)))
    der[-5] ^= 0x01  # inside the signature value at the end of the SignerInfo
    refused(post(client, nonce, token, base64.b64encode(bytes(der)).decode()),
            "Подпись не принята")
    refused(post(client, *challenge_of(client)[1:], "не base64!"), "Подпись не принята")
    assert [e["result"] for e in journal()] == ["signature_invalid"] * 3
    assert client.get("/profile").status_code == 403


def test_wrong_purpose_certificate_is_refused(client, demo_pki, journal, tmp_path):
    cert = demo_pki.special("wrong_purpose", "gost256")
    text, nonce, token = challenge_of(client)
    refused(post(client, nonce, token, cms_sign(text, cert, "gost256", tmp_path)),
            "Сертификат не предназначен для этой операции")
    assert journal()[-1]["result"] == "wrong_purpose"


def test_revoked_certificate_is_refused(client, demo_pki, journal, tmp_path):
    cert = demo_pki.person("employee2", "gost256")
    text, nonce, token = challenge_of(client)
    refused(post(client, nonce, token, cms_sign(text, cert, "gost256", tmp_path)),
            "Сертификат отозван")
    entry = journal()[-1]
    assert (entry["event"], entry["result"], entry["cert_serial"]) == (
        "refused", "revoked", cert.certificate.serial)


def test_signature_by_another_certificate_than_offered_is_refused(client, demo_pki, journal,
                                                                  tmp_path):
    head, anna = demo_pki.person("head", "ecdsa"), demo_pki.person("employee1", "ecdsa")
    text, nonce, token = challenge_of(client)
    refused(post(client, nonce, token, cms_sign(text, anna, "ecdsa", tmp_path), offered(head)),
            "Подписан другим сертификатом")
    assert journal()[-1]["result"] == "signer_not_offered"
    assert client.get("/profile").status_code == 403


def test_unknown_challenge_and_missing_signature(client, demo_pki, tmp_path):
    head = demo_pki.person("head", "ecdsa")
    text, _nonce, token = challenge_of(client)
    refused(post(client, "ab" * 32, token, cms_sign(text, head, "ecdsa", tmp_path)),
            "Запрос на вход не найден")
    response = post(client, "ab" * 32, token, "")
    assert response.status_code == 400 and "Подпись не получена" in response.text


def test_page_loads_the_configured_plugin_and_allows_it(client, app):
    app.config["REGISTRY_CADESPLUGIN_URL"] = "https://plugin.example/cadesplugin_api.js"
    try:
        response = client.get("/login/signature")
    finally:
        app.config["REGISTRY_CADESPLUGIN_URL"] = ""
    assert '<script src="https://plugin.example/cadesplugin_api.js"></script>' in response.text
    assert "script-src 'self' https://plugin.example" in response.headers[
        "Content-Security-Policy"]
    assert "<script>" not in response.text  # no inline script


def test_signature_session_then_sign_out_ends_it_on_the_server(client, demo_pki, tmp_path):
    head = demo_pki.person("head", "ecdsa")
    text, nonce, token = challenge_of(client)
    assert post(client, nonce, token, cms_sign(text, head, "ecdsa", tmp_path)).status_code == 302
    kept = client.get_cookie("registry_session").value
    page = client.get("/").text
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302
    client.set_cookie("registry_session", kept, domain="localhost")
    assert client.get("/profile").status_code == 403
