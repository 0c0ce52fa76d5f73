"""Application factory, configuration, security headers, health check, CLI, migrations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from registry import config as config_module
from registry import create_app
from registry.cli import main
from registry.core import signals
from registry.core.web import MenuItem

from .conftest import app_config

TEMPLATES = sorted((Path(__file__).resolve().parent.parent / "registry").rglob("*.html"))


def test_configuration_comes_from_the_environment(monkeypatch, tmp_path, demo_pki):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example:5432/registry")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("REGISTRY_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    monkeypatch.setenv("REGISTRY_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("REGISTRY_TRUST_STORE", str(demo_pki.trust_dir))
    monkeypatch.setenv("REGISTRY_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example:5432/registry"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["REGISTRY_SESSION_IDLE_MINUTES"] == 15
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_defaults_sqlite_in_instance_and_a_persisted_secret_key(monkeypatch, tmp_path):
    for var in ("DATABASE_URL", "SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    first = create_app({"REGISTRY_INSTANCE_PATH": str(tmp_path)})
    second = create_app({"REGISTRY_INSTANCE_PATH": str(tmp_path)})
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'registry.db'}"
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_bad_trusted_proxies_stop_the_start(tmp_path):
    with pytest.raises(ValueError, match="REGISTRY_TRUSTED_PROXIES"):
        create_app({"REGISTRY_TRUSTED_PROXIES": "10.0.0.0/33", "SECRET_KEY": "x",
                    "REGISTRY_INSTANCE_PATH": str(tmp_path)})


def test_bad_number_in_the_environment_names_the_variable():
    with pytest.raises(ValueError, match="REGISTRY_SESSION_IDLE_MINUTES"):
        config_module.from_environ({"REGISTRY_SESSION_IDLE_MINUTES": "half an hour"})


def test_pages_carry_security_headers_and_secure_cookies(client, demo_pki):
    client.certificate = demo_pki.person("head", "ecdsa").pem
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "max-age" in response.headers["Strict-Transport-Security"]
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), "inline <script>"
    assert not re.search(r"<style|\sstyle=", text), "inline style"
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"


def test_menu_lists_the_sections_and_is_extensible(app, client, demo_pki):
    client.certificate = demo_pki.person("head", "ecdsa").pem
    page = client.get("/").text
    labels = re.findall(r'<li><a href="[^"]+"[^>]*>([^<]+)</a></li>', page)
    assert labels[:4] == ["Главная", "Мой профиль", "Журнал посещений", "Моя организация"]
    assert "Оператор реестра" not in labels  # shown to operators only
    assert ">Выход</button>" in page or 'value="Выход"' in page

    def more(_sender):  # a domain's receiver: an item it shows, none it hides
        return [MenuItem("Организация", "auth.journal", order=15)]

    with signals.menu.connected_to(more, sender=app):
        after = re.findall(r'<li><a href="[^"]+"[^>]*>([^<]+)</a></li>', client.get("/").text)
    assert after == labels[:2] + ["Организация"] + labels[2:]
    assert re.findall(r'<li><a href="[^"]+"[^>]*>([^<]+)</a></li>', client.get("/").text) == labels


def test_unknown_page_is_explained_in_russian(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Страница не найдена" in response.text


def test_healthz_reports_database_trust_store_and_crls(client, demo_pki):
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.get_json()
    assert report["status"] == "ok"
    assert report["database"]["status"] == "ok"
    assert report["trust_store"]["roots"] == len(list(demo_pki.trust_dir.glob("root-*.crt")))
    assert report["crls"]["status"] == "ok"
    assert report["crls"]["items"] and all(item["fresh"] for item in report["crls"]["items"])


def test_healthz_is_degraded_by_a_stale_crl(app, client, monkeypatch):
    store = app.extensions["registry.trust"].get()
    stale = [dict(item, fresh=False) for item in store.crl_status()]
    monkeypatch.setattr(type(store), "crl_status", lambda self, now=None: stale)
    report = client.get("/healthz").get_json()
    assert report["status"] == "degraded" and report["crls"]["status"] == "stale"


def test_healthz_fails_without_a_database(tmp_path, demo_pki):
    broken = create_app(app_config(f"sqlite:///{tmp_path}/missing/dir/registry.db", demo_pki,
                                   tmp_path))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"]["status"] == "fail"


def test_doctor_prints_configuration_facts(app):
    result = app.test_cli_runner().invoke(main, ["doctor"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "database status" in out and "reachable" in out
    assert "trust store" in out and "roots" in out
    assert "pki: gost" in out
    assert "trusted proxies" in out and "10.0.0.1" in out


def test_models_and_migrations_do_not_drift(app):
    """`flask db check`: the migrations create exactly what the models describe."""
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_public_healthz_says_only_up_or_down(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRY_HEALTH_DETAIL_FROM", "192.0.2.0/24")
    outside = client.get("/healthz", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert outside.status_code == 200 and outside.get_json() == {"status": "up"}
    inside = client.get("/healthz", environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert inside.get_json()["database"]["status"] == "ok" and "trust_store" in inside.get_json()


def test_doctor_says_whether_the_gost_engine_is_loaded(app, monkeypatch):
    from registry.pki import gost

    monkeypatch.delenv("REGISTRY_GOST_BACKEND", raising=False)
    loaded = app.test_cli_runner().invoke(main, ["doctor"])
    assert loaded.exit_code == 0, loaded.output
    assert "GOST engine                  loaded: OpenSSL 3." in loaded.output
    monkeypatch.setitem(gost._loaded, "openssl", gost.GostUnavailable("gost engine not found (simulated)"))
    missing = app.test_cli_runner().invoke(main, ["doctor"])
    assert missing.exit_code == 0, missing.output
    line = next(s for s in missing.output.splitlines() if s.startswith("GOST engine"))
    assert "WARNING" in line and "gost engine not found (simulated)" in line
    assert "falls back to pure Python (about ten times slower)" in line
    assert "install libengine-gost-openssl" in line
    monkeypatch.setenv("REGISTRY_GOST_BACKEND", "pure")
    monkeypatch.delitem(gost._loaded, "openssl")
    forced = app.test_cli_runner().invoke(main, ["doctor"]).output
    assert "not in use (REGISTRY_GOST_BACKEND=pure)" in forced and "unset REGISTRY_GOST_BACKEND" in forced


def test_doctor_names_the_tsl_signer_certificate(app, demo_pki, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRY_TSL_SIGNER_CERT", "")
    unset = app.test_cli_runner().invoke(main, ["doctor"]).output
    assert "TSL signer certificate" in unset and "REGISTRY_TSL_SIGNER_CERT" in unset
    monkeypatch.setitem(app.config, "REGISTRY_TSL_SIGNER_CERT", str(demo_pki.tsl_signer.cert_path))
    configured = app.test_cli_runner().invoke(main, ["doctor"]).output
    assert "Минцифры России: подпись списка аккредитованных УЦ (демо)" in configured
