"""REGISTRY_REVOCATION and REGISTRY_CRL_GRACE: passed to validation; a grace sign-in journaled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry import create_app
from registry.auth.models import VisitJournalEntry
from registry.extensions import db
from registry.pki import reason_title
from registry.trust import decision
from registry.trust.decision import (
    GRACE_JOURNAL_PREFIX,
    parse_duration,
    parse_revocation,
    revocation_options,
)

from .conftest import demo_ca, initial_store, issue_crl, now, tsl_xml


def test_settings_are_parsed_and_checked_at_start(tmp_path):
    assert parse_duration("6h") == timedelta(hours=6)
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("1d") == timedelta(days=1)
    assert parse_duration("90") == timedelta(seconds=90)
    assert parse_duration("") is None and parse_duration("none") is None
    assert parse_revocation(None) == "crl+ocsp" and parse_revocation("CRL") == "crl"
    assert revocation_options({"REGISTRY_REVOCATION": "ocsp", "REGISTRY_CRL_GRACE": "2h"}) == (
        "ocsp",
        timedelta(hours=2),
    )
    for bad in ({"REGISTRY_REVOCATION": "crl,ocsp"}, {"REGISTRY_CRL_GRACE": "six hours"}):
        with pytest.raises(ValueError):
            create_app(
                {
                    "TESTING": True,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "SECRET_KEY": "x",
                    "REGISTRY_INSTANCE_PATH": str(tmp_path),
                    **bad,
                }
            )


def test_configured_method_and_grace_reach_validate_when_it_takes_them(monkeypatch, demo_pki):
    from registry.pki import TrustStore

    seen = {}

    def recording(cert, **kwargs):
        seen.update(kwargs)
        return real(cert, **kwargs)

    real = decision.pki_validate
    monkeypatch.setattr(decision, "pki_validate", recording)
    store = TrustStore.from_paths(demo_pki.trust_dir)
    result = decision.decide(
        demo_pki.person("head", "ecdsa").certificate,
        trust_store=store,
        config={"REGISTRY_REVOCATION": "crl", "REGISTRY_CRL_GRACE": "6h"},
    )
    assert result.valid, result.message
    assert seen["revocation"] == "crl" and seen["crl_grace"] == timedelta(hours=6)


def _stale_store(make_app, demo_pki, tmp_path, overdue: timedelta, **config):
    t = now()
    store = initial_store(demo_pki, tmp_path / "trust")
    (store / "ca-ecdsa.crl").write_bytes(
        issue_crl(
            demo_pki,
            this_update=t - timedelta(days=2),
            next_update=t - overdue,
            number=100,
            revoked=[
                (int(s, 16), t - timedelta(days=3)) for s in demo_pki.manifest["revoked"]["ecdsa"]
            ],
        )
    )
    app = make_app(**config)
    source = tmp_path / "tsl.xml"
    source.write_bytes(tsl_xml(1, t, [demo_ca(demo_pki)]))
    from registry.trust import import_tsl

    import_tsl(app, source)
    return app


def _get(app, demo_pki, person="employee1"):
    client = app.test_client()
    client.certificate = demo_pki.person(person, "ecdsa").pem
    return client.get("/")


def test_sign_in_on_a_recently_stale_crl_within_grace_is_journaled(
    trust_app_factory, demo_pki, tmp_path, db_session, caplog
):
    app = _stale_store(
        trust_app_factory, demo_pki, tmp_path, timedelta(hours=1), REGISTRY_CRL_GRACE="6h"
    )
    with caplog.at_level("WARNING", logger="registry.trust.decision"):
        assert _get(app, demo_pki).status_code == 200
    assert any("grace period" in r.getMessage() for r in caplog.records)
    with app.app_context():
        entry = db.session.scalars(
            select(VisitJournalEntry)
            .where(VisitJournalEntry.event == "sign_in")
            .order_by(VisitJournalEntry.id.desc())
        ).first()
    assert entry.result == "ok" and entry.message.startswith(GRACE_JOURNAL_PREFIX)
    assert "Демо УЦ (ECDSA)" in entry.message
    # A certificate the stale CRL lists is never accepted, grace or not.
    assert _get(app, demo_pki, "employee2").status_code == 403


def test_grace_does_not_cover_an_older_crl_and_default_fails_closed(
    trust_app_factory, demo_pki, tmp_path, db_session
):
    app = _stale_store(
        trust_app_factory, demo_pki, tmp_path, timedelta(hours=1), REGISTRY_CRL_GRACE="30m"
    )
    page = _get(app, demo_pki)
    assert page.status_code == 403 and reason_title("revocation_unknown") in page.text
    # The CA's fault, not the person's: no advice to pick another certificate.
    assert "Ваш сертификат здесь ни при чём" in page.text
    assert "Как войти с другим сертификатом" not in page.text
    strict = trust_app_factory()  # no grace configured: fail closed
    assert _get(strict, demo_pki).status_code == 403
