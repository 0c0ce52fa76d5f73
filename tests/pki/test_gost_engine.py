"""registry.pki.gost_engine: whether GOST runs on the OpenSSL gost engine, and the warning
shown when it does not (simulated through the backend loader's remembered result)."""

from __future__ import annotations

from registry.pki import gost
from registry.pki.gost_engine import PACKAGE, engine_status

MISSING = "OpenSSL gost engine not found (is libengine-gost-openssl installed?): simulated"


def test_engine_is_loaded_here(monkeypatch):
    monkeypatch.delenv("REGISTRY_GOST_BACKEND", raising=False)
    status = engine_status()
    assert status.loaded and status.backend == "openssl" and status.warning is None
    assert "gost engine" in status.description


def test_missing_engine_warns_of_the_pure_python_fallback(monkeypatch):
    monkeypatch.delenv("REGISTRY_GOST_BACKEND", raising=False)
    monkeypatch.setitem(gost._loaded, "openssl", gost.GostUnavailable(MISSING))
    status = engine_status()
    assert (status.loaded, status.backend) == (False, "pure")
    assert status.reason == MISSING
    assert "на чистом Python" in status.warning and PACKAGE in status.warning


def test_pure_backend_forced_by_configuration_warns_too(monkeypatch):
    monkeypatch.setenv("REGISTRY_GOST_BACKEND", "pure")
    status = engine_status()
    assert not status.loaded and status.reason == "REGISTRY_GOST_BACKEND=pure"
    assert status.forced and "десять раз медленнее" in status.warning
    assert "Уберите REGISTRY_GOST_BACKEND" in status.warning


def test_no_backend_at_all_says_gost_is_not_checked(monkeypatch):
    monkeypatch.delenv("REGISTRY_GOST_BACKEND", raising=False)
    monkeypatch.setitem(gost._loaded, "openssl", gost.GostUnavailable(MISSING))
    monkeypatch.setitem(gost._loaded, "pure", gost.GostUnavailable("gostcrypto missing"))
    status = engine_status()
    assert status.backend is None and "не проверяются" in status.warning
