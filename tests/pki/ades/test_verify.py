"""The one verifier (registry.pki.ades.verify) on CAdES-BES/T/X-L/A, several signers,
counter-signatures and PAdES made by the test PKIs; each judged at the time of signing."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta

import pytest

from registry.extensions import utcnow
from registry.pki import TrustStore
from registry.pki.ades import verify as V
from registry.pki.ades.limits import Limits
from registry.pki.validation import clear_all
from tests import cades
from tests.tsa import OPENSSL_CONF

CONTENT = b"%PDF-like content " * 500


@pytest.fixture(scope="module")
def store(demo_pki):
    return TrustStore.from_paths(demo_pki.trust_dir)


@pytest.fixture(scope="module")
def tsa(demo_pki):
    return cades.issue(demo_pki, "gost256", not_before=cades.ago(days=29), not_after=cades.ago(days=-900), tsa=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_all()


def head(demo_pki, alg="gost256"):
    return cades.party(demo_pki, "person", "head", alg)


def openssl_verifies(demo_pki, tmp_path, signature: bytes, content: bytes | None = CONTENT) -> bool:
    (tmp_path / "sig.der").write_bytes(signature)
    (tmp_path / "ca.pem").write_bytes(b"".join(p.read_bytes() for p in sorted(demo_pki.trust_dir.glob("*.crt"))))
    args = ["openssl", "cms", "-verify", "-engine", "gost", "-binary", "-inform", "DER", "-in", tmp_path / "sig.der",
            "-CAfile", tmp_path / "ca.pem", "-purpose", "any", "-out", os.devnull]
    if content is not None:
        (tmp_path / "content").write_bytes(content)
        args += ["-content", tmp_path / "content"]
    done = subprocess.run(args, capture_output=True, env=dict(os.environ, OPENSSL_CONF=str(OPENSSL_CONF)))
    return done.returncode == 0


@pytest.mark.parametrize("alg", ["gost256", "ecdsa", "rsa"])
def test_bes_detached_and_attached(demo_pki, store, tmp_path, alg):
    signature = cades.sign(CONTENT, head(demo_pki, alg))
    [v] = V.verify_cms(signature, CONTENT, trust_store=store)
    assert (v.indication, v.format, v.intact) == (V.PASSED, "CAdES-BES", True), v.checks
    assert v.signer.full_name == "Иванов Иван Иванович" and v.signing_time and v.best_signature_time is None
    assert openssl_verifies(demo_pki, tmp_path, signature)
    attached = cades.sign(CONTENT, head(demo_pki, alg), attached=True)
    assert [v.indication for v in V.verify_cms(attached, None, trust_store=store)] == [V.PASSED]
    assert openssl_verifies(demo_pki, tmp_path, attached, None)


def test_openssl_made_gost_signature_is_read(demo_pki, store, tmp_path):
    from tests.documents.test_signatures import cms_sign

    signature = cms_sign(demo_pki, tmp_path, "head", "gost256", CONTENT)
    [v] = V.verify_cms(signature, CONTENT, trust_store=store)
    assert v.indication == V.PASSED, v.checks


@pytest.mark.parametrize("alg", ["gost256", "ecdsa"])
def test_cms_without_signed_attributes(demo_pki, store, alg):
    signature = cades.sign(CONTENT, head(demo_pki, alg), attrs=False)
    [v] = V.verify_cms(signature, CONTENT, trust_store=store)
    assert (v.indication, v.format) == (V.PASSED, "CMS"), v.checks
    [bad] = V.verify_cms(signature, CONTENT + b"x", trust_store=store)
    assert bad.indication == V.FAILED


def test_tampered_content_fails(demo_pki, store):
    signature = cades.sign(CONTENT, head(demo_pki))
    [v] = V.verify_cms(signature, CONTENT[:-1] + b"!", trust_store=store)
    assert (v.indication, v.sub_indication, v.intact) == (V.FAILED, "HASH_FAILURE", False)
    assert "изменены" in v.message


def test_detached_without_content_is_indeterminate(demo_pki, store):
    [v] = V.verify_cms(cades.sign(CONTENT, head(demo_pki)), None, trust_store=store)
    assert (v.indication, v.sub_indication) == (V.INDETERMINATE, "SIGNED_DATA_NOT_FOUND")


def test_cades_t_x_long_and_a(demo_pki, store, tsa, tmp_path):
    bes = cades.sign(CONTENT, head(demo_pki))
    t = cades.add_time_stamp(bes, tsa, cades.ago(minutes=10))
    xl = cades.to_x_long(t, demo_pki, tsa, cades.ago(minutes=9))
    a = cades.to_archive(xl, tsa, cades.ago(minutes=8))
    for signature, level in ((t, "CAdES-T"), (xl, "CAdES-X Long Type 1"), (a, "CAdES-A")):
        [v] = V.verify_cms(signature, CONTENT, trust_store=store)
        assert (v.indication, v.format) == (V.PASSED, level), v.checks
        assert v.best_signature_time is not None and v.best_signature_time <= utcnow()
        assert openssl_verifies(demo_pki, tmp_path, signature), level
    [v] = V.verify_cms(xl, CONTENT, trust_store=store)
    names = {c.name: c for c in v.checks}
    assert names["Доказательства (CAdES-X Long)"].passed and names["Штамп времени CAdES-C"].passed


def test_forged_time_stamp_is_not_proof(demo_pki, store, tsa):
    bes = cades.sign(CONTENT, head(demo_pki))
    token = cades.time_stamp_token(b"another signature value", tsa, cades.ago(minutes=5))
    from asn1crypto import cms

    forged = cades._edit(bes, 0, [cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]})])
    [v] = V.verify_cms(forged, CONTENT, trust_store=store)
    assert v.best_signature_time is None
    assert any(c.name == "Штамп времени на подписи" and c.passed is False for c in v.checks)


def test_expired_after_signing_stays_valid(demo_pki, store, tsa):
    """Signed (and time-stamped) 20 days ago by a certificate that expired 5 days ago."""
    signer = cades.issue(demo_pki, "gost256", not_before=cades.ago(days=25), not_after=cades.ago(days=5))
    bes = cades.sign(CONTENT, signer, signing_time=cades.ago(days=20))
    [plain] = V.verify_cms(bes, CONTENT, trust_store=store)
    assert (plain.indication, plain.sub_indication) == (V.INDETERMINATE, "OUT_OF_BOUNDS_NO_POE"), plain.checks
    t = cades.add_time_stamp(bes, tsa, cades.ago(days=20))
    [stamped] = V.verify_cms(t, CONTENT, trust_store=store)
    assert stamped.indication == V.PASSED, stamped.checks
    assert stamped.best_signature_time < utcnow() - timedelta(days=19)
    late = cades.add_time_stamp(bes, tsa, cades.ago(days=2))  # proven only after the expiry
    [v] = V.verify_cms(late, CONTENT, trust_store=store)
    assert (v.indication, v.sub_indication) == (V.FAILED, "EXPIRED")


def test_revoked_after_signing_stays_valid(demo_pki, store, tsa):
    """employee2 was revoked an hour ago (the demo CRL); signed and stamped two hours ago."""
    signer = cades.party(demo_pki, "person", "employee2", "gost256")
    bes = cades.sign(CONTENT, signer, signing_time=cades.ago(hours=2))
    [plain] = V.verify_cms(bes, CONTENT, trust_store=store)
    assert (plain.indication, plain.sub_indication) == (V.INDETERMINATE, "REVOKED_NO_POE"), plain.checks
    t = cades.add_time_stamp(bes, tsa, cades.ago(hours=2))
    [stamped] = V.verify_cms(t, CONTENT, trust_store=store)
    assert stamped.indication == V.PASSED, stamped.checks
    after = cades.add_time_stamp(bes, tsa, cades.ago(minutes=30))
    [v] = V.verify_cms(after, CONTENT, trust_store=store)
    assert (v.indication, v.sub_indication) == (V.FAILED, "REVOKED")


def test_every_signer_and_counter_signature(demo_pki, store, tmp_path):
    signature = cades.sign(CONTENT, head(demo_pki), cades.party(demo_pki, "person", "employee1", "gost256"),
                           cades.party(demo_pki, "person", "employee2", "gost256"))
    signature = cades.countersign(signature, cades.party(demo_pki, "person", "employee1", "gost256"), index=0)
    verdicts = V.verify_cms(signature, CONTENT, trust_store=store)
    assert len(verdicts) == 4 and sorted(v.index for v in verdicts if v.counter_of is None) == [0, 1, 2]
    [counter] = [v for v in verdicts if v.counter_of is not None]
    assert counter.indication == V.PASSED and counter.signer.full_name
    by_name = {v.signer.full_name: v for v in verdicts if v.counter_of is None}
    assert sorted(v.indication for v in by_name.values()) == [V.INDETERMINATE, V.PASSED, V.PASSED]
    assert [v.sub_indication for v in by_name.values() if v.indication == V.INDETERMINATE] == ["REVOKED_NO_POE"]
    assert openssl_verifies(demo_pki, tmp_path, cades.sign(CONTENT, head(demo_pki), head(demo_pki, "gost256")))


def test_untrusted_signer_is_indeterminate(demo_pki, store):
    signer = cades.party(demo_pki, "special", "untrusted", "gost256")
    [v] = V.verify_cms(cades.sign(CONTENT, signer), CONTENT, trust_store=store)
    assert (v.indication, v.sub_indication) == (V.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")


def test_thousand_signers_refused_before_any_is_checked(demo_pki, store, monkeypatch):
    from asn1crypto import cms

    one = cms.ContentInfo.load(cades.sign(CONTENT, head(demo_pki, "ecdsa")))
    info = one["content"]["signer_infos"][0]
    one["content"]["signer_infos"] = cms.SignerInfos.load(_der_set(info.dump() * 1000))
    checked: list[object] = []
    original = V._signer
    monkeypatch.setattr(V, "_signer", lambda *a, **k: checked.append(a) or original(*a, **k))
    [v] = V.verify_cms(one.dump(), CONTENT, trust_store=store)
    assert v.indication == V.INDETERMINATE and "1000 подписантов" in v.message
    assert checked == []  # counted, not one of them parsed or verified


def _der_set(body: bytes) -> bytes:
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return b"\x31" + bytes([0x80 | len(size)]) + size + body


def test_huge_revocation_values_and_many_time_stamps_are_bounded(demo_pki, store, tsa):
    t = cades.add_time_stamp(cades.sign(CONTENT, head(demo_pki)), tsa, cades.ago(minutes=5))
    xl = cades.to_x_long(t, demo_pki, tsa, cades.ago(minutes=4), revocation_copies=100)
    [v] = V.verify_cms(xl, CONTENT, trust_store=store)
    assert v.indication == V.INDETERMINATE and "списков отзыва" in v.message
    [small] = V.verify_cms(xl, CONTENT, trust_store=store, limits=Limits(max_attribute_bytes=1024))
    assert "КБ" in small.message
    deep = t
    for minutes in range(6):
        deep = cades.add_time_stamp(deep, tsa, cades.ago(minutes=minutes + 1))
    [v] = V.verify_cms(deep, CONTENT, trust_store=store)
    assert v.indication == V.INDETERMINATE and "штампов времени" in v.message


def test_garbage_is_refused(store):
    [v] = V.verify_cms(b"not a signature", b"x", trust_store=store)
    assert v.indication == V.INDETERMINATE and v.sub_indication == "FORMAT_FAILURE"


def test_pdf_every_signature(demo_pki, store):
    from tests.documents.pdfs import gost_signed_pdf, signed_pdf

    first = demo_pki.person("head", "gost256")
    second = demo_pki.person("employee1", "ecdsa")
    pdf = gost_signed_pdf(first.key_path, first.cert_path, [demo_pki.ca("gost256").cert_path])
    assert [v.indication for v in V.verify_pdf(pdf, trust_store=store)] == [V.PASSED]
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: F401

    twice = gost_signed_pdf(second.key_path, second.cert_path, data=pdf, field_name="Signature2", alg="gost256") \
        if False else _sign_again(pdf, second, demo_pki)
    verdicts = V.verify_pdf(twice, trust_store=store)
    assert [(v.indication, v.format) for v in verdicts] == [(V.PASSED, "PAdES-B-B")] * 2
    covered = {c.name: c.passed for c in verdicts[0].checks}["Подпись охватывает"]
    assert covered is False  # the first signature covers a revision, the second the whole file
    assert V.verify_file(twice, trust_store=store)[1].signer.full_name
    _ = signed_pdf


def _sign_again(pdf: bytes, person, demo_pki) -> bytes:
    import io

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load(str(person.key_path), str(person.cert_path),
                                       ca_chain_files=(str(demo_pki.ca("ecdsa").cert_path),))
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), signers.PdfSignatureMetadata(field_name="Signature2"),
                     signer=signer, output=out)
    return out.getvalue()


def _x_long(demo_pki, tsa, signer, at, **values):
    t = cades.add_time_stamp(cades.sign(CONTENT, signer, signing_time=at), tsa, at)
    return cades.to_x_long(t, demo_pki, tsa, at + timedelta(minutes=1), **values)


def _check(verdict, kind):
    return next(c for c in verdict.checks if c.name == f"Доказательство отзыва из подписи ({kind})")


def test_forged_carried_crl_is_not_evidence(demo_pki, store, tsa):
    """A carried CRL listing the signer as revoked before the signing: counted when the CA
    signed it, not counted when its signature is forged."""
    ca = cades.ca_party(demo_pki, "gost256")
    signer = head(demo_pki)
    base, root_crl = cades._crls(demo_pki, "gost256")
    at = cades.ago(hours=2)
    signed = cades.crl_revoking(ca, base, signer.cert.serial_number, cades.ago(hours=3))
    [v] = V.verify_cms(_x_long(demo_pki, tsa, signer, at, crls=[signed, root_crl]), CONTENT, trust_store=store)
    assert (v.indication, v.sub_indication) == (V.FAILED, "REVOKED"), v.checks
    assert _check(v, "СОС").passed is False
    forged = cades.crl_revoking(ca, base, signer.cert.serial_number, cades.ago(hours=3), forge=True)
    [v] = V.verify_cms(_x_long(demo_pki, tsa, signer, at, crls=[forged, root_crl]), CONTENT, trust_store=store)
    assert v.indication == V.PASSED, v.checks
    assert _check(v, "СОС").passed is None and "не учитывается" in _check(v, "СОС").detail


def test_carried_ocsp_good_at_signing_for_a_certificate_revoked_later(demo_pki, store, tsa):
    """employee2 was revoked an hour ago; the signature carries the CA's OCSP 'good' answer
    produced at signing time, two hours ago."""
    ca = cades.ca_party(demo_pki, "gost256")
    signer = cades.party(demo_pki, "person", "employee2", "gost256")
    at = cades.ago(hours=2)
    root_crl = cades._crls(demo_pki, "gost256")[1]  # the CA's own certificate, under the root
    good = cades.ocsp_response(ca, signer.cert, produced_at=at + timedelta(minutes=1))
    [v] = V.verify_cms(_x_long(demo_pki, tsa, signer, at, crls=[root_crl], ocsps=(good,)), CONTENT, trust_store=store)
    assert v.indication == V.PASSED, v.checks
    assert _check(v, "OCSP").passed is True
    assert v.certificate.details.get("revocation_evidence") == "carried"
    forged = cades.ocsp_response(ca, signer.cert, produced_at=at + timedelta(minutes=1), forge=True)
    [v] = V.verify_cms(_x_long(demo_pki, tsa, signer, at, crls=[root_crl], ocsps=(forged,)), CONTENT, trust_store=store)
    assert _check(v, "OCSP").passed is None  # not counted; today's CRL decides (revoked after signing)


def test_gost_2001_archive_signature_hashed_with_gost_94(tmp_path):
    """A GOST R 34.10-2001 / R 34.11-94 CMS made by openssl with the GOST engine (as archives
    from before 2020 are): integrity and the signature value are checked; the algorithm is
    withdrawn, so without proof of an earlier time the verdict is INDETERMINATE, not «invalid»."""
    env = dict(os.environ, OPENSSL_CONF=str(OPENSSL_CONF))

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, env=env, cwd=tmp_path)

    run("genpkey", "-engine", "gost", "-algorithm", "gost2001", "-pkeyopt", "paramset:A", "-out", "key.pem")
    run("req", "-engine", "gost", "-new", "-x509", "-key", "key.pem", "-md_gost94", "-subj", "/CN=Архив 2001/C=RU",
        "-utf8", "-days", "30", "-out", "cert.pem")
    (tmp_path / "doc.txt").write_bytes(b"archive document")
    run("cms", "-engine", "gost", "-sign", "-binary", "-in", "doc.txt", "-signer", "cert.pem", "-inkey", "key.pem",
        "-md", "md_gost94", "-outform", "DER", "-out", "doc.sig")
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "root.crt").write_bytes((tmp_path / "cert.pem").read_bytes())
    signature = (tmp_path / "doc.sig").read_bytes()
    [v] = V.verify_cms(signature, b"archive document", trust_store=TrustStore.from_paths(trust))
    assert v.intact and [c.passed for c in v.checks if c.name == "Значение подписи"] == [True], v.checks
    assert (v.indication, v.sub_indication) == (V.INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE")
    [changed] = V.verify_cms(signature, b"archive document!", trust_store=TrustStore.from_paths(trust))
    assert (changed.indication, changed.sub_indication) == (V.FAILED, "HASH_FAILURE")
