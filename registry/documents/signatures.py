"""Verification of electronic signatures on documents: detached CMS and signed PDF (PAdES).

Each check answers the questions a compliance officer asks, in Russian: who signed (ФИО, СНИЛС,
organization), when they say they signed, whether the bytes are intact, and whether the
signer's certificate is trusted now — or the precise reason it is not. RSA and ECDSA are
computed with ``cryptography``; GOST R 34.10-2012 through :mod:`registry.pki.gost`. The
signer's certificate goes through :func:`registry.pki.validate` like any sign-in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from asn1crypto import cms, pem
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from registry.pki import QualifiedCertificate, TrustStore, ValidationResult, oids
from registry.pki.certificate import MalformedCertificate

# The product's check: registry.pki.validate plus revocation settings and CA accreditation.
from registry.trust.validation import validate

OK = "ok"
NOT_A_SIGNATURE = "not_a_signature"
NO_SIGNER_CERTIFICATE = "no_signer_certificate"
DIGEST_MISMATCH = "digest_mismatch"
BAD_SIGNATURE = "bad_signature"
UNSUPPORTED = "unsupported_algorithm"
CERTIFICATE = "certificate_not_trusted"
NOT_SIGNED = "not_signed"
TOO_LARGE = "signature_too_large"
TOO_MANY_CERTIFICATES = "too_many_certificates"
TOO_MANY_SIGNATURES = "too_many_signatures"
PENDING = "pending"

# Bounds on the work one signature may ask for (overridable per call from the configuration).
MAX_SIGNATURE_BYTES = 1024 * 1024
MAX_CERTIFICATES = 50
MAX_PDF_SIGNATURES = 10

MESSAGES = {
    OK: "Подпись верна, сертификат подписанта действителен.",
    NOT_A_SIGNATURE: "Файл не является подписью CMS (PKCS#7): {detail}. Загрузите файл .sig или .p7s, "
                     "созданный средством электронной подписи.",
    NO_SIGNER_CERTIFICATE: "В подписи нет сертификата подписанта. Создайте подпись заново, включив в неё "
                           "сертификат (в КриптоПро — «Включить сертификат в подпись»).",
    DIGEST_MISMATCH: "Документ изменён после подписания: хэш содержимого не совпадает с подписанным. "
                     "Подпишите актуальную версию файла.",
    BAD_SIGNATURE: "Значение подписи неверно: подпись повреждена или сделана другим ключом.",
    UNSUPPORTED: "Алгоритм «{detail}» не поддерживается. Используйте ГОСТ Р 34.10-2012, RSA или ECDSA.",
    CERTIFICATE: "Подпись математически верна, но сертификат подписанта не принят: {detail}",
    NOT_SIGNED: "В PDF нет электронных подписей.",
    TOO_LARGE: "Файл подписи слишком большой ({detail}). Подпись CMS с сертификатом подписанта обычно "
               "занимает несколько килобайт: создайте подпись заново без лишних вложений.",
    TOO_MANY_CERTIFICATES: "В подписи слишком много сертификатов ({detail}). Создайте подпись заново, "
                           "включив в неё только сертификат подписанта и цепочку его издателей.",
    TOO_MANY_SIGNATURES: "В PDF слишком много подписей ({detail}): проверяются не более "
                         f"{MAX_PDF_SIGNATURES}.",
    PENDING: "Подпись проверяется. Обновите страницу через минуту.",
}

_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
           "sha384": hashes.SHA384, "sha512": hashes.SHA512}
_STREEBOG = {oids.GOST_DIGEST_256: 256, oids.GOST_DIGEST_512: 512,
             "streebog256": 256, "streebog512": 512}
_CHUNK = 1 << 20


@dataclass
class SignatureCheck:
    """The verdict on one signature."""

    code: str
    message: str
    kind: str = "cms"
    signer: QualifiedCertificate | None = None
    signing_time: datetime | None = None
    intact: bool = False
    certificate: ValidationResult | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.code == OK

    def to_dict(self) -> dict[str, Any]:
        signer = self.signer
        return {
            "valid": self.valid, "code": self.code, "message": self.message, "kind": self.kind,
            "intact": self.intact,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "signer": None if signer is None else {
                "full_name": signer.full_name, "snils": signer.snils, "inn": signer.inn,
                "organization": signer.organization, "title": signer.title,
                "serial": signer.serial, "issuer": signer.issuer,
            },
            "certificate": None if self.certificate is None else {
                "valid": self.certificate.valid, "code": self.certificate.code,
                "message": self.certificate.message},
        }


def _check(code: str, detail: str = "", **kwargs) -> SignatureCheck:
    return SignatureCheck(code, MESSAGES[code].format(detail=detail), **kwargs)


# -- reading ---------------------------------------------------------------------------------
def load_signed_data(data: bytes) -> cms.SignedData:
    """SignedData from DER, PEM («PKCS7»/«CMS») or base64 (as CryptoPro saves it)."""
    raw = data if data[:1] == b"\x30" else data.strip()  # DER may end in a "whitespace" byte
    if raw.startswith(b"-----BEGIN"):
        try:
            _label, _headers, raw = pem.unarmor(raw)
        except ValueError as exc:
            raise MalformedCertificate("повреждённый PEM") from exc
    elif raw[:1] != b"\x30":
        try:
            raw = base64.b64decode(b"".join(raw.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedCertificate("ни DER, ни PEM, ни base64") from exc
    try:
        info = cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            raise MalformedCertificate(f"тип содержимого {info['content_type'].native}, а не signedData")
        signed = info["content"]
        _ = signed["signer_infos"].native  # force a full parse here, not later in the middle of a check
        return signed
    except MalformedCertificate:
        raise
    except Exception as exc:  # asn1crypto reports broken input with many exception types
        raise MalformedCertificate(f"структура CMS повреждена ({type(exc).__name__})") from exc


def _chunks(content: bytes | BinaryIO) -> Iterable[bytes]:
    if isinstance(content, (bytes, bytearray, memoryview)):
        yield bytes(content)
        return
    content.seek(0)
    while chunk := content.read(_CHUNK):
        yield chunk


def _digest(algorithm: str, content: bytes | BinaryIO) -> bytes:
    if algorithm in _STREEBOG:
        from registry.pki.gost import backend

        # The GOST backends hash one buffer; documents are bounded by the upload limit.
        data = content if isinstance(content, bytes) else b"".join(_chunks(content))
        return backend().streebog(_STREEBOG[algorithm], data)
    if algorithm not in _HASHES and algorithm not in hashlib.algorithms_available:
        raise LookupError(algorithm)
    h = hashlib.new(algorithm)
    for chunk in _chunks(content):
        h.update(chunk)
    return h.digest()


def _find_signer(signed: cms.SignedData, signer_info: cms.SignerInfo) -> asn1_x509.Certificate | None:
    sid = signer_info["sid"]
    for choice in signed["certificates"] or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            if (cert.issuer == sid.chosen["issuer"]
                    and cert.serial_number == sid.chosen["serial_number"].native):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return None


def _verify_value(cert: asn1_x509.Certificate, signer_info: cms.SignerInfo, signed_bytes: bytes,
                  digest_algorithm: str) -> None:
    """Raise InvalidSignature or LookupError (unsupported algorithm)."""
    signature = signer_info["signature"].native
    algorithm = signer_info["signature_algorithm"]["algorithm"].dotted
    key_algorithm = cert.public_key.algorithm
    if key_algorithm in ("gost2012_256", "gost2012_512") or algorithm in (oids.GOST_SIGN_256, oids.GOST_SIGN_512):
        from registry.pki.gost import backend

        if not backend().verify(cert.public_key.dump(), signed_bytes, signature):
            raise InvalidSignature()
        return
    if digest_algorithm not in _HASHES:
        raise LookupError(digest_algorithm)
    public_key = load_der_public_key(cert.public_key.dump())
    digest = _HASHES[digest_algorithm]()
    if isinstance(public_key, rsa.RSAPublicKey):
        name = signer_info["signature_algorithm"].signature_algo
        if name == "rsassa_pss":
            params = signer_info["signature_algorithm"]["parameters"]
            pss_hash = _HASHES[params["hash_algorithm"]["algorithm"].native]()
            public_key.verify(signature, signed_bytes, padding.PSS(
                mgf=padding.MGF1(pss_hash), salt_length=params["salt_length"].native), pss_hash)
        else:
            public_key.verify(signature, signed_bytes, padding.PKCS1v15(), digest)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, signed_bytes, ec.ECDSA(digest))
    else:
        raise LookupError(key_algorithm)


def _attribute(signer_info: cms.SignerInfo, name: str):
    attrs = signer_info["signed_attrs"]
    if not attrs:
        return None
    for attr in attrs:
        if attr["type"].native == name:
            return attr["values"][0].native
    return None


# -- detached CMS ------------------------------------------------------------------------------
def _certificate_count(signed: cms.SignedData) -> int:
    return len(signed["certificates"] or [])


def verify_detached(signature: bytes, content: bytes | BinaryIO, *, trust_store: TrustStore,
                    at: datetime | None = None,
                    expected_signer: QualifiedCertificate | None = None,
                    max_bytes: int = MAX_SIGNATURE_BYTES,
                    max_certificates: int = MAX_CERTIFICATES) -> SignatureCheck:
    """Verify a detached CMS signature over ``content`` (bytes or a seekable binary file).

    Never raises for bad input. ``expected_signer`` (e.g. the head's certificate for the
    application) additionally requires the signature to be made by that certificate's key.
    A signature larger than ``max_bytes`` or carrying more than ``max_certificates``
    certificates is refused before any certificate is parsed or validated.
    """
    if len(signature) > max_bytes:
        return _check(TOO_LARGE, f"{len(signature) // 1024} КБ при допустимых {max_bytes // 1024} КБ")
    try:
        signed = load_signed_data(signature)
    except MalformedCertificate as exc:
        return _check(NOT_A_SIGNATURE, str(exc))
    count = _certificate_count(signed)
    if count > max_certificates:
        return _check(TOO_MANY_CERTIFICATES, f"{count} при допустимых {max_certificates}")
    if not len(signed["signer_infos"]):
        return _check(NOT_A_SIGNATURE, "в подписи нет ни одного подписанта")
    signer_info = signed["signer_infos"][0]
    cert = _find_signer(signed, signer_info)
    if cert is None:
        return _check(NO_SIGNER_CERTIFICATE)
    try:
        signer = QualifiedCertificate(cert.dump(), cert)
    except MalformedCertificate as exc:
        return _check(NOT_A_SIGNATURE, f"сертификат подписанта не читается: {exc}")
    signing_time = _attribute(signer_info, "signing_time")
    base = {"signer": signer, "signing_time": signing_time}
    digest_algorithm = signer_info["digest_algorithm"]["algorithm"].native
    try:
        computed = _digest(digest_algorithm, content)
        if signer_info["signed_attrs"]:
            if _attribute(signer_info, "message_digest") != computed:
                return _check(DIGEST_MISMATCH, **base)
            # The signature covers the attributes re-encoded as a SET, not as [0] IMPLICIT.
            encoded = signer_info["signed_attrs"].dump()
            signed_bytes = b"\x31" + encoded[1:]
        else:
            signed_bytes = content if isinstance(content, bytes) else b"".join(_chunks(content))
        _verify_value(cert, signer_info, signed_bytes, digest_algorithm)
    except LookupError as exc:
        return _check(UNSUPPORTED, str(exc.args[0] if exc.args else exc), **base)
    except (InvalidSignature, ValueError):
        return _check(BAD_SIGNATURE, **base)
    except Exception as exc:  # a GOST backend error on a broken key is still just a bad signature
        return _check(BAD_SIGNATURE, detail=type(exc).__name__, **base)
    if expected_signer is not None and expected_signer.account_key() != signer.account_key():
        return SignatureCheck(CERTIFICATE, MESSAGES[CERTIFICATE].format(
            detail=f"документ подписан «{signer.full_name or signer.subject}», а ожидалась подпись "
                   f"«{expected_signer.full_name or expected_signer.subject}»"), intact=True, **base)
    others = [c.chosen.dump() for c in signed["certificates"] or []
              if c.name == "certificate" and c.chosen.dump() != cert.dump()]
    result = validate(signer, trust_store=trust_store, intermediates=others, at=at, purpose="signature")
    if not result.valid:
        return SignatureCheck(CERTIFICATE, MESSAGES[CERTIFICATE].format(detail=result.message),
                              intact=True, certificate=result, **base)
    return SignatureCheck(OK, MESSAGES[OK], intact=True, certificate=result, **base)


def looks_like_cms(data: bytes) -> bool:
    """Whether ``data`` parses as CMS SignedData (used to recognise .sig/.p7s uploads)."""
    try:
        load_signed_data(data)
        return True
    except MalformedCertificate:
        return False


# -- PDF ---------------------------------------------------------------------------------------
def verify_pdf(data: bytes, *, trust_store: TrustStore, at: datetime | None = None,
               max_certificates: int = MAX_CERTIFICATES) -> list[SignatureCheck]:
    """Verify every embedded signature of a PDF; a PDF without any gives one NOT_SIGNED check.

    At most MAX_PDF_SIGNATURES signatures, each with at most ``max_certificates`` certificates."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # a broken PDF is an answer, not an error
        return [_check(NOT_A_SIGNATURE, f"PDF не читается ({type(exc).__name__})", kind="pdf")]
    if not embedded:
        return [_check(NOT_SIGNED, kind="pdf")]
    if len(embedded) > MAX_PDF_SIGNATURES:
        return [_check(TOO_MANY_SIGNATURES, str(len(embedded)), kind="pdf")]
    checks = []
    for sig in embedded:
        try:
            count = _certificate_count(sig.signed_data)
        except Exception as exc:
            checks.append(_check(NOT_A_SIGNATURE, f"подпись в PDF не читается ({type(exc).__name__})",
                                 kind="pdf"))
            continue
        if count > max_certificates:
            checks.append(_check(TOO_MANY_CERTIFICATES, f"{count} при допустимых {max_certificates}",
                                 kind="pdf"))
            continue
        cert = sig.signer_cert
        signer = QualifiedCertificate(cert.dump(), cert) if cert is not None else None
        base = {"signer": signer, "kind": "pdf", "signing_time": sig.self_reported_timestamp}
        if signer is None:
            checks.append(_check(NO_SIGNER_CERTIFICATE, kind="pdf"))
            continue
        try:
            # Integrity and the signature value only; trust is decided by registry.pki below.
            status = validate_pdf_signature(sig, ValidationContext(trust_roots=[cert]))
        except Exception as exc:
            checks.append(_check(BAD_SIGNATURE, detail=type(exc).__name__, **base))
            continue
        if not status.intact:
            checks.append(_check(DIGEST_MISMATCH, **base))
            continue
        if not status.valid:
            checks.append(_check(BAD_SIGNATURE, **base))
            continue
        coverage = status.coverage.name if status.coverage is not None else None
        others = [c.chosen.dump() for c in sig.signed_data["certificates"] or []
                  if c.name == "certificate" and c.chosen.dump() != cert.dump()]
        result = validate(signer, trust_store=trust_store, intermediates=others, at=at, purpose="signature")
        details = {"coverage": coverage, "modified_after_signing": coverage != "ENTIRE_FILE"}
        if not result.valid:
            checks.append(SignatureCheck(CERTIFICATE, MESSAGES[CERTIFICATE].format(detail=result.message),
                                         intact=True, certificate=result, details=details, **base))
        else:
            checks.append(SignatureCheck(OK, MESSAGES[OK], intact=True, certificate=result,
                                         details=details, **base))
    return checks
