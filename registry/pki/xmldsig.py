"""Enveloped XML signatures (XMLDSig) with GOST R 34.10-2012, as on Минцифры's trust list.

The XML side is signxml's (the XMLDSig library): parsing without DTDs or entities, schema
validation of ``ds:Signature``, reference resolution, the enveloped-signature and c14n
transforms, canonicalization of ``SignedInfo``. signxml's algorithm tables are closed enums
without GOST and it reads keys with ``cryptography`` (no GOST either), so only the two
cryptographic steps are done here, by :mod:`registry.pki.gost`: the Streebog digest of the
reference and the GOST R 34.10-2012 signature value (``s || r``, as the gost engine and
xmlsec with it write it). xmlsec was not usable: the system libxmlsec1-openssl is built
without GOST, and the python-xmlsec wheel links its own OpenSSL, which cannot load the gost
engine.

    verify_enveloped(data, certificates) -> VerifiedXml   # XmlSignatureError (Russian) if not
    sign_enveloped(data, key, certificate_der) -> bytes   # demo and test lists

Only what the content needs is accepted: one ``ds:Signature``, a child of the root element,
with one ``Reference`` to the whole document (``URI=""`` or the root's Id) through the
enveloped-signature transform. What the caller reads afterwards is the signed, canonical
content (:attr:`VerifiedXml.signed_data`), never the input, so nothing outside the signature
can slip in.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import CanonicalizationMethod
from signxml.exceptions import InvalidInput

from . import gost
from .certificate import MalformedCertificate, QualifiedCertificate, load_certificate

DS = "http://www.w3.org/2000/09/xmldsig#"
ENVELOPED = DS + "enveloped-signature"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"

_CPXMLSEC = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:"
SIGN_2012_256 = _CPXMLSEC + "gostr34102012-gostr34112012-256"
SIGN_2012_512 = _CPXMLSEC + "gostr34102012-gostr34112012-512"
DIGEST_2012_256 = _CPXMLSEC + "gostr34112012-256"
DIGEST_2012_512 = _CPXMLSEC + "gostr34112012-512"
SIGN_2001 = "http://www.w3.org/2001/04/xmldsig-more#gostr34102001-gostr3411"
DIGEST_94 = "http://www.w3.org/2001/04/xmldsig-more#gostr3411"

# signature method -> key size; digest method -> Streebog size
SIGNATURE_METHODS = {SIGN_2012_256: 256, SIGN_2012_512: 512}
DIGEST_METHODS = {DIGEST_2012_256: 256, DIGEST_2012_512: 512}
_WITHDRAWN = {SIGN_2001, DIGEST_94}
_KEY_OIDS = {256: gost.KEY_OID_256, 512: gost.KEY_OID_512}


class XmlSignatureError(ValueError):
    """The document's signature is missing, broken or not by an expected certificate (Russian)."""


@dataclass(frozen=True)
class VerifiedXml:
    signed_data: bytes  # the canonical signed content: what to read
    certificate: QualifiedCertificate  # the expected certificate whose key verified it
    signature_method: str
    digest_method: str
    embedded_certificate: bool  # whether KeyInfo carried the certificate


def _describe(cert: QualifiedCertificate) -> str:
    return f"«{cert.subject}», SHA-256 {cert.fingerprint}"


class _Processor(XMLVerifier):
    """signxml's XML processing (parsing, references, transforms, c14n) without its crypto."""

    def __init__(self) -> None:
        super().__init__()
        # XMLDSig 1.0 §4.3.3.2: a node-set becomes octets by inclusive c14n 1.0.
        self.config = SignatureConfiguration(
            location="./", default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0)

    def _tostring(self, xml_node, **kwargs):
        # signxml copies nodes through ASCII serialization, which cannot carry the list's
        # Cyrillic element names (only character data may be escaped).
        return etree.tostring(xml_node, encoding="utf-8", **kwargs)

    def parse(self, data: bytes) -> etree._Element:
        return self._fromstring(data)

    def canonical(self, node: etree._Element, method: etree._Element) -> bytes:
        algorithm = CanonicalizationMethod(method.get("Algorithm"))
        return self._c14n(node, algorithm=algorithm,
                          inclusive_ns_prefixes=self._get_inclusive_ns_prefixes(method))

    def referenced(self, root: etree._Element, reference: etree._Element) -> bytes:
        """The octets a reference covers: resolved in a copy of the document, transformed."""
        copy = self._fromstring(self._tostring(root))
        payload = self._resolve_reference(copy, reference)
        return self._apply_transforms(payload, transforms_node=self._find(reference, "Transforms", require=False),
                                      signature=self._find(copy, "Signature", xpath="./"))


def _text(element: etree._Element | None, what: str) -> str:
    if element is None or not (element.text or "").strip():
        raise XmlSignatureError(f"в подписи нет {what}")
    return "".join(element.text.split())


def _b64(element: etree._Element | None, what: str) -> bytes:
    try:
        return base64.b64decode(_text(element, what), validate=True)
    except ValueError:
        raise XmlSignatureError(f"{what} подписи — не base64") from None


def _algorithm(element: etree._Element | None, known: dict[str, int], what: str) -> str:
    uri = element.get("Algorithm", "") if element is not None else ""
    if uri in _WITHDRAWN:
        raise XmlSignatureError(
            f"{what} {uri}: ГОСТ Р 34.10-2001 / 34.11-94 не применяется для подписи с 2019 года "
            f"и не поддерживается; ожидается ГОСТ Р 34.10-2012 / 34.11-2012")
    if uri not in known:
        raise XmlSignatureError(f"{what} {uri or '(не указан)'} не поддерживается; "
                                f"ожидается ГОСТ Р 34.10-2012 / 34.11-2012")
    return uri


def _embedded(signature: etree._Element) -> QualifiedCertificate | None:
    node = signature.find(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if node is None:
        return None
    try:
        return load_certificate(_b64(node, "сертификата в KeyInfo"))
    except MalformedCertificate:
        raise XmlSignatureError("сертификат в KeyInfo подписи повреждён") from None


def _verifies(cert: QualifiedCertificate, size: int, data: bytes, value: bytes) -> bool:
    spki = cert.asn1.public_key
    if spki["algorithm"]["algorithm"].dotted != _KEY_OIDS[size]:
        return False
    try:
        return gost.backend().verify(spki.dump(), data, value)
    except gost.GostError:
        return False


def verify_enveloped(data: bytes, certificates: Sequence[QualifiedCertificate]) -> VerifiedXml:
    """Check the document's enveloped GOST signature with one of ``certificates``.

    Returns the signed content; :class:`XmlSignatureError` with a Russian message for an
    unsigned, altered or wrongly signed document, or one signed by another certificate.
    """
    processor = _Processor()
    try:
        root = processor.parse(data)
    except InvalidInput as exc:
        raise XmlSignatureError(f"недопустимый XML: {exc}") from None
    except etree.XMLSyntaxError as exc:
        raise XmlSignatureError(f"повреждённый XML: {exc}") from None
    signatures = root.findall(f".//{{{DS}}}Signature")
    if not signatures:
        raise XmlSignatureError("документ не подписан (нет элемента ds:Signature)")
    if len(signatures) > 1:
        raise XmlSignatureError(f"в документе {len(signatures)} подписи ds:Signature; ожидается одна")
    [signature] = signatures
    if signature.getparent() is not root:
        raise XmlSignatureError("подпись ds:Signature не в корневом элементе документа")
    try:
        processor.validate_schema(signature)
    except InvalidInput as exc:
        raise XmlSignatureError(f"элемент ds:Signature не соответствует схеме XMLDSig: {exc}") from None

    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    assert signed_info is not None  # the schema requires it
    method = _algorithm(signed_info.find(f"{{{DS}}}SignatureMethod"), SIGNATURE_METHODS, "алгоритм подписи")
    size = SIGNATURE_METHODS[method]
    value = _b64(signature.find(f"{{{DS}}}SignatureValue"), "значения подписи (SignatureValue)")
    c14n_method = signed_info.find(f"{{{DS}}}CanonicalizationMethod")
    try:
        signed_info_c14n = processor.canonical(signed_info, c14n_method)
    except (InvalidInput, ValueError):
        raise XmlSignatureError(
            f"метод канонизации {c14n_method.get('Algorithm')} не поддерживается") from None

    embedded = _embedded(signature)
    signer = next((c for c in certificates if _verifies(c, size, signed_info_c14n, value)), None)
    if signer is None:
        if embedded is not None and all(c.der != embedded.der for c in certificates) \
                and _verifies(embedded, size, signed_info_c14n, value):
            raise XmlSignatureError(f"документ подписан другим сертификатом: {_describe(embedded)}")
        raise XmlSignatureError("подпись неверна: значение подписи не соответствует "
                                "ожидаемому сертификату (документ изменён или подписан другим ключом)")

    # From here on only what the signature covers is read: the verified SignedInfo.
    verified = processor.parse(signed_info_c14n)
    references = verified.findall(f"{{{DS}}}Reference")
    if len(references) != 1:
        raise XmlSignatureError(f"в подписи {len(references)} ссылок Reference; ожидается одна")
    [reference] = references
    uri = reference.get("URI")
    whole = {""} | {f"#{value}" for value in map(root.get, ("Id", "ID", "id")) if value}
    if uri not in whole:
        raise XmlSignatureError(f"подпись охватывает не весь документ (Reference URI={uri!r})")
    transforms = [t.get("Algorithm") for t in reference.iterfind(f"{{{DS}}}Transforms/{{{DS}}}Transform")]
    if ENVELOPED not in transforms:
        raise XmlSignatureError("подпись не вложенная: нет преобразования enveloped-signature")
    digest_method = _algorithm(reference.find(f"{{{DS}}}DigestMethod"), DIGEST_METHODS, "алгоритм хэширования")
    expected = _b64(reference.find(f"{{{DS}}}DigestValue"), "хэша (DigestValue)")
    try:
        content = processor.referenced(root, reference)
    except (InvalidInput, ValueError) as exc:
        raise XmlSignatureError(f"не удалось применить преобразования подписи: {exc}") from None
    if gost.backend().streebog(DIGEST_METHODS[digest_method], content) != expected:
        raise XmlSignatureError("содержимое документа изменено после подписания (хэш не совпадает)")
    return VerifiedXml(content, signer, method, digest_method, embedded is not None)


def sign_enveloped(data: bytes, key: gost.GostPrivateKey, certificate_der: bytes, *,
                   c14n: str = EXC_C14N, include_certificate: bool = True) -> bytes:
    """``data`` with an enveloped GOST R 34.10-2012 signature appended to its root (demo, tests)."""
    processor = _Processor()
    root = processor.parse(data)
    size = key.size
    sign_uri = SIGN_2012_256 if size == 256 else SIGN_2012_512
    digest_uri = DIGEST_2012_256 if size == 256 else DIGEST_2012_512

    def sub(parent, tag, **attrs):
        return etree.SubElement(parent, f"{{{DS}}}{tag}", attrs, nsmap={"ds": DS})

    signature = sub(root, "Signature")
    signed_info = sub(signature, "SignedInfo")
    sub(signed_info, "CanonicalizationMethod", Algorithm=c14n)
    sub(signed_info, "SignatureMethod", Algorithm=sign_uri)
    reference = sub(signed_info, "Reference", URI="")
    transforms = sub(reference, "Transforms")
    sub(transforms, "Transform", Algorithm=ENVELOPED)
    sub(transforms, "Transform", Algorithm=c14n)
    sub(reference, "DigestMethod", Algorithm=digest_uri)
    digest_value = sub(reference, "DigestValue")
    signature_value = sub(signature, "SignatureValue")
    if include_certificate:
        x509_data = sub(sub(signature, "KeyInfo"), "X509Data")
        sub(x509_data, "X509Certificate").text = base64.b64encode(certificate_der).decode()
    backend = gost.backend()
    digest_value.text = base64.b64encode(
        backend.streebog(size, processor.referenced(root, reference))).decode()
    method = signed_info.find(f"{{{DS}}}CanonicalizationMethod")
    signature_value.text = base64.b64encode(
        backend.sign(key, processor.canonical(signed_info, method))).decode()
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
