"""Verification of electronic signatures on documents: detached CMS and signed PDF (PAdES).

Each check answers the questions a compliance officer asks, in Russian: who signed (ФИО, СНИЛС,
organization), when they say they signed, whether the bytes are intact, and whether the
signer's certificate is trusted now — or the precise reason it is not. RSA and ECDSA are
computed with ``cryptography``; GOST R 34.10-2012 through :mod:`registry.pki.gost`. The
signer's certificate goes through :func:`registry.trust.decision.decide` like any sign-in.

A document's stored verdict (:func:`check_detached_signers`, :func:`check_pdf_signers`) comes
from the one verifier, :mod:`registry.pki.ades.verify`: every signer and counter-signature,
each judged at the time its validated time-stamp proves, as in the report and the API.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from asn1crypto import cms

from registry.pki import QualifiedCertificate, TrustStore, ValidationResult
from registry.pki import cms as cms_check
from registry.pki.certificate import MalformedCertificate

# The application's decision: registry.pki.validate plus revocation settings and CA accreditation.
from registry.trust.decision import decide

OK = cms_check.OK
NOT_A_SIGNATURE = cms_check.NOT_A_SIGNATURE
NO_SIGNER_CERTIFICATE = cms_check.NO_SIGNER_CERTIFICATE
DIGEST_MISMATCH = cms_check.DIGEST_MISMATCH
BAD_SIGNATURE = cms_check.BAD_SIGNATURE
UNSUPPORTED = cms_check.UNSUPPORTED
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
# A detached signature whose hash is not this file's: it was made for another file (or for an
# earlier version of this one); nothing says the document itself was changed.
NOT_THIS_FILE = ("Подпись сделана не для этого файла: хэш файла не совпадает с подписанным. "
                 "Загрузите подпись именно этого файла или подпишите его заново.")
PDF_UNREADABLE = "PDF-файл повреждён: подписи в нём прочитать нельзя. Сохраните документ в PDF заново."
SIGNATURE_UNREADABLE = "подпись в PDF повреждена"
# What every signed PDF holds (the signature dictionary's byte range); without it, unsigned.
_PDF_SIGNATURE_MARK = b"/ByteRange"

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
    # The one verifier's verdict (registry.pki.ades.verify), when it gave this check.
    verdict: Any = None

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
            **_verdict_fields(self.verdict),
        }


def _verdict_fields(verdict: Any) -> dict[str, Any]:
    """What the one verifier adds to a stored check: the ETSI indication (and in Russian
    words), format, proven time, counter-signature and each check's result."""
    if verdict is None:
        return {}
    from registry.pki.ades.verify import INDICATION_WORDS

    data = verdict.to_dict()
    return {
        "indication": verdict.indication, "sub_indication": verdict.sub_indication,
        "indication_words": INDICATION_WORDS[verdict.indication], "verdict": verdict.message,
        "format": verdict.format, "index": verdict.index, "counter_of": verdict.counter_of,
        "best_signature_time": data["best_signature_time"], "steps": data["checks"],
    }


def _check(code: str, detail: str = "", **kwargs) -> SignatureCheck:
    return SignatureCheck(code, MESSAGES[code].format(detail=detail), **kwargs)


# -- reading (the pure CMS part lives in registry.pki.cms) -----------------------------------
load_signed_data = cms_check.load_signed_data


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
    check = cms_check.check_detached(signature, content)
    signer = check.signer
    base = {"signer": signer, "signing_time": check.signing_time}
    if check.code in (NOT_A_SIGNATURE, NO_SIGNER_CERTIFICATE, UNSUPPORTED):
        return _check(check.code, check.detail, **({} if signer is None else base))
    if check.code == DIGEST_MISMATCH:
        return SignatureCheck(DIGEST_MISMATCH, NOT_THIS_FILE, **base)
    if check.code == BAD_SIGNATURE:
        return _check(check.code, check.detail, **base)
    assert signer is not None
    if expected_signer is not None and expected_signer.account_key() != signer.account_key():
        return SignatureCheck(CERTIFICATE, MESSAGES[CERTIFICATE].format(
            detail=f"документ подписан «{signer.full_name or signer.subject}», а ожидалась подпись "
                   f"«{expected_signer.full_name or expected_signer.subject}»"), intact=True, **base)
    proven = None if at is not None else _proven_time(signature, trust_store)
    if proven is not None:
        # A validated signature time-stamp (CAdES-T and later): judged at the proven time.
        from registry.pki.ades.verify import judge_certificate

        result = judge_certificate(signer, check.intermediates, proven, trust_store=trust_store,
                                   validate=decide)
    else:
        result = decide(signer, trust_store=trust_store, intermediates=check.intermediates, at=at,
                        purpose="signature")
    details = {"proven_time": proven.isoformat()} if proven else {}
    if not result.valid:
        return SignatureCheck(CERTIFICATE, MESSAGES[CERTIFICATE].format(detail=result.message),
                              intact=True, certificate=result, details=details, **base)
    return SignatureCheck(OK, MESSAGES[OK], intact=True, certificate=result, details=details, **base)


def _proven_time(signature: bytes, trust_store: TrustStore) -> datetime | None:
    from registry.pki.ades.verify import proven_time

    try:
        signer_info = load_signed_data(signature)["signer_infos"][0]
    except (MalformedCertificate, IndexError):
        return None
    return proven_time(signer_info, trust_store=trust_store, validate=decide)


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

    from registry.pki.validation import pyhanko_context

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:  # a broken PDF is an answer, not an error
        if _PDF_SIGNATURE_MARK not in data:
            return [_check(NOT_SIGNED, kind="pdf")]  # viewers open it; it is just unsigned
        return [SignatureCheck(NOT_A_SIGNATURE, PDF_UNREADABLE, kind="pdf")]
    if not embedded:
        return [_check(NOT_SIGNED, kind="pdf")]
    if len(embedded) > MAX_PDF_SIGNATURES:
        return [_check(TOO_MANY_SIGNATURES, str(len(embedded)), kind="pdf")]
    checks = []
    for sig in embedded:
        try:
            count = _certificate_count(sig.signed_data)
        except Exception:
            checks.append(_check(NOT_A_SIGNATURE, SIGNATURE_UNREADABLE, kind="pdf"))
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
            status = validate_pdf_signature(sig, pyhanko_context(trust_roots=[cert]))
        except Exception:
            checks.append(_check(BAD_SIGNATURE, **base))
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
        result = decide(signer, trust_store=trust_store, intermediates=others, at=at, purpose="signature")
        details = {"coverage": coverage, "modified_after_signing": coverage != "ENTIRE_FILE"}
        if not result.valid:
            checks.append(SignatureCheck(CERTIFICATE, MESSAGES[CERTIFICATE].format(detail=result.message),
                                         intact=True, certificate=result, details=details, **base))
        else:
            checks.append(SignatureCheck(OK, MESSAGES[OK], intact=True, certificate=result,
                                         details=details, **base))
    return checks


# -- every signer, through the one verifier ---------------------------------------------------
# ETSI sub-indications as the codes the stored checks have always had.
_CODES = {
    "HASH_FAILURE": DIGEST_MISMATCH, "SIG_CRYPTO_FAILURE": BAD_SIGNATURE,
    "NO_SIGNING_CERTIFICATE_FOUND": NO_SIGNER_CERTIFICATE, "FORMAT_FAILURE": NOT_A_SIGNATURE,
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": UNSUPPORTED,
}


def from_verdict(verdict: Any, *, detached: bool = False) -> SignatureCheck:
    """The stored check of one signature judged by :mod:`registry.pki.ades.verify`."""
    cert = verdict.certificate
    code = OK if verdict.passed else _CODES.get(verdict.sub_indication or "", CERTIFICATE)
    if code == OK:
        message = MESSAGES[OK]
    elif code == DIGEST_MISMATCH and detached:
        message = NOT_THIS_FILE
    elif code in (DIGEST_MISMATCH, BAD_SIGNATURE, NO_SIGNER_CERTIFICATE):
        message = MESSAGES[code]
    elif code == CERTIFICATE and cert is not None and not cert.valid:
        message = MESSAGES[CERTIFICATE].format(detail=cert.message)
    else:
        message = verdict.message
    details: dict[str, Any] = {}
    if verdict.best_signature_time is not None:
        details["proven_time"] = verdict.best_signature_time.isoformat()
    coverage = next((c for c in verdict.checks if c.name == "Подпись охватывает"), None)
    if coverage is not None:
        details["coverage"] = "ENTIRE_FILE" if coverage.passed else "ENTIRE_REVISION"
        details["modified_after_signing"] = not coverage.passed
    return SignatureCheck(code, message, kind=verdict.kind, signer=verdict.signer,
                          signing_time=verdict.signing_time, intact=verdict.intact, certificate=cert,
                          details=details, verdict=verdict)


def _limits(max_bytes: int, max_certificates: int) -> Any:
    from flask import current_app, has_app_context

    from registry.pki.ades.limits import Limits

    limits = Limits.from_config(current_app.config if has_app_context() else None)
    return dataclasses.replace(limits, max_certificates=max_certificates,
                               max_signature_bytes=max(max_bytes, limits.max_signature_bytes))


def check_detached_signers(signature: bytes, content: bytes | BinaryIO, *, trust_store: TrustStore,
                           at: datetime | None = None, max_bytes: int = MAX_SIGNATURE_BYTES,
                           max_certificates: int = MAX_CERTIFICATES) -> list[SignatureCheck]:
    """Every signer (and counter-signature) of a detached CMS signature, each judged at the
    time its validated time-stamp proves, through the application's decision. What
    :func:`verify_detached` refuses before any certificate is looked at is refused the same."""
    from registry.pki.ades.verify import verify_cms

    if len(signature) > max_bytes:
        return [_check(TOO_LARGE, f"{len(signature) // 1024} КБ при допустимых {max_bytes // 1024} КБ")]
    try:
        signed = load_signed_data(signature)
    except MalformedCertificate as exc:
        return [_check(NOT_A_SIGNATURE, str(exc))]
    count = _certificate_count(signed)
    if count > max_certificates:
        return [_check(TOO_MANY_CERTIFICATES, f"{count} при допустимых {max_certificates}")]
    data = content if isinstance(content, bytes) else b"".join(cms_check.chunks(content))
    found = verify_cms(signature, data, trust_store=trust_store, at=at, validate=decide,
                       limits=_limits(max_bytes, max_certificates))
    return [from_verdict(v, detached=True) for v in found]


def check_pdf_signers(data: bytes, *, trust_store: TrustStore, at: datetime | None = None,
                      max_certificates: int = MAX_CERTIFICATES) -> list[SignatureCheck]:
    """Every signature embedded in a PDF through the one verifier (see :func:`verify_pdf` for
    an unreadable or unsigned PDF, answered the same)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from registry.pki.ades.verify import verify_pdf as verify_pdf_signatures

    try:
        count = len(list(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures))
    except Exception:  # a broken PDF is an answer, not an error
        if _PDF_SIGNATURE_MARK not in data:
            return [_check(NOT_SIGNED, kind="pdf")]
        return [SignatureCheck(NOT_A_SIGNATURE, PDF_UNREADABLE, kind="pdf")]
    if not count:
        return [_check(NOT_SIGNED, kind="pdf")]
    if count > MAX_PDF_SIGNATURES:
        return [_check(TOO_MANY_SIGNATURES, str(count), kind="pdf")]
    found = verify_pdf_signatures(data, trust_store=trust_store, at=at, validate=decide,
                                  limits=_limits(MAX_SIGNATURE_BYTES, max_certificates))
    return [from_verdict(v) for v in found]


def summary(checks: list[dict]) -> str:
    """«2 подписи: Иванов И. И. — подпись действительна; …» for a document page."""
    judged = [c for c in checks if c.get("indication")]
    if not judged:
        return ""
    n = len(judged)
    noun = "подпись" if n % 10 == 1 and n % 100 != 11 else \
        "подписи" if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else "подписей"
    parts = []
    for c in judged:
        signer = c.get("signer") or {}
        who = signer.get("full_name") or signer.get("subject") or "подписант не установлен"
        if c.get("counter_of") is not None:
            who += " (заверяющая подпись)"
        parts.append(f"{who} — {c['indication_words'].lower()}")
    return f"{n} {noun}: " + "; ".join(parts)
