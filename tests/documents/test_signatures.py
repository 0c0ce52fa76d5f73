"""Signature checks on real signed files: `openssl cms` (RSA, ECDSA, GOST engine) and pyHanko PDFs."""

from __future__ import annotations

import base64
import io
import os
import subprocess

import pytest

from registry.documents import signatures as S
from registry.pki import TrustStore, load_certificate
from registry.pki.validation import clear_all

from .pdfs import plain_pdf, signed_pdf

ALGS = ("rsa", "ecdsa", "gost256")


@pytest.fixture(scope="module")
def store(demo_pki):
    return TrustStore.from_paths(demo_pki.trust_dir)


@pytest.fixture(scope="module")
def content():
    return os.urandom(200_000)


def cms_sign(demo_pki, tmp_path, person, alg, content: bytes, *extra: str) -> bytes:
    """A detached CMS signature made by the openssl command line (GOST through its engine)."""
    source, out = tmp_path / "content.bin", tmp_path / f"{person}-{alg}.p7s"
    source.write_bytes(content)
    cert = demo_pki.person(person, alg)
    gost = ["-engine", "gost", "-md", "md_gost12_256"] if alg.startswith("gost") else []
    subprocess.run(["openssl", "cms", "-sign", "-binary", *gost, *extra, "-in", source, "-signer", cert.cert_path,
                    "-inkey", cert.key_path, "-outform", "DER", "-out", out], check=True, capture_output=True)
    return out.read_bytes()


@pytest.fixture(params=["openssl", "pure"])
def gost_backend(request, monkeypatch):
    monkeypatch.setenv("REGISTRY_GOST_BACKEND", request.param)
    clear_all()
    yield request.param


@pytest.mark.parametrize("alg", ALGS)
def test_detached_signature_names_signer_and_time(demo_pki, store, content, tmp_path, alg):
    signature = cms_sign(demo_pki, tmp_path, "head", alg, content)
    check = S.verify_detached(signature, content, trust_store=store)
    assert check.code == S.OK, check.message
    assert check.intact and check.certificate.valid
    assert check.signer.full_name == "Иванов Иван Иванович" and check.signer.snils
    assert check.signing_time is not None
    data = check.to_dict()
    assert data["signer"]["organization"] and data["valid"] is True


def test_gost_signature_on_both_backends(demo_pki, store, content, tmp_path, gost_backend):
    signature = cms_sign(demo_pki, tmp_path, "employee1", "gost256", content)
    assert S.verify_detached(signature, content, trust_store=store).code == S.OK
    assert S.verify_detached(signature, content + b"!", trust_store=store).code == S.DIGEST_MISMATCH


@pytest.mark.parametrize("alg", ALGS)
def test_tampered_content_is_detected(demo_pki, store, content, tmp_path, alg):
    signature = cms_sign(demo_pki, tmp_path, "head", alg, content)
    tampered = bytearray(content)
    tampered[1000] ^= 1
    check = S.verify_detached(signature, bytes(tampered), trust_store=store)
    assert check.code == S.DIGEST_MISMATCH and not check.intact
    assert "не для этого файла" in check.message and "изменён" not in check.message


@pytest.mark.parametrize("alg", ALGS)
def test_tampered_signature_value_is_detected(demo_pki, store, content, tmp_path, alg):
    from asn1crypto import cms

    info = cms.ContentInfo.load(cms_sign(demo_pki, tmp_path, "head", alg, content))
    signer_info = info["content"]["signer_infos"][0]
    value = bytearray(signer_info["signature"].native)
    value[len(value) // 2] ^= 0x55
    signer_info["signature"] = cms.OctetString(bytes(value))
    check = S.verify_detached(info.dump(force=True), content, trust_store=store)
    assert check.code == S.BAD_SIGNATURE and "повреждена" in check.message


@pytest.mark.parametrize("alg", ALGS)
def test_signature_without_attributes(demo_pki, store, content, tmp_path, alg):
    signature = cms_sign(demo_pki, tmp_path, "head", alg, content, "-noattr")
    assert S.verify_detached(signature, content, trust_store=store).code == S.OK
    assert S.verify_detached(signature, content[:-1], trust_store=store).code == S.BAD_SIGNATURE


def test_revoked_signer_is_reported_with_the_reason(demo_pki, store, content, tmp_path):
    signature = cms_sign(demo_pki, tmp_path, "employee2", "ecdsa", content)
    check = S.verify_detached(signature, content, trust_store=store)
    assert check.code == S.CERTIFICATE and check.intact
    assert check.certificate.code == "revoked" and "отозван" in check.message


def test_untrusted_signer(demo_pki, content, tmp_path):
    signature = cms_sign(demo_pki, tmp_path, "head", "rsa", content)
    other = TrustStore.from_paths(demo_pki.ca("ecdsa", "root").cert_path)
    check = S.verify_detached(signature, content, trust_store=other)
    assert check.code == S.CERTIFICATE and check.certificate.code in ("untrusted_root", "incomplete_chain")


def test_expected_signer_must_match(demo_pki, store, content, tmp_path):
    signature = cms_sign(demo_pki, tmp_path, "employee1", "rsa", content)
    head = load_certificate(demo_pki.person("head", "rsa").cert_path.read_bytes())
    check = S.verify_detached(signature, content, trust_store=store, expected_signer=head)
    assert check.code == S.CERTIFICATE and "Сидорова" in check.message and "Иванов" in check.message
    renewed_head = load_certificate(demo_pki.person("head", "ecdsa").cert_path.read_bytes())
    own = cms_sign(demo_pki, tmp_path, "head", "rsa", content)
    assert S.verify_detached(own, content, trust_store=store, expected_signer=renewed_head).code == S.OK


def test_pem_base64_and_file_inputs(demo_pki, store, content, tmp_path):
    der = cms_sign(demo_pki, tmp_path, "head", "ecdsa", content)
    pem = b"-----BEGIN CMS-----\n" + base64.encodebytes(der) + b"-----END CMS-----\n"
    for form in (der, pem, base64.b64encode(der)):
        assert S.verify_detached(form, io.BytesIO(content), trust_store=store).code == S.OK


@pytest.mark.parametrize("junk", [b"", b"garbage", b"\x30\x03\x02\x01", os.urandom(3000),
                                  b"-----BEGIN CMS-----\nnot base64\n-----END CMS-----\n"])
def test_garbage_is_not_a_signature(store, junk):
    check = S.verify_detached(junk, b"content", trust_store=store)
    assert check.code == S.NOT_A_SIGNATURE and not S.looks_like_cms(junk)


def test_signature_without_certificate(demo_pki, store, content, tmp_path):
    signature = cms_sign(demo_pki, tmp_path, "head", "rsa", content, "-nocerts")
    assert S.verify_detached(signature, content, trust_store=store).code == S.NO_SIGNER_CERTIFICATE


@pytest.mark.parametrize("alg", ["rsa", "ecdsa"])
def test_signed_pdf(demo_pki, store, alg):
    person = demo_pki.person("head", alg)
    data = signed_pdf(person.key_path, person.cert_path, [demo_pki.ca(alg).cert_path])
    [check] = S.verify_pdf(data, trust_store=store)
    assert check.code == S.OK and check.kind == "pdf", check.message
    assert check.signer.full_name == "Иванов Иван Иванович"
    assert check.details["coverage"] == "ENTIRE_FILE"


@pytest.mark.parametrize("alg", ["rsa", "ecdsa"])
def test_tampered_pdf(demo_pki, store, alg):
    person = demo_pki.person("head", alg)
    data = signed_pdf(person.key_path, person.cert_path, [demo_pki.ca(alg).cert_path], text="Amount 100")
    at = data.index(b"Amount 100")
    tampered = data[:at] + b"Amount 900" + data[at + 10:]
    [check] = S.verify_pdf(tampered, trust_store=store)
    assert check.code == S.DIGEST_MISMATCH and not check.valid


def test_pdf_signed_by_revoked_certificate(demo_pki, store):
    person = demo_pki.person("employee2", "rsa")
    [check] = S.verify_pdf(signed_pdf(person.key_path, person.cert_path, [demo_pki.ca("rsa").cert_path]),
                           trust_store=store)
    assert check.code == S.CERTIFICATE and check.certificate.code == "revoked"


def test_unsigned_and_broken_pdfs(store):
    assert [c.code for c in S.verify_pdf(plain_pdf(), trust_store=store)] == [S.NOT_SIGNED]
    # A PDF the reader cannot parse: unsigned unless it holds a signature dictionary.
    assert [c.code for c in S.verify_pdf(b"%PDF-1.7 broken", trust_store=store)] == [S.NOT_SIGNED]
    [broken] = S.verify_pdf(b"%PDF-1.7 /ByteRange [0 1 2 3] broken", trust_store=store)
    assert broken.code == S.NOT_A_SIGNATURE and "Error" not in broken.message


def test_der_ending_in_a_whitespace_byte_is_read_whole(demo_pki, content, tmp_path):
    """DER is binary: a final 0x20 or 0x0a belongs to the signature, it is not padding."""
    from asn1crypto import cms

    info = cms.ContentInfo.load(cms_sign(demo_pki, tmp_path, "head", "ecdsa", content))
    signer_info = info["content"]["signer_infos"][0]
    signer_info["signature"] = cms.OctetString(signer_info["signature"].native[:-1] + b"\n")
    der = info.dump(force=True)
    assert der.endswith(b"\n")
    assert S.load_signed_data(der)["signer_infos"][0]["signature"].native.endswith(b"\n")


@pytest.mark.parametrize("alg", ["gost256"])
def test_gost_signed_pdf(demo_pki, store, alg, tmp_path):
    """A GOST-signed PDF (Streebog digest): no AttributeError in pyHanko's hash lookup; openssl
    with the GOST engine accepts the same signature over the signed byte range."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from .pdfs import gost_signed_pdf

    person = demo_pki.person("head", alg)
    data = gost_signed_pdf(person.key_path, person.cert_path, [demo_pki.ca(alg).cert_path], alg=alg)
    [check] = S.verify_pdf(data, trust_store=store)
    assert check.code == S.OK, check.message
    assert check.signer.full_name == "Иванов Иван Иванович"
    sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    a, b, c, d = sig.sig_object["/ByteRange"]
    (tmp_path / "range").write_bytes(data[a:a + b] + data[c:c + d])
    (tmp_path / "sig.der").write_bytes(sig.signed_data.dump() and sig.pkcs7_content)
    done = subprocess.run(["openssl", "cms", "-verify", "-engine", "gost", "-binary", "-inform", "DER",
                           "-in", tmp_path / "sig.der", "-content", tmp_path / "range", "-noverify",
                           "-out", os.devnull], capture_output=True, env=_gost_env())
    assert done.returncode == 0, done.stderr
    tampered = data.replace(b"Test document", b"Test documenT")
    assert S.verify_pdf(tampered, trust_store=store)[0].code == S.DIGEST_MISMATCH


def _gost_env():
    from tests.tsa import OPENSSL_CONF

    return dict(os.environ, OPENSSL_CONF=str(OPENSSL_CONF))


def test_cades_t_judged_at_the_proven_time(demo_pki, store):
    """A document signed and time-stamped 20 days ago by a certificate that expired 5 days ago."""
    from tests import cades

    content = b"charter " * 100
    tsa = cades.issue(demo_pki, "gost256", not_before=cades.ago(days=29), not_after=cades.ago(days=-300), tsa=True)
    signer = cades.issue(demo_pki, "gost256", not_before=cades.ago(days=25), not_after=cades.ago(days=5))
    bes = cades.sign(content, signer, signing_time=cades.ago(days=20))
    assert S.verify_detached(bes, content, trust_store=store).code == S.CERTIFICATE
    stamped = cades.add_time_stamp(bes, tsa, cades.ago(days=20))
    check = S.verify_detached(stamped, content, trust_store=store)
    assert check.code == S.OK, check.message
    assert check.details["proven_time"]
