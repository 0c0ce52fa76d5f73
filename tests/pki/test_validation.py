"""Every reason code, produced by a real certificate of the demo PKI, for GOST, ECDSA and RSA."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from registry.pki import TrustStore, load_certificate, validate
from registry.pki import reasons as R
from registry.pki.builder import build_crl, load_key, utcnow
from registry.pki.store import load_crl
from registry.pki.validation import CACHES, clear_all

ALGS = ("gost256", "ecdsa", "rsa")


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("person", ["head", "ip", "employee1"])
def test_people_are_trusted(demo_pki, trust_store, alg, person):
    result = validate(demo_pki.person(person, alg).certificate, trust_store=trust_store)
    assert result.valid and result.code == R.OK
    label = {"gost256": "ГОСТ", "ecdsa": "ECDSA", "rsa": "RSA"}[alg]
    assert len(result.chain) == 2 and all(c.is_ca for c in result.chain)
    assert f"Демо корневой УЦ ({label})" in result.chain[-1].subject


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("kind,code,words", [
    ("expired", R.EXPIRED, "закончился"),
    ("not_yet_valid", R.NOT_YET_VALID, "начнёт действовать"),
    ("wrong_purpose", R.WRONG_PURPOSE, "проверка подлинности клиента"),
    ("bad_signature", R.BAD_SIGNATURE, "подделан"),
    ("unsupported_algorithm", R.UNSUPPORTED_ALGORITHM, "не поддерживается"),
    ("ca_as_leaf", R.CA_AS_LEAF, "личный сертификат"),
])
def test_special_certificates(demo_pki, trust_store, alg, kind, code, words):
    result = validate(demo_pki.special(kind, alg).certificate, trust_store=trust_store)
    assert (result.valid, result.code) == (False, code)
    assert words in result.message


@pytest.mark.parametrize("alg", ALGS)
def test_revoked_names_the_date(demo_pki, trust_store, alg):
    result = validate(demo_pki.person("employee2", alg).certificate, trust_store=trust_store)
    assert result.code == R.REVOKED
    assert result.details["date"] < utcnow()
    # the message speaks Moscow time (the date differs from UTC's between 21:00 and 24:00)
    assert result.details["date"].astimezone(ZoneInfo("Europe/Moscow")).strftime("%d.%m.%Y") in result.message


@pytest.mark.parametrize("alg", ALGS)
def test_untrusted_root_names_the_root(demo_pki, trust_store, alg):
    result = validate(demo_pki.special("untrusted", alg).certificate, trust_store=trust_store,
                      intermediates=[demo_pki.untrusted_root(alg).read_bytes()])
    assert result.code == R.UNTRUSTED_ROOT
    assert "Недоверенный УЦ" in result.message


@pytest.mark.parametrize("alg", ALGS)
def test_incomplete_chain_names_missing_issuer(demo_pki, alg):
    store = TrustStore.from_paths(demo_pki.trust_dir / f"root-{alg}.crt", demo_pki.trust_dir / f"root-{alg}.crl")
    result = validate(demo_pki.person("head", alg).certificate, trust_store=store)
    assert result.code == R.INCOMPLETE_CHAIN
    assert "CN=Демо УЦ (" in result.message


@pytest.mark.parametrize("alg", ALGS)
def test_path_constraints(demo_pki, trust_store, alg):
    result = validate(demo_pki.special("path_constraints", alg).certificate, trust_store=trust_store,
                      intermediates=[demo_pki.extra_ca(alg).read_bytes()])
    assert result.code == R.PATH_CONSTRAINTS
    assert "длина цепочки" in result.message


@pytest.mark.parametrize("alg", ALGS)
def test_missing_crl_is_unknown_not_revoked(demo_pki, alg):
    store = TrustStore.from_paths(demo_pki.trust_dir / f"root-{alg}.crt", demo_pki.trust_dir / f"ca-{alg}.crt",
                                  demo_pki.trust_dir / f"root-{alg}.crl")
    result = validate(demo_pki.person("employee2", alg).certificate, trust_store=store)
    assert result.code == R.REVOCATION_UNKNOWN
    assert "Демо УЦ (" in result.message


@pytest.mark.parametrize("alg", ALGS)
def test_crl_past_next_update_is_unknown(demo_pki, alg):
    ca = demo_pki.ca(alg)
    now = utcnow()
    stale = build_crl(issuer=ca.certificate.asn1, issuer_key=load_key(alg, ca.key_path.read_bytes()),
                      this_update=now - timedelta(days=10), next_update=now - timedelta(days=1))
    root_crl = load_crl((demo_pki.trust_dir / f"root-{alg}.crl").read_bytes())
    base = TrustStore.from_paths(demo_pki.trust_dir / f"root-{alg}.crt", demo_pki.trust_dir / f"ca-{alg}.crt")
    store = TrustStore.build(base.roots, base.intermediates, [root_crl, stale])
    assert validate(demo_pki.person("employee1", alg).certificate, trust_store=store).code == R.REVOCATION_UNKNOWN


@pytest.mark.parametrize("alg", ALGS)
def test_time_tolerance_is_zero(demo_pki, trust_store, alg):
    # Revocation is checked elsewhere; at notAfter the demo CRLs are long past nextUpdate.
    cert = demo_pki.person("employee1", alg).certificate
    no_crls = TrustStore.build(trust_store.roots, trust_store.intermediates, ())
    kw = dict(trust_store=no_crls, revocation="none")
    assert validate(cert, at=cert.not_after, **kw).code == R.OK
    after = validate(cert, at=cert.not_after + timedelta(seconds=1), **kw)
    assert after.code == R.EXPIRED
    before = validate(cert, at=cert.not_before - timedelta(seconds=1), **kw)
    assert before.code == R.NOT_YET_VALID


@pytest.mark.parametrize("alg", ALGS)
def test_signature_purpose(demo_pki, trust_store, alg):
    cert = demo_pki.special("wrong_purpose", alg).certificate
    assert validate(cert, trust_store=trust_store, purpose="signature").code == R.WRONG_PURPOSE
    head = demo_pki.person("head", alg).certificate
    assert validate(head, trust_store=trust_store, purpose="signature").valid


@pytest.mark.parametrize("data", [
    b"", b"garbage", b"\x30\x82\xff\xff" + b"\x00" * 10,
    b"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
    b"A" * 500_000, "%%%not a cert", b"\x30\x03\x02\x01\x01",
])
def test_malformed_input_is_a_result(trust_store, data):
    result = validate(data, trust_store=trust_store)
    assert (result.valid, result.code) == (False, R.MALFORMED)
    assert "Не удалось прочитать сертификат" in result.message


def test_truncated_der_is_malformed(demo_pki, trust_store):
    der = demo_pki.person("head", "gost256").certificate.der
    for cut in (1, 10, len(der) // 2, len(der) - 1):
        assert validate(der[:cut], trust_store=trust_store).code == R.MALFORMED


def test_every_reason_code_has_a_russian_message():
    for code in R.ALL_CODES:
        message = R.reason_message(code)
        assert message and any("а" <= ch <= "я" for ch in message.lower())
        assert "{" not in message


def test_results_are_cached_until_deadline(demo_pki, trust_store):
    clear_all()
    cert = demo_pki.person("head", "ecdsa").certificate
    first = validate(cert, trust_store=trust_store)
    assert validate(cert, trust_store=trust_store) is first
    until = next(until for k, (until, _r) in CACHES.results.items()
                 if k[0] == bytes.fromhex(cert.fingerprint))
    assert until <= min(cert.not_after, trust_store.earliest_crl_update)
    # A point-in-time validation neither reads nor fills the cache.
    assert validate(cert, trust_store=trust_store, at=utcnow()) is not first


def test_timeout_returns_a_result(demo_pki, trust_store, monkeypatch):
    import threading

    from registry.pki.validation import api

    clear_all()
    release = threading.Event()

    def stuck(*args, **kwargs):  # a check that would take longer than the time allowed
        release.wait(10)
        raise AssertionError("the result of a timed-out check must not be used")

    monkeypatch.setattr(api, "_validate_now", stuck)
    try:
        result = validate(demo_pki.person("head", "gost256").certificate, trust_store=trust_store,
                          timeout=0.05)
    finally:
        release.set()
    assert result.code == R.TIMEOUT
    assert "не уложилась" in result.message
    monkeypatch.undo()  # a timed-out check is not cached: the next one decides afresh
    assert validate(demo_pki.person("head", "gost256").certificate, trust_store=trust_store).code == R.OK


def test_url_escaped_pem_from_nginx(demo_pki, trust_store):
    from urllib.parse import quote

    pem = demo_pki.person("head", "rsa").pem
    escaped = quote(pem, safe="")
    assert load_certificate(escaped).der == load_certificate(pem).der
    assert validate(escaped, trust_store=trust_store).valid


def test_policy_inputs_are_an_option_of_validate(demo_pki, trust_store):
    from registry.pki import PolicyInputs

    clear_all()
    cert = demo_pki.person("head", "gost256").certificate
    assert cert.qualified_classes  # the leaf names КС1 and КС2
    assert validate(cert, trust_store=trust_store).valid
    # The demo CAs assert no certificate policy: requiring one refuses the chain...
    explicit = PolicyInputs(initial_policy_set=frozenset({"1.2.643.100.113.1"}),
                            initial_explicit_policy=True)
    refused = validate(cert, trust_store=trust_store, policy=explicit)
    assert refused.code == R.PATH_CONSTRAINTS
    # ...and the cached answer for the default inputs is not reused for other inputs.
    assert validate(cert, trust_store=trust_store).valid
    assert validate(cert, trust_store=trust_store, policy=explicit).code == R.PATH_CONSTRAINTS


@pytest.mark.parametrize("kwargs", [
    {"revocation": "ocsp-only"}, {"crl_grace": timedelta(hours=-1)}, {"policy": {"x": 1}},
    {"purpose": "server"},
])
def test_bad_options_are_programming_errors(demo_pki, trust_store, kwargs):
    with pytest.raises((ValueError, TypeError)):
        validate(demo_pki.person("head", "ecdsa").certificate, trust_store=trust_store, **kwargs)


def test_grace_is_not_used_while_crls_are_fresh(demo_pki, trust_store):
    result = validate(demo_pki.person("head", "rsa").certificate, trust_store=trust_store,
                      crl_grace=timedelta(days=3))
    assert result.valid and not result.warnings and "stale_crl_grace" not in result.details


def test_unreadable_extra_intermediate_is_left_out(demo_pki, trust_store):
    result = validate(demo_pki.person("head", "gost256").certificate, trust_store=trust_store,
                      intermediates=[b"not a certificate"])
    assert result.valid


@pytest.mark.parametrize("oid", ["1.2.643.100.111", "1.2.643.100.112"])
def test_a_ca_marking_the_russian_sign_tool_extensions_critical_is_not_refused(oid):
    """Real accredited CAs (e.g. some 2014 certificates) mark subjectSignTool/issuerSignTool
    critical; the product reads them, so they are not "unknown critical" — an extension it
    really does not know still refuses the chain."""
    from datetime import timedelta

    from asn1crypto import core

    from registry.pki import TrustStore, load_certificate, validate
    from registry.pki.builder import build_certificate, generate_key, utcnow

    now = utcnow()
    span = {"not_before": now - timedelta(days=1), "not_after": now + timedelta(days=30)}
    root_key, ca_key, leaf_key = (generate_key("gost256") for _ in range(3))
    root = build_certificate(subject=[("CN", "Корень")], subject_key=root_key, issuer_key=root_key,
                             issuer=None, ca=True, key_usage=("key_cert_sign", "crl_sign"), **span)
    value = core.UTF8String("СКЗИ «КриптоПро CSP»").dump()

    def chain_with(extension_oid: str) -> str:
        ca = build_certificate(subject=[("CN", "УЦ")], subject_key=ca_key, issuer_key=root_key,
                               issuer=root, ca=True, key_usage=("key_cert_sign", "crl_sign"),
                               extra_extensions=[(extension_oid, value, True)], **span)
        leaf = build_certificate(subject=[("CN", "Иванов")], subject_key=leaf_key,
                                 issuer_key=ca_key, issuer=ca, key_usage=("digital_signature",),
                                 **span)
        store = TrustStore.build([load_certificate(root.dump())], [load_certificate(ca.dump())])
        return validate(leaf.dump(), trust_store=store, purpose="signature",
                        revocation="none").code

    assert chain_with(oid) == "ok"
    assert chain_with("1.2.643.100.999") != "ok"


def test_a_ca_whose_certificate_in_the_store_is_unreadable_is_named_as_the_cause(tmp_path):
    """The chain cannot be built because the trust folder's copy of its CA does not load:
    ``ca_certificate_unreadable`` naming the CA (its fault), not «chain incomplete»."""
    from datetime import timedelta

    from registry.pki import TrustStore, validate
    from registry.pki.builder import build_certificate, generate_key, utcnow
    from registry.pki.reasons import is_ca_fault

    now = utcnow()
    span = {"not_before": now - timedelta(days=1), "not_after": now + timedelta(days=30)}
    root_key, ca_key, leaf_key = (generate_key("ecdsa") for _ in range(3))
    root = build_certificate(subject=[("CN", "Корень")], subject_key=root_key, issuer_key=root_key,
                             issuer=None, ca=True, key_usage=("key_cert_sign", "crl_sign"), **span)
    # A critical extension that does not decode makes the CA's certificate unreadable.
    ca = build_certificate(subject=[("CN", "УЦ Сломанный")], subject_key=ca_key,
                           issuer_key=root_key, issuer=root, ca=True,
                           key_usage=("key_cert_sign", "crl_sign"),
                           extra_extensions=[("2.5.29.9", b"\x04\x01a", True)], **span)
    leaf = build_certificate(subject=[("CN", "Иванов")], subject_key=leaf_key, issuer_key=ca_key,
                             issuer=ca, key_usage=("digital_signature",), **span)
    (tmp_path / "root.der").write_bytes(root.dump())
    (tmp_path / "ca.der").write_bytes(ca.dump())
    store = TrustStore.from_paths(tmp_path)
    result = validate(leaf.dump(), trust_store=store, purpose="signature", revocation="none")
    assert result.code == "ca_certificate_unreadable" and is_ca_fault(result.code)
    assert result.details["ca_name"] == "CN=УЦ Сломанный"
    assert "УЦ Сломанный" in result.message
    # Without the unreadable file the same leaf is an ordinary incomplete chain.
    (tmp_path / "ca.der").unlink()
    again = validate(leaf.dump(), trust_store=TrustStore.from_paths(tmp_path),
                     purpose="signature", revocation="none")
    assert again.code == "incomplete_chain"
