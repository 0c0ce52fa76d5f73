"""registry.pki.xmldsig: enveloped GOST XMLDSig, refused when unsigned, altered or by another key,
and checked both ways against independent tools: the standard library's canonicalizer and the
openssl CLI with the gost engine (digest and signature value)."""

from __future__ import annotations

import base64
import shutil
import subprocess
import xml.etree.ElementTree as StdET
from datetime import datetime, timedelta, timezone

import pytest
from asn1crypto import pem
from lxml import etree

from registry.pki import load_certificate, xmldsig
from registry.pki.builder import build_certificate, generate_key

OPENSSL = shutil.which("openssl")
DS = xmldsig.DS
DOC = ('<?xml version="1.0" encoding="utf-8"?>\n'
       '<АккредитованныеУдостоверяющиеЦентры>\n  <Версия>7</Версия>\n'
       '  <УдостоверяющийЦентр><Название>АО «УЦ» &amp; Ко</Название>'
       '<ИНН>7701000099</ИНН></УдостоверяющийЦентр>\n'
       '</АккредитованныеУдостоверяющиеЦентры>').encode()


def _signer(name: str, alg: str = "gost256"):
    now = datetime.now(timezone.utc)
    key = generate_key(alg)
    cert = build_certificate(subject=[("C", "RU"), ("CN", name)], subject_key=key, issuer_key=key,
                             issuer=None, not_before=now - timedelta(days=1),
                             not_after=now + timedelta(days=30), key_usage={"digital_signature"})
    return key, cert.dump()


@pytest.fixture(scope="module")
def mincifry():
    return _signer("Минцифры России (тест)")


def _refused(data: bytes, certs) -> str:
    with pytest.raises(xmldsig.XmlSignatureError) as info:
        xmldsig.verify_enveloped(data, certs)
    return str(info.value)


def _openssl_raw(*args: str) -> bytes:
    if OPENSSL is None:
        pytest.fail("openssl CLI not found")
    proc = subprocess.run([OPENSSL, *args], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


def _openssl(*args: str) -> str:
    return _openssl_raw(*args).decode(errors="replace")


@pytest.mark.parametrize("c14n", [xmldsig.EXC_C14N, xmldsig.C14N])
@pytest.mark.parametrize("alg", ["gost256", "gost512"])
def test_signed_document_verifies_and_yields_the_signed_content(c14n, alg):
    key, der = _signer("Минцифры России (тест)", alg)
    signed = xmldsig.sign_enveloped(DOC, key.private, der, c14n=c14n)
    result = xmldsig.verify_enveloped(signed, [load_certificate(der)])
    assert result.certificate.der == der
    assert result.embedded_certificate is True
    assert result.signature_method == (xmldsig.SIGN_2012_256 if alg == "gost256" else xmldsig.SIGN_2012_512)
    content = etree.fromstring(result.signed_data)
    assert content.findtext("Версия") == "7"
    assert content.find(f"{{{DS}}}Signature") is None
    assert "АО «УЦ» & Ко" in content.findtext("УдостоверяющийЦентр/Название")


def test_without_key_info_the_configured_certificate_is_used(mincifry):
    key, der = mincifry
    signed = xmldsig.sign_enveloped(DOC, key.private, der, include_certificate=False)
    other = load_certificate(_signer("Другой")[1])
    result = xmldsig.verify_enveloped(signed, [other, load_certificate(der)])
    assert result.embedded_certificate is False and result.certificate.der == der


def test_unsigned_altered_and_foreign_documents_are_refused(mincifry):
    key, der = mincifry
    cert = load_certificate(der)
    signed = xmldsig.sign_enveloped(DOC, key.private, der)
    assert "не подписан" in _refused(DOC, [cert])
    altered = signed.replace(b"7701000099", b"7701000098")
    assert "изменено после подписания" in _refused(altered, [cert])
    value = etree.fromstring(signed).find(f".//{{{DS}}}SignatureValue").text
    raw = bytearray(base64.b64decode(value))
    raw[5] ^= 1
    wrong = signed.replace(value.encode(), base64.b64encode(bytes(raw)))
    assert "подпись неверна" in _refused(wrong, [cert])
    other_key, other_der = _signer("Посторонний УЦ")
    foreign = xmldsig.sign_enveloped(DOC, other_key.private, other_der)
    message = _refused(foreign, [cert])
    assert "другим сертификатом" in message and "Посторонний УЦ" in message
    # the foreign signature with the expected certificate put into KeyInfo: still refused
    swapped = foreign.replace(base64.b64encode(other_der), base64.b64encode(der))
    assert "подпись неверна" in _refused(swapped, [cert])


def test_signed_info_changes_and_wrapping_are_refused(mincifry):
    key, der = mincifry
    cert = load_certificate(der)
    signed = xmldsig.sign_enveloped(DOC, key.private, der)
    # a different reference (partial coverage) invalidates the signature over SignedInfo
    assert "подпись неверна" in _refused(signed.replace(b'URI=""', b'URI="#x"'), [cert])
    # a second signature, or one not at the root, is refused before any cryptography
    root = etree.fromstring(signed)
    sig = root.find(f"{{{DS}}}Signature")
    root.append(etree.fromstring(etree.tostring(sig)))
    assert "2 подписи" in _refused(etree.tostring(root, encoding="utf-8"), [cert])
    root = etree.fromstring(signed)
    sig = root.find(f"{{{DS}}}Signature")
    root.find("УдостоверяющийЦентр").append(sig)
    assert "не в корневом" in _refused(etree.tostring(root, encoding="utf-8"), [cert])


def test_withdrawn_and_unknown_algorithms_are_named(mincifry):
    key, der = mincifry
    cert = load_certificate(der)
    signed = xmldsig.sign_enveloped(DOC, key.private, der)
    old = signed.replace(xmldsig.SIGN_2012_256.encode(), xmldsig.SIGN_2001.encode())
    assert "34.10-2001" in _refused(old, [cert])
    rsa = signed.replace(xmldsig.SIGN_2012_256.encode(), b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    assert "rsa-sha256 не поддерживается" in _refused(rsa, [cert])


def test_dtd_and_entities_are_refused(mincifry):
    key, der = mincifry
    signed = xmldsig.sign_enveloped(DOC, key.private, der)
    with_dtd = signed.replace(b"?>\n", b'?>\n<!DOCTYPE x [<!ENTITY e "v">]>\n', 1)
    assert "недопустимый XML" in _refused(with_dtd, [load_certificate(der)])


# -- both ways against independent tools ------------------------------------------------------

def _std_c14n(xml: bytes, exclude_signature: bool = False) -> bytes:
    """C14N by the standard library (a separate implementation from libxml2's)."""
    text = StdET.canonicalize(xml.decode("utf-8"), strip_text=False)
    if exclude_signature:
        root = StdET.fromstring(text)
        root.remove(root.find(f"{{{DS}}}Signature"))
        text = StdET.canonicalize(StdET.tostring(root, encoding="unicode"))
    return text.encode("utf-8")


def test_our_signature_checks_out_with_openssl(mincifry, tmp_path):
    key, der = mincifry
    signed = xmldsig.sign_enveloped(DOC, key.private, der)
    root = etree.fromstring(signed)
    # the reference digest: Streebog-256 of the document without its signature, by openssl
    content = _std_c14n(signed, exclude_signature=True)
    (tmp_path / "content").write_bytes(content)
    digest = _openssl_raw("dgst", "-engine", "gost", "-md_gost12_256", "-binary", str(tmp_path / "content"))
    assert base64.b64encode(digest).decode() == root.findtext(f".//{{{DS}}}DigestValue")
    # the signature value over SignedInfo, by openssl with the certificate's public key
    signed_info = etree.tostring(root.find(f".//{{{DS}}}SignedInfo"), encoding="utf-8")
    (tmp_path / "signed_info").write_bytes(_std_c14n(signed_info))
    (tmp_path / "sig").write_bytes(base64.b64decode(root.findtext(f".//{{{DS}}}SignatureValue")))
    spki = load_certificate(der).asn1.public_key.dump()
    (tmp_path / "pub.pem").write_bytes(pem.armor("PUBLIC KEY", spki))
    result = _openssl("dgst", "-engine", "gost", "-md_gost12_256", "-verify", str(tmp_path / "pub.pem"),
                      "-signature", str(tmp_path / "sig"), str(tmp_path / "signed_info"))
    assert "Verified OK" in result


def test_a_document_signed_with_openssl_verifies_with_ours(mincifry, tmp_path):
    key, der = mincifry
    (tmp_path / "key.pem").write_bytes(pem.armor("PRIVATE KEY", key.private.to_pkcs8_der()))
    (tmp_path / "content").write_bytes(_std_c14n(DOC))
    digest = _openssl_raw("dgst", "-engine", "gost", "-md_gost12_256", "-binary", str(tmp_path / "content"))
    signed_info = (
        f'<ds:SignedInfo xmlns:ds="{DS}">'
        f'<ds:CanonicalizationMethod Algorithm="{xmldsig.EXC_C14N}"></ds:CanonicalizationMethod>'
        f'<ds:SignatureMethod Algorithm="{xmldsig.SIGN_2012_256}"></ds:SignatureMethod>'
        '<ds:Reference URI=""><ds:Transforms>'
        f'<ds:Transform Algorithm="{xmldsig.ENVELOPED}"></ds:Transform>'
        f'<ds:Transform Algorithm="{xmldsig.EXC_C14N}"></ds:Transform></ds:Transforms>'
        f'<ds:DigestMethod Algorithm="{xmldsig.DIGEST_2012_256}"></ds:DigestMethod>'
        f'<ds:DigestValue>{base64.b64encode(digest).decode()}</ds:DigestValue>'
        '</ds:Reference></ds:SignedInfo>')
    (tmp_path / "signed_info").write_bytes(_std_c14n(signed_info.encode()))
    _openssl("dgst", "-engine", "gost", "-md_gost12_256", "-sign", str(tmp_path / "key.pem"),
             "-out", str(tmp_path / "sig"), str(tmp_path / "signed_info"))
    value = base64.b64encode((tmp_path / "sig").read_bytes()).decode()
    signature = (f'<ds:Signature xmlns:ds="{DS}">{signed_info}'
                 f'<ds:SignatureValue>{value}</ds:SignatureValue></ds:Signature>')
    closing = "</АккредитованныеУдостоверяющиеЦентры>".encode()
    document = DOC.replace(closing, signature.encode() + closing)
    result = xmldsig.verify_enveloped(document, [load_certificate(der)])
    assert result.embedded_certificate is False
    assert b"7701000099" in result.signed_data


def test_reference_to_the_root_by_id_and_the_pure_python_fallback(mincifry, monkeypatch):
    key, der = mincifry
    cert = load_certificate(der)
    doc = DOC.replace("<АккредитованныеУдостоверяющиеЦентры>".encode(),
                      '<АккредитованныеУдостоверяющиеЦентры Id="tsl">'.encode())
    signed = xmldsig.sign_enveloped(doc, key.private, der)
    by_id = signed.replace(b'URI=""', b'URI="#tsl"')
    # SignedInfo changed, so re-sign it: a reference by the root's Id covers the whole list too
    root = etree.fromstring(by_id)
    signed_info = root.find(f".//{{{DS}}}SignedInfo")
    c14n = etree.tostring(signed_info, method="c14n", exclusive=True)
    from registry.pki import gost

    root.find(f".//{{{DS}}}SignatureValue").text = base64.b64encode(
        gost.backend().sign(key.private, c14n)).decode()
    monkeypatch.setenv("REGISTRY_GOST_BACKEND", "pure")
    assert gost.backend().name == "pure"
    result = xmldsig.verify_enveloped(etree.tostring(root, encoding="utf-8"), [cert])
    assert b"7701000099" in result.signed_data
    # a reference to a part of the document is refused even when correctly signed
    part = etree.fromstring(doc)
    part.find("УдостоверяющийЦентр").set("Id", "ca1")
    partial = xmldsig.sign_enveloped(etree.tostring(part, encoding="utf-8"), key.private, der)
    root = etree.fromstring(partial)
    root.find(f".//{{{DS}}}Reference").set("URI", "#ca1")
    signed_info = root.find(f".//{{{DS}}}SignedInfo")
    root.find(f".//{{{DS}}}SignatureValue").text = base64.b64encode(gost.backend().sign(
        key.private, etree.tostring(signed_info, method="c14n", exclusive=True))).decode()
    assert "не весь документ" in _refused(etree.tostring(root, encoding="utf-8"), [cert])
