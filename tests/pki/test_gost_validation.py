"""GOST chains validated end to end on each GOST backend (OpenSSL engine and gostcrypto)."""

from __future__ import annotations

import pytest

from registry.pki import load_certificate, validate
from registry.pki import reasons as R
from registry.pki.gost import backend
from registry.pki.validation import clear_all

from .conftest import conformance_dir


@pytest.fixture(params=["openssl", "pure"])
def gost_backend(request, monkeypatch):
    monkeypatch.setenv("REGISTRY_GOST_BACKEND", request.param)
    clear_all()  # a cached result would hide which backend computed it
    assert backend().name == request.param
    yield request.param
    clear_all()


@pytest.mark.parametrize("person", ["head", "ip", "employee1"])
def test_gost_people_are_trusted(gost_backend, demo_pki, trust_store, person):
    result = validate(demo_pki.person(person, "gost256").certificate, trust_store=trust_store)
    assert (result.valid, result.code) == (True, R.OK), result.message
    assert len(result.chain) == 2 and result.chain[-1].is_ca


def test_gost_crl_signature_is_checked(gost_backend, demo_pki, trust_store):
    result = validate(demo_pki.person("employee2", "gost256").certificate, trust_store=trust_store)
    assert result.code == R.REVOKED


def test_gost_forged_signature_is_refused(gost_backend, demo_pki, trust_store):
    result = validate(demo_pki.special("bad_signature", "gost256").certificate, trust_store=trust_store)
    assert result.code == R.BAD_SIGNATURE


@pytest.mark.parametrize("case,paramset", [
    ("256_test_paramset", "id-GostR3410-2001-TestParamSet"),
    ("256a_paramset", "id-tc26-gost-3410-2012-256-paramSetA"),
    ("512_test_paramset", "id-tc26-gost-3410-2012-512-paramSetTest"),
])
def test_rfc9215_certificates_parse(gost_backend, case, paramset):
    cert = load_certificate((conformance_dir() / "gost" / "rfc9215" / case / "cert.der").read_bytes())
    assert cert.algorithm.startswith("ГОСТ Р 34.10-2012")
    assert cert.parameter_set == paramset and cert.is_ca
