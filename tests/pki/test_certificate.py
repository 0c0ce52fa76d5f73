"""Parsing of qualified certificates: identity, extensions and input formats."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from registry.pki import MalformedCertificate, load_certificate
from registry.pki.demo_pki import ENTREPRENEUR_OGRNIP, ORGANIZATION, PEOPLE


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
    from datetime import timedelta

    from registry.pki import oids
    from registry.pki.builder import build_certificate, generate_key, utcnow

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


# --- RFC 5280 §4.2: tolerant reading of extensions -------------------------------------------
def _issue_with(demo_pki, alg: str, extra, *, days: int = 30):
    from datetime import timedelta

    from asn1crypto import x509

    from registry.pki.builder import build_certificate, generate_key, load_key, utcnow
    from registry.pki.demo_pki import person_subject

    ca = demo_pki.ca(alg)
    issuer = x509.Certificate.load(ca.certificate.der)
    issuer_key = load_key(alg, ca.key_path.read_bytes())
    now = utcnow()
    return build_certificate(
        subject=person_subject("head", alg), subject_key=generate_key(alg), issuer_key=issuer_key,
        issuer=issuer, not_before=now - timedelta(hours=1), not_after=now + timedelta(days=days),
        key_usage=("digital_signature", "non_repudiation"), extra_extensions=extra).dump()


# subjectDirectoryAttributes that does not decode: asn1crypto would parse it for any extension
# lookup, so path validation would break on it without the tolerant reading.
_BROKEN_SDA = ("2.5.29.9", b"\x04\x03abc", False)
_TEMPLATE_UTF8 = ("1.3.6.1.4.1.311.20.2", b"\x0c\x05SubCA", False)
_TEMPLATE_PRINTABLE = ("1.3.6.1.4.1.311.20.2", b"\x13\x05SubCA", False)


@pytest.mark.parametrize("alg", ["ecdsa", "gost256"])
def test_undecodable_non_critical_extension_is_ignored_and_chain_validates(demo_pki, trust_store,
                                                                          alg):
    from registry.pki import validate

    der = _issue_with(demo_pki, alg, [_BROKEN_SDA, _TEMPLATE_UTF8])
    cert = load_certificate(der)
    assert cert.unreadable_extensions == ["2.5.29.9"]
    assert cert.quirks == ["unreadable_extension"]
    assert cert.full_name  # identity still read
    # The signature covers the TBS bytes as issued: they reach the validator unchanged.
    result = validate(der, trust_store=trust_store, purpose="signature")
    assert result.valid, result.message
    assert cert.der == der


def test_template_name_in_any_string_type(demo_pki):
    for ext in (_TEMPLATE_UTF8, _TEMPLATE_PRINTABLE):
        cert = load_certificate(_issue_with(demo_pki, "ecdsa", [ext]))
        assert cert.unreadable_extensions == []
        assert cert._ext[ext[0]]["extn_value"].parsed.native == "SubCA"


def test_undecodable_critical_extension_refuses(demo_pki):
    with pytest.raises(MalformedCertificate, match="критическое расширение 2.5.29.9"):
        load_certificate(_issue_with(demo_pki, "ecdsa", [("2.5.29.9", b"\x04\x03abc", True)]))


def test_unknown_critical_extension_refuses_validation(demo_pki, trust_store):
    from registry.pki import validate

    der = _issue_with(demo_pki, "ecdsa", [("1.2.3.4.5", b"\x05\x00", True)])
    assert load_certificate(der).unreadable_extensions == []  # readable …
    result = validate(der, trust_store=trust_store, purpose="signature")
    assert not result.valid and result.code == "path_constraints"  # … but not understood
    assert "1.2.3.4.5" in result.message


def test_name_attribute_in_unexpected_string_type():
    from asn1crypto import core, x509

    from registry.pki.certificate import parse_name

    # telephoneNumber as UTF8String (the standard says PrintableString), as a real CA wrote it.
    name = x509.Name.build({"common_name": "X"})
    name.chosen.append(x509.RelativeDistinguishedName([x509.NameTypeAndValue(
        {"type": "2.5.4.20", "value": core.UTF8String("84852587300")})]))
    reparsed = x509.Name.load(name.dump())
    assert parse_name(reparsed) == [("2.5.4.3", "X"), ("2.5.4.20", "84852587300")]
    assert reparsed.hashable == x509.Name.load(name.dump()).hashable


# --- trust folder with an unreadable file ---------------------------------------------------
def test_trust_folder_with_unreadable_files_loads_the_rest(demo_pki, tmp_path):
    import shutil

    from registry.pki import TrustStore, TrustStoreError

    folder = tmp_path / "trust"
    shutil.copytree(demo_pki.trust_dir, folder)
    (folder / "broken.pem").write_bytes(
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    (folder / "garbage.crl").write_bytes(b"not a CRL")
    (folder / "empty.cer").write_bytes(b"")
    from datetime import timedelta

    from registry.pki.builder import build_certificate, generate_key, utcnow

    key, now = generate_key("ecdsa"), utcnow()
    (folder / "ca.der").write_bytes(build_certificate(
        subject=[("CN", "УЦ Тест"), ("O", "ООО «Тест»")], subject_key=key, issuer_key=key,
        issuer=None, not_before=now, not_after=now + timedelta(days=1), ca=True,
        extra_extensions=[("2.5.29.9", b"\x04\x01a", True)]).dump())
    good = TrustStore.from_paths(demo_pki.trust_dir)
    store = TrustStore.from_paths(folder)
    assert store.id == good.id  # everything readable is there
    assert len(store.roots) == len(good.roots) and len(store.crls) == len(good.crls)
    problems = {Path(p.path).name: p.message for p in store.problems}
    assert set(problems) == {"broken.pem", "garbage.crl", "empty.cer", "ca.der"}
    assert "CRL" in problems["garbage.crl"] and "пустые данные" in problems["empty.cer"]
    assert "критическое расширение 2.5.29.9" in problems["ca.der"]
    # The CA of an unreadable certificate can still be named.
    subjects = {Path(p.path).name: p.subject for p in store.problems}
    assert subjects["ca.der"] == "CN=УЦ Тест, O=ООО «Тест»" and subjects["garbage.crl"] is None
    assert store.unreadable_ca("CN=УЦ Тест, O=ООО «Тест»").path.endswith("ca.der")
    assert store.unreadable_ca("CN=Другой") is None
    from registry.pki.certificate import unreadable_subject

    assert unreadable_subject((folder / "ca.der").read_bytes()) == "CN=УЦ Тест, O=ООО «Тест»"
    assert unreadable_subject(b"garbage") is None
    assert str(store.problems[0]).startswith(str(folder))
    # A file named on its own is still an error.
    with pytest.raises(TrustStoreError, match="broken.pem"):
        TrustStore.from_paths(folder / "broken.pem")


def test_postal_address_with_utf8string_lines():
    from asn1crypto import core, x509

    from registry.pki.certificate import parse_name

    lines = core.SequenceOf(spec=core.UTF8String)
    for line in ("150047", "Ярославль", "ул. Угличская, 39В"):
        lines.append(line)
    name = x509.Name.build({"common_name": "X"})
    name.chosen.append(x509.RelativeDistinguishedName([x509.NameTypeAndValue(
        {"type": "2.5.4.16", "value": core.Asn1Value.load(lines.dump())})]))
    reparsed = x509.Name.load(name.dump())
    assert ("2.5.4.16", "150047, Ярославль, ул. Угличская, 39В") in parse_name(reparsed)
    # Comparable (path building compares issuer names), equal only to the same encoding.
    assert reparsed == x509.Name.load(name.dump())
    assert reparsed != x509.Name.build({"common_name": "X"})


def test_intermediate_with_undecodable_non_critical_extension_validates():
    from datetime import timedelta

    from registry.pki import TrustStore, validate
    from registry.pki.builder import build_certificate, generate_key, utcnow

    now = utcnow()
    span = {"not_before": now - timedelta(days=1), "not_after": now + timedelta(days=30)}
    root_key, ca_key, leaf_key = (generate_key("gost256") for _ in range(3))
    root = build_certificate(subject=[("CN", "Корень")], subject_key=root_key, issuer_key=root_key,
                             issuer=None, ca=True, key_usage=("key_cert_sign", "crl_sign"), **span)
    ca = build_certificate(subject=[("CN", "УЦ")], subject_key=ca_key, issuer_key=root_key,
                           issuer=root, ca=True, key_usage=("key_cert_sign", "crl_sign"),
                           extra_extensions=[_BROKEN_SDA, _TEMPLATE_PRINTABLE], **span)
    leaf = build_certificate(subject=[("CN", "Иванов")], subject_key=leaf_key, issuer_key=ca_key,
                             issuer=ca, key_usage=("digital_signature",), **span)
    assert load_certificate(ca.dump()).unreadable_extensions == ["2.5.29.9"]
    store = TrustStore.build([load_certificate(root.dump())], [load_certificate(ca.dump())])
    off = {"revocation": "none"}
    result = validate(leaf.dump(), trust_store=store, purpose="signature", **off)
    assert result.valid, result.message
    assert [c.der for c in result.chain] == [ca.dump(), root.dump()]
    # The same chain with the intermediate's signature broken is refused: the signature is
    # checked over the TBS bytes exactly as issued.
    broken = bytearray(ca.dump())
    broken[-3] ^= 0x01
    store = TrustStore.build([load_certificate(root.dump())], [load_certificate(bytes(broken))])
    refused = validate(leaf.dump(), trust_store=store, purpose="signature", **off)
    assert refused.code == "bad_signature"


@pytest.mark.parametrize("string_type", ["NumericString", "PrintableString", "UTF8String",
                                         "IA5String"])
def test_identifiers_in_any_string_type(string_type):
    from datetime import timedelta

    from asn1crypto import core, x509

    from registry.identifiers import make_inn, make_ogrn
    from registry.pki import oids
    from registry.pki.builder import build_certificate, generate_key, utcnow

    kind = getattr(core, string_type)
    ogrn, inn = make_ogrn("102770000001"), make_inn("770000001")
    rdns = [x509.RelativeDistinguishedName([x509.NameTypeAndValue({"type": oid, "value": value})])
            for oid, value in ((oids.OGRN, kind(ogrn)), (oids.INN, kind("00" + inn)),
                               ("common_name", x509.DirectoryString(name="printable_string",
                                                                    value="OOO Primer")))]
    name = x509.Name(name="", value=x509.RDNSequence(rdns))
    key, now = generate_key("ecdsa"), utcnow()
    cert = load_certificate(build_certificate(
        subject=[], subject_name=name, subject_key=key, issuer_key=key, issuer=None,
        not_before=now, not_after=now + timedelta(days=1)).dump())
    assert cert.ogrn == ogrn and cert.inn_le == inn and cert.personal_inn is None
    raw = cert.asn1.subject.chosen[0][0]["value"]  # as the name was read (names are lazy)
    assert raw.contents[0] == kind.tag  # encoded as that type
    assert cert.common_name == "OOO Primer"
    assert cert.quirks == ["inn_padded"]
