"""Parsing of qualified certificates: identity, extensions and input formats."""

from __future__ import annotations

import base64

import pytest

from registry.pki import MalformedCertificate, load_certificate
from registry.pki.demo import ENTREPRENEUR_OGRNIP, ORGANIZATION, PEOPLE


@pytest.mark.parametrize("alg", ["gost256", "ecdsa", "rsa"])
def test_legal_entity_head(demo_pki, alg):
    cert = demo_pki.person("head", alg).certificate
    assert cert.holder_kind == "legal_entity"
    assert cert.ogrn == ORGANIZATION["ogrn"] and cert.inn_le == ORGANIZATION["inn"]
    assert cert.snils == PEOPLE["head"]["snils"] and cert.personal_inn == PEOPLE["head"]["inn"]
    assert cert.full_name == "Иванов Иван Иванович"
    assert cert.title == "Генеральный директор" and cert.organization == ORGANIZATION["name"]
    assert cert.qualified_classes == ["КС1", "КС2"]
    assert cert.subject_sign_tool and len(cert.issuer_sign_tool) == 4
    assert cert.private_key_not_after is not None
    assert cert.checksum_errors == []
    assert cert.account_key() == ("snils", PEOPLE["head"]["snils"])


def test_algorithms_are_named(demo_pki):
    assert demo_pki.person("head", "gost256").certificate.algorithm == "ГОСТ Р 34.10-2012 (256 бит)"
    assert demo_pki.person("head", "gost256").certificate.parameter_set == "id-tc26-gost-3410-2012-256-paramSetA"
    assert demo_pki.person("head", "ecdsa").certificate.algorithm == "ECDSA P-256"
    assert demo_pki.person("head", "rsa").certificate.algorithm == "RSA 2048"


def test_entrepreneur_and_individual(demo_pki):
    ip = demo_pki.person("ip", "ecdsa").certificate
    assert ip.holder_kind == "entrepreneur" and ip.ogrnip == ENTREPRENEUR_OGRNIP
    employee = demo_pki.person("employee1", "rsa").certificate
    assert employee.holder_kind == "individual" and employee.ogrn is None
    assert "физического лица" in employee.holder_kind_label


def test_renewed_certificate_has_same_account_key(demo_pki):
    keys = {demo_pki.person("employee1", alg).certificate.account_key() for alg in ("gost256", "ecdsa", "rsa")}
    assert len(keys) == 1


def test_checksum_errors_are_reported(demo_pki):
    from registry.pki import oids
    from registry.pki.builder import build_certificate, generate_key, utcnow
    from datetime import timedelta

    key = generate_key("ecdsa")
    now = utcnow()
    cert = build_certificate(subject=[("CN", "X"), (oids.SNILS, "11223344596"), (oids.INN, "770123456780"),
                                      (oids.OGRN, "1027700000011")],
                             subject_key=key, issuer_key=key, issuer=None, not_before=now,
                             not_after=now + timedelta(days=1))
    parsed = load_certificate(cert.dump())
    assert set(parsed.checksum_errors) == {"СНИЛС", "ИНН", "ОГРН"}
    assert parsed.account_key()[0] == "cert"


def test_input_formats(demo_pki):
    cert = demo_pki.person("head", "ecdsa").certificate
    b64 = base64.b64encode(cert.der).decode()
    wrapped = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    for data in (cert.der, cert.pem, cert.pem.encode(), b64, wrapped):
        assert load_certificate(data).fingerprint == cert.fingerprint


@pytest.mark.parametrize("data,words", [
    (b"-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n", "PUBLIC KEY"),
    (b"\x00\x01\x02", "не похожи"),
    (b"\x30" + b"\x00" * 70000, "слишком большой"),
])
def test_malformed_inputs_raise_clear_errors(data, words):
    with pytest.raises(MalformedCertificate, match=words):
        load_certificate(data)


@pytest.mark.parametrize("name", ["tk26iok/256-selfsigned.der", "tk26iok/512-selfsigned.der",
                                  "rfc9215/256_test_paramset/cert.der", "rfc9215/256a_paramset/cert.der",
                                  "rfc9215/512_test_paramset/cert.der"])
def test_tc26_and_rfc9215_certificates_parse(conformance, name):
    cert = load_certificate((conformance / "gost" / name).read_bytes())
    assert cert.algorithm.startswith("ГОСТ Р 34.10-2012")
    assert cert.is_self_signed
