"""`registry trust refresh`: CRLs downloaded from a local server, verified, never downgraded;
picked up by a running instance without a restart; one refresh at a time across processes."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from registry.extensions import db
from registry.pki import load_crl, reason_title
from registry.trust import holder, import_tsl, refresh_crls
from registry.trust.locking import database_lock
from registry.trust.schedule import start_refresh_thread

from ..helpers import VENV_BIN, stop
from .conftest import demo_ca, initial_store, issue_crl, now, tsl_xml


def _listed_store(make_app, demo_pki, tmp_path, server, *, ca_next_update=None, **config):
    """A store built from a list naming the demo ECDSA CA with a CRL address on ``server``."""
    t = now()
    store = initial_store(demo_pki, tmp_path / "trust")
    if ca_next_update is not None:  # the CA's CRL in place: number 100, as old as asked
        (store / "ca-ecdsa.crl").write_bytes(
            issue_crl(
                demo_pki,
                this_update=ca_next_update - timedelta(days=7),
                next_update=ca_next_update,
                number=100,
            )
        )
    app = make_app(**config)
    source = tmp_path / "tsl.xml"
    source.write_bytes(tsl_xml(5, t, [demo_ca(demo_pki, crl_urls=[server.url("/ca.crl")])]))
    import_tsl(app, source)
    return app, store


def _report(reports, name="Демо УЦ ECDSA"):
    [report] = [r for r in reports if r.ca == name]
    return report


def _installed_number(app, demo_pki) -> int:
    """The number of the demo CA's CRL the running app has loaded."""
    name = demo_pki.ca("ecdsa").certificate.asn1.subject
    with app.app_context():
        numbers = [
            c.crl_number_value.native
            for c in holder().reload().crls
            if c["tbs_cert_list"]["issuer"] == name
        ]
    return max(numbers)


@pytest.mark.parametrize(
    "scenario", ["fresh", "stale", "404", "timeout", "garbage", "wrong_key", "oversized", "older"]
)
def test_refresh_outcomes(trust_app_factory, demo_pki, tmp_path, db_session, http_server, scenario):
    t = now()
    current_next = t - timedelta(hours=2) if scenario == "stale" else t + timedelta(days=3)
    app, store = _listed_store(
        trust_app_factory,
        demo_pki,
        tmp_path,
        http_server,
        ca_next_update=current_next,
        REGISTRY_CRL_TIMEOUT=0.5,
        REGISTRY_CRL_MAX_MB=1,
    )
    before = _installed_number(app, demo_pki)
    if scenario == "fresh":
        route = issue_crl(
            demo_pki,
            this_update=t - timedelta(hours=1),
            next_update=t + timedelta(days=1),
            number=200,
        )
    elif scenario == "stale":
        route = issue_crl(
            demo_pki,
            this_update=t - timedelta(days=1),
            next_update=t - timedelta(hours=1),
            number=200,
        )
    elif scenario == "404":
        route = 404
    elif scenario == "timeout":

        def route():
            time.sleep(1.5)
            return issue_crl(demo_pki, this_update=t, next_update=t + timedelta(days=1), number=300)
    elif scenario == "garbage":
        route = b"<html>not a CRL</html>"
    elif scenario == "wrong_key":  # the CA's name, the root's signature
        route = issue_crl(
            demo_pki, this_update=t, next_update=t + timedelta(days=1), number=400, key_of="root"
        )
    elif scenario == "oversized":
        route = b"0" * (1024 * 1024 + 10)
    else:  # older: a valid CRL, but number 50 < 100 installed
        route = issue_crl(
            demo_pki,
            this_update=t - timedelta(days=9),
            next_update=t + timedelta(days=5),
            number=50,
        )
    http_server.routes["/ca.crl"] = route

    reports = refresh_crls(app)
    report = _report(reports)
    expected = {
        "fresh": "fresh",
        "stale": "stale",
        "404": "unreachable",
        "timeout": "unreachable",
        "garbage": "invalid",
        "wrong_key": "invalid",
        "oversized": "invalid",
        "older": "fresh",
    }[scenario]
    assert report.status == expected, report
    assert report.urls == [http_server.url("/ca.crl")]
    after = _installed_number(app, demo_pki)
    if scenario in ("fresh", "stale"):
        assert report.updated and after == 200
        assert report.next_update == load_crl(route)["tbs_cert_list"]["next_update"].native
    else:
        assert not report.updated and after == before == 100, report
        assert report.errors
    if scenario == "older":
        assert "старше установленного" in report.errors[0]
    if scenario == "wrong_key":
        assert "подпись CRL не сходится" in report.errors[0]
    if scenario == "404":
        assert http_server.hits["/ca.crl"] == 1  # a client error is not retried
    if scenario == "timeout":
        assert http_server.hits["/ca.crl"] == 2  # one retry
    # No temporary file is left in the store.
    assert not [p for p in Path(os.path.realpath(store)).rglob(".*tmp")]


def _env(app, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(
        {
            "REGISTRY_TRUST_STORE": app.config["REGISTRY_TRUST_STORE"],
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test",
            "REGISTRY_INSTANCE_PATH": app.instance_path,
            "REGISTRY_LOG_LEVEL": "WARNING",
            "REGISTRY_CRL_TIMEOUT": "5",
            "REGISTRY_CRL_RETRIES": "0",
        }
    )
    env.update(extra)
    return env


def _refresh_process(app, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [str(VENV_BIN / "registry"), "trust", "refresh", "--json"],
        env=_env(app, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _signin(app, demo_pki):
    client = app.test_client()
    client.certificate = demo_pki.person("employee1", "ecdsa").pem
    return client.get("/")


def test_stale_crl_refusal_ends_after_refresh_in_another_process(
    trust_app_factory, demo_pki, tmp_path, db_session, http_server
):
    t = now()
    app, _store = _listed_store(
        trust_app_factory, demo_pki, tmp_path, http_server, ca_next_update=t - timedelta(hours=1)
    )
    refused = _signin(app, demo_pki)
    assert refused.status_code == 403 and reason_title("revocation_unknown") in refused.text

    revoked = [
        (int(serial, 16), t - timedelta(days=3)) for serial in demo_pki.manifest["revoked"]["ecdsa"]
    ]
    http_server.routes["/ca.crl"] = issue_crl(
        demo_pki,
        this_update=t - timedelta(minutes=5),
        next_update=t + timedelta(days=1),
        number=500,
        revoked=revoked,
    )
    proc = _refresh_process(app)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    result = json.loads(out)
    [report] = [r for r in result["reports"] if r["ca"] == "Демо УЦ ECDSA"]
    assert report["status"] == "fresh" and report["updated"]

    # The same running app, no restart: the holder sees the new file.
    assert _signin(app, demo_pki).status_code == 200
    # The revoked person stays refused with the new CRL.
    client = app.test_client()
    client.certificate = demo_pki.person("employee2", "ecdsa").pem
    revoked_page = client.get("/")
    assert revoked_page.status_code == 403 and "отозван" in revoked_page.text


def test_two_instances_refreshing_at_once_fetch_once(
    trust_app_factory, demo_pki, tmp_path, db_session, http_server
):
    t = now()
    app, _store = _listed_store(trust_app_factory, demo_pki, tmp_path, http_server)
    release = threading.Event()
    crl = issue_crl(demo_pki, this_update=t, next_update=t + timedelta(days=1), number=600)

    def slow():
        release.wait(60)
        return crl

    http_server.routes["/ca.crl"] = slow
    first = _refresh_process(app, REGISTRY_CRL_TIMEOUT="60")
    try:
        deadline = time.monotonic() + 60
        while not http_server.hits.get("/ca.crl") and time.monotonic() < deadline:
            assert first.poll() is None, first.stderr.read()
            time.sleep(0.05)
        assert http_server.hits.get("/ca.crl") == 1
        second = _refresh_process(app)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert json.loads(out) == {"skipped": True, "reports": []}
    finally:
        release.set()
        out, err = first.communicate(timeout=120)
        stop(first)
    assert first.returncode == 0, err
    assert json.loads(out)["skipped"] is False
    assert http_server.hits["/ca.crl"] == 1


def test_refresh_cli_table_and_schedule_thread(
    trust_app_factory, demo_pki, tmp_path, db_session, http_server
):
    t = now()
    app, _store = _listed_store(trust_app_factory, demo_pki, tmp_path, http_server)
    http_server.routes["/ca.crl"] = issue_crl(
        demo_pki, this_update=t, next_update=t + timedelta(days=1), number=700
    )
    thread = start_refresh_thread(app, interval=3600)
    try:
        deadline = time.monotonic() + 60
        while thread.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        thread.stop()
        thread.join(30)
    assert thread.runs == 1 and http_server.hits["/ca.crl"] == 1

    http_server.routes["/ca.crl"] = 404
    result = app.test_cli_runner().invoke(args=["trust", "refresh"])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("Демо УЦ ECDSA"))
    assert "недоступен" in line and "HTTP 404" in result.output
    status = app.test_cli_runner().invoke(args=["trust", "status"])
    assert "версия 5" in status.output and "Демо УЦ ECDSA" in status.output


def test_database_lock_is_exclusive_on_postgresql(app, database_url):
    with app.app_context():
        engine = db.engine
        with database_lock(engine, blocking=False) as first:
            with database_lock(engine, blocking=False) as second:
                assert first
                assert second is (engine.dialect.name != "postgresql")
        with database_lock(engine, blocking=False) as again:
            assert again
