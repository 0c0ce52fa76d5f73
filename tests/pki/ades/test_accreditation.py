"""The CA's accreditation is part of a signature's verdict, judged at the time a validated
time-stamp proves (through the application's one decision, trust.decision.decide)."""

from __future__ import annotations

import functools
from datetime import datetime, timezone

import pytest

from registry.pki import TrustStore, load_certificate
from registry.pki.ades import verify as V
from registry.pki.validation import clear_all
from registry.trust.accreditation import ACTIVE, AccreditationIndex, AccreditedCa, Period
from registry.trust.decision import decide
from tests import cades

CONTENT = b"signed document " * 100


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_all()


def _decide(demo_pki, ended: datetime):
    ca = load_certificate(demo_pki.ca("gost256").cert_path.read_bytes())
    listed = AccreditedCa("АО «Демо УЦ»", "Демо УЦ ГОСТ", "7700000000", "1027700000000", "Прекращена",
                          (Period(ACTIVE, datetime(2020, 1, 1, tzinfo=timezone.utc), ended),
                           Period("Прекращена", ended, None)))
    index = AccreditationIndex({ca.fingerprint.lower(): listed})
    return functools.partial(decide, accreditation=index, config={"REGISTRY_REVOCATION": "crl"})


def _stamped(demo_pki, at: datetime) -> bytes:
    tsa = cades.issue(demo_pki, "gost256", not_before=cades.ago(days=29), not_after=cades.ago(days=-900),
                      tsa=True)
    bes = cades.sign(CONTENT, cades.party(demo_pki, "person", "head", "gost256"), signing_time=at)
    return cades.add_time_stamp(bes, tsa, at)


def test_accreditation_ended_after_the_proven_time_keeps_the_signature(demo_pki):
    store = TrustStore.from_paths(demo_pki.trust_dir)
    validate = _decide(demo_pki, ended=cades.ago(hours=1))
    signature = _stamped(demo_pki, cades.ago(hours=2))
    [v] = V.verify_cms(signature, CONTENT, trust_store=store, validate=validate)
    assert v.indication == V.PASSED, v.checks
    assert v.certificate.details.get("after_signing") == "ca_not_accredited"
    # the same certificate without proof of time is judged now: refused for the accreditation
    [plain] = V.verify_cms(cades.sign(CONTENT, cades.party(demo_pki, "person", "head", "gost256")), CONTENT,
                           trust_store=store, validate=validate)
    assert plain.indication != V.PASSED and plain.certificate.code == "ca_not_accredited"


def test_accreditation_ended_before_the_proven_time_refuses_it(demo_pki):
    store = TrustStore.from_paths(demo_pki.trust_dir)
    validate = _decide(demo_pki, ended=cades.ago(hours=3))
    [v] = V.verify_cms(_stamped(demo_pki, cades.ago(hours=2)), CONTENT, trust_store=store, validate=validate)
    assert v.indication in (V.FAILED, V.INDETERMINATE) and v.certificate.code == "ca_not_accredited"
    check = next(c for c in v.checks if c.name.startswith("Сертификат подписанта"))
    assert check.passed is False and "аккредитац" in check.detail.lower() and "Демо УЦ ГОСТ" in check.detail
    assert v.message.startswith("Действительность подписи не установлена: Аккредитация")
    assert "«Демо УЦ ГОСТ»" in v.message
