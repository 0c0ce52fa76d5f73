"""The one signature verifier: detached, attached and PDF-embedded signatures, every signer
info and its counter-signatures, every signature of a PDF, each judged at the time of signing.

Integrity and the signature value are pyHanko's (generic CMS and PDF validation, with GOST
through :mod:`registry.pki.validation`'s pyHanko plug); the time a signature time-stamp proves is read with
:mod:`registry.pki.tsp` and its TSA's certificate validated at that time; the signer's
certificate is then judged at the proven time by the caller's certificate decision
(``validate``: the product passes its one verdict path, accreditation included). Indications
are those of ETSI EN 319 102-1 (pyHanko's enums).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate

from .. import reasons as R
from .. import tsp
from ..certificate import MalformedCertificate, QualifiedCertificate
from ..cms import content_digest, find_signer
from ..store import TrustStore
from ..validation import (
    PYHANKO_SIGNATURE_VALIDATOR,
    ValidationResult,
    install_pyhanko,
    pyhanko_context,
)
from . import cms as ades_cms
from . import evidence
from .limits import LimitExceeded, Limits
from .verdict import (  # noqa: F401 - the verifier's public names
    FAILED,
    INDETERMINATE,
    INDICATION_WORDS,
    PASSED,
    SUB_WORDS,
    Check,
    Validate,
    Verdict,
)
from .verdict import Run as _Run
from .verdict import finish as _finish
from .verdict import start_run as _run


def _revocation_date(run: _Run, cert: asn1_x509.Certificate) -> datetime | None:
    """When the trust store's CRLs say ``cert`` was revoked (carried values: :mod:`.evidence`)."""
    from ..validation import CACHES, usable_crls

    for item in usable_crls(run.trust_store, CACHES):
        try:
            if item["tbs_cert_list"]["issuer"] != cert.issuer:
                continue
            for entry in item["tbs_cert_list"]["revoked_certificates"] or []:
                if entry["user_certificate"].native == cert.serial_number:
                    return entry["revocation_date"].native
        except Exception:  # a broken CRL proves nothing
            continue
    return None


def judge(run: _Run, cert: QualifiedCertificate, others: list[bytes], moment: datetime | None,
          purpose: str) -> ValidationResult:
    """The certificate at ``moment`` (a proven time), or now without one.

    At a past moment the chain, the validity periods and the CA's accreditation are those of
    that moment; revocation is read from today's CRLs (issued after the moment, they are the
    evidence for it): a revocation dated after the moment does not count.
    """
    if moment is None:
        return run.validate(cert, trust_store=run.trust_store, intermediates=others, at=run.given_at,
                            purpose=purpose)
    past = run.validate(cert, trust_store=run.trust_store, intermediates=others, at=moment, purpose=purpose,
                        revocation="none")
    if not past.valid:
        return past
    if purpose == "signature" and (run.crls or run.ocsps):
        found = evidence.carried_status(cert.asn1, [c.asn1 for c in past.chain], crls=run.crls,
                                        ocsps=run.ocsps, others=run.certs, moment=moment)
        run.notes = found.notes
        if found.status == evidence.REVOKED:
            return ValidationResult(False, R.REVOKED, R.reason_message(R.REVOKED), list(past.chain), cert)
        if found.status == evidence.GOOD:
            past.details["revocation_evidence"] = "carried"  # the signature's own values prove it
            return past
    now = run.validate(cert, trust_store=run.trust_store, intermediates=others, at=run.given_at,
                       purpose=purpose)
    if now.valid:
        return past
    revoked_at = _revocation_date(run, cert.asn1)
    if revoked_at is not None and revoked_at <= moment:
        return now if now.code == R.REVOKED else ValidationResult(
            False, R.REVOKED, R.reason_message(R.REVOKED), list(past.chain), cert)
    if now.code in (R.REVOKED, R.EXPIRED, R.CA_NOT_ACCREDITED) and (now.code != R.REVOKED or revoked_at):
        past.details["after_signing"] = now.code  # what happened later does not undo the signature
        return past
    return now


# -- CMS ---------------------------------------------------------------------------------------
def verify_cms(signature: bytes, content: bytes | None = None, *, trust_store: TrustStore,
               at: datetime | None = None, validate: Validate | None = None,
               limits: Limits | None = None) -> list[Verdict]:
    """Every signer info (and counter-signature) of a CMS signature, detached over ``content``
    or attached. Never raises for bad input: a refused file is one verdict saying why."""
    run = _run(trust_store, at, validate, limits)
    if len(signature) > run.limits.max_signature_bytes:
        return [_refused(f"файл подписи больше {run.limits.max_signature_bytes // 1024 // 1024} МБ")]
    try:
        signed = ades_cms.read(signature)
        infos = signed["signer_infos"]
        count = len(infos)
        certificates = ades_cms.certificates(signed)
    except (MalformedCertificate, ValueError, TypeError, KeyError) as exc:
        return [_refused(f"файл не является подписью CMS: {exc}")]
    if not count:
        return [_refused("в подписи нет ни одного подписанта")]
    if count > run.limits.max_signers:
        return [_refused(f"в подписи {count} подписантов при допустимых {run.limits.max_signers}")]
    if len(certificates) > run.limits.max_certificates:
        return [_refused(f"в подписи {len(certificates)} сертификатов при допустимых "
                         f"{run.limits.max_certificates}")]
    encapsulated = signed["encap_content_info"]["content"]
    if content is None and encapsulated.native is not None:
        content = encapsulated.contents if not hasattr(encapsulated, "parsed") else bytes(encapsulated)
    verdicts: list[Verdict] = []
    for index, signer_info in enumerate(infos):
        verdicts.append(_signer(run, signed, signer_info, content, index))
        try:
            verdicts.extend(_counter_signatures(run, signed, signer_info, index))
        except LimitExceeded as exc:
            verdicts.append(_refused(str(exc), index=index))
    return verdicts


def _refused(reason: str, index: int = 0, kind: str = "cms") -> Verdict:
    verdict = Verdict(INDETERMINATE, "FORMAT_FAILURE", kind=kind, index=index,
                      checks=[Check("Формат подписи", False, reason)])
    _finish(verdict)
    verdict.message = f"{INDICATION_WORDS[INDETERMINATE]}: {reason}."
    return verdict


def _format(signer_info: cms.SignerInfo, unsigned: ades_cms.Unsigned) -> str:
    if not signer_info["signed_attrs"]:
        return "CMS"
    if any(unsigned.has(n) for n in (ades_cms.ARCHIVE_TIME_STAMP_V2, ades_cms.ARCHIVE_TIME_STAMP_V3,
                                     "archive_time_stamp_v1")):
        return "CAdES-A"
    values = unsigned.has(ades_cms.CERTIFICATE_VALUES) and unsigned.has(ades_cms.REVOCATION_VALUES)
    if values and unsigned.has(ades_cms.ESC_TIME_STAMP):
        return "CAdES-X Long Type 1"
    if values and unsigned.has(ades_cms.REFS_ONLY_TIME_STAMP):
        return "CAdES-X Long Type 2"
    if values:
        return "CAdES-X Long"
    if unsigned.has(ades_cms.CERTIFICATE_REFS):
        return "CAdES-C"
    if unsigned.has(ades_cms.SIGNATURE_TIME_STAMP):
        return "CAdES-T"
    return "CAdES-BES"


def _signer(run: _Run, signed: cms.SignedData, signer_info: cms.SignerInfo, content: bytes | None,
            index: int) -> Verdict:
    verdict = Verdict(INDETERMINATE, index=index)
    try:
        unsigned = ades_cms.unsigned_attributes(signer_info)
        verdict.format = _format(signer_info, unsigned)
        verdict.signing_time = ades_cms.claimed_signing_time(signer_info)
    except Exception as exc:  # asn1crypto reports broken input with many exception types
        return _refused(f"атрибуты подписанта повреждены ({type(exc).__name__})", index)
    checks = verdict.checks
    checks.append(Check("Формат", True, verdict.format))
    cert = find_signer(signed, signer_info)
    if cert is None:
        verdict.sub_indication = "NO_SIGNING_CERTIFICATE_FOUND"
        checks.append(Check("Сертификат подписанта в подписи", False))
        return _finish(verdict)
    try:
        verdict.signer = QualifiedCertificate(cert.dump(), cert)
    except MalformedCertificate as exc:
        verdict.sub_indication = "FORMAT_FAILURE"
        checks.append(Check("Сертификат подписанта", False, str(exc)))
        return _finish(verdict)
    if content is None:
        verdict.sub_indication = "SIGNED_DATA_NOT_FOUND"
        checks.append(Check("Подписанные данные", None, "подпись отделённая, документ не приложен"))
        return _finish(verdict)
    if not _integrity(verdict, signed, signer_info, cert, content):
        return _finish(verdict)
    others = [c.dump() for c in ades_cms.certificates(signed) if c.dump() != cert.dump()]
    try:
        others += _evidence(run, verdict, unsigned)
        _time_stamps(run, verdict, signer_info, unsigned)
    except LimitExceeded as exc:
        verdict.sub_indication = "GENERIC"
        checks.append(Check("Ограничения проверки", False, str(exc)))
        _finish(verdict)
        verdict.message = f"{INDICATION_WORDS[INDETERMINATE]}: {exc}."
        return verdict
    _certificate(run, verdict, others)
    return _finish(verdict)


def _integrity(verdict: Verdict, signed: cms.SignedData, signer_info: cms.SignerInfo, cert,
               content: bytes) -> bool:
    from pyhanko.sign.general import SignedDataCerts  # noqa: F401 - pyHanko's CMS module is loaded
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.generic_cms import validate_sig_integrity

    install_pyhanko()
    algorithm = signer_info["digest_algorithm"]["algorithm"].native
    try:
        digest = content_digest(algorithm, content)
    except LookupError:
        verdict.indication, verdict.sub_indication = INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
        verdict.checks.append(Check("Алгоритм хэширования", False, f"«{algorithm}» не поддерживается"))
        return False
    try:
        intact, valid = validate_sig_integrity(
            signer_info, cert, expected_content_type=signed["encap_content_info"]["content_type"].native,
            actual_digest=digest, sig_validator=PYHANKO_SIGNATURE_VALIDATOR)
    except SignatureValidationError as exc:
        verdict.indication, verdict.sub_indication = FAILED, "FORMAT_FAILURE"
        verdict.checks.append(Check("Структура подписи", False, exc.failure_message))
        return False
    except Exception as exc:  # an unsupported key or algorithm: the value cannot be checked
        verdict.indication, verdict.sub_indication = INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
        verdict.checks.append(Check("Значение подписи", None, f"не проверяется ({type(exc).__name__})"))
        return False
    verdict.intact = intact
    verdict.checks.append(Check("Целостность документа (хэш)", intact))
    if not intact:
        verdict.indication, verdict.sub_indication = FAILED, "HASH_FAILURE"
        return False
    verdict.checks.append(Check("Значение подписи", valid))
    if not valid:
        verdict.indication, verdict.sub_indication = FAILED, "SIG_CRYPTO_FAILURE"
        return False
    return True


def _evidence(run: _Run, verdict: Verdict, unsigned: ades_cms.Unsigned) -> list[bytes]:
    """The certificate values (candidates for the chain) and revocation values of CAdES-X L,
    bounded before they are parsed."""
    certs: list[bytes] = []
    for name in (ades_cms.CERTIFICATE_VALUES, ades_cms.REVOCATION_VALUES):
        size = unsigned.sizes.get(name, 0)
        if size > run.limits.max_attribute_bytes:
            raise LimitExceeded(f"атрибут {name} занимает {size // 1024} КБ при допустимых "
                                f"{run.limits.max_attribute_bytes // 1024} КБ")
    for raw in unsigned.values.get(ades_cms.CERTIFICATE_VALUES, []):
        values = ades_cms.value_of(raw, ades_cms.CertificateValues)
        if len(values) > run.limits.max_certificates:
            raise LimitExceeded(f"в подписи {len(values)} сертификатов при допустимых "
                                f"{run.limits.max_certificates}")
        certs.extend(c.dump() for c in values)
        run.certs.extend(values)
    crl_count = ocsp_count = 0
    for raw in unsigned.values.get(ades_cms.REVOCATION_VALUES, []):
        values = ades_cms.value_of(raw, ades_cms.RevocationValues)
        crl_count += len(values["crl_vals"] or [])
        run.crls.extend(values["crl_vals"] or [])
        ocsp_count += len(values["ocsp_vals"] or [])
        run.ocsps.extend(evidence.ocsp_values(list(values["ocsp_vals"] or [])))
    if crl_count + ocsp_count > run.limits.max_revocation_values:
        raise LimitExceeded(f"в подписи {crl_count + ocsp_count} списков отзыва и ответов OCSP при "
                            f"допустимых {run.limits.max_revocation_values}")
    if certs or crl_count or ocsp_count:
        verdict.checks.append(Check("Доказательства (CAdES-X Long)", True,
                                    f"сертификатов: {len(certs)}, СОС: {crl_count}, ответов OCSP: {ocsp_count}"))
    return certs


def _time_stamps(run: _Run, verdict: Verdict, signer_info: cms.SignerInfo,
                 unsigned: ades_cms.Unsigned) -> None:
    tokens = unsigned.values.get(ades_cms.SIGNATURE_TIME_STAMP, [])
    if len(tokens) > run.limits.max_time_stamps:
        raise LimitExceeded(f"в подписи {len(tokens)} штампов времени при допустимых {run.limits.max_time_stamps}")
    value = signer_info["signature"].native
    for raw in tokens:
        try:
            token = cms.ContentInfo.load(raw)
        except Exception:
            verdict.checks.append(Check("Штамп времени", False, "штамп времени повреждён"))
            continue
        proven = _time_stamp(run, verdict, token, value)
        if proven is not None and (verdict.best_signature_time is None or proven < verdict.best_signature_time):
            verdict.best_signature_time = proven
    for name in (ades_cms.ESC_TIME_STAMP, ades_cms.ARCHIVE_TIME_STAMP_V2, ades_cms.ARCHIVE_TIME_STAMP_V3):
        extra = unsigned.values.get(name, [])
        if len(extra) > run.limits.max_time_stamps:
            raise LimitExceeded(f"в подписи {len(extra)} штампов {name} при допустимых {run.limits.max_time_stamps}")
        for raw in extra:
            _tsa_only(run, verdict, raw, name)


def _time_stamp(run: _Run, verdict: Verdict, token: cms.ContentInfo, value: bytes) -> datetime | None:
    stamp = tsp.check_time_stamp(token, value)
    if not stamp.ok or stamp.time is None or stamp.tsa is None:
        verdict.checks.append(Check("Штамп времени на подписи", False, stamp.detail))
        return None
    if stamp.time > run.at:
        verdict.checks.append(Check("Штамп времени на подписи", False, "время штампа ещё не наступило"))
        return None
    if not tsp.is_time_stamping(stamp.tsa):
        verdict.checks.append(Check("Штамп времени на подписи", False,
                                    f"сертификат «{stamp.tsa.subject}» не предназначен для штампов времени"))
        return None
    result = judge(run, stamp.tsa, stamp.intermediates, stamp.time, "any")
    if not result.valid:
        verdict.checks.append(Check("Штамп времени на подписи", False,
                                    f"сертификат службы штампов времени не принят: {result.message}"))
        return None
    tsa = stamp.tsa.full_name or stamp.tsa.subject
    verdict.checks.append(Check("Штамп времени на подписи", True,
                                f"{stamp.time:%d.%m.%Y %H:%M:%S} UTC, служба «{tsa}»"))
    return stamp.time


def _tsa_only(run: _Run, verdict: Verdict, raw: bytes, name: str) -> None:
    """A CAdES-C or archive time-stamp: its TSA's signature over its TSTInfo and the TSA's
    certificate at its time (what it covers is not recomputed)."""
    from .. import cms as cms_check

    words = {ades_cms.ESC_TIME_STAMP: "Штамп времени CAdES-C"}.get(name, "Архивный штамп времени")
    try:
        token = cms.ContentInfo.load(raw)
        encap = token["content"]["encap_content_info"]["content"].contents
        check = cms_check.check_detached(raw, encap)
        from asn1crypto import tsp as asn1_tsp

        moment = asn1_tsp.TSTInfo.load(encap)["gen_time"].native
    except Exception:
        verdict.checks.append(Check(words, False, "штамп повреждён"))
        return
    if not check.intact or check.signer is None:
        verdict.checks.append(Check(words, False, f"подпись службы штампов времени неверна ({check.code})"))
        return
    result = judge(run, check.signer, check.intermediates, moment, "any")
    verdict.checks.append(Check(words, result.valid, f"{moment:%d.%m.%Y %H:%M:%S} UTC" if result.valid
                                else result.message))


_EXPIRY = {R.EXPIRED}
_REVOKED = {R.REVOKED}


def _certificate(run: _Run, verdict: Verdict, others: list[bytes]) -> None:
    assert verdict.signer is not None
    proven = verdict.best_signature_time
    run.notes = []
    result = judge(run, verdict.signer, others, proven, "signature")
    verdict.checks.extend(Check(*note) for note in run.notes)
    verdict.certificate = result
    verdict.chain = list(result.chain)
    when = "на подтверждённый момент подписания" if proven else "на момент проверки"
    verdict.checks.append(Check(f"Сертификат подписанта {when}", result.valid,
                                "действителен" if result.valid else result.message))
    if proven is None:
        verdict.checks.append(Check("Время подписания подтверждено", None,
                                    "штампа времени нет: время подписания заявлено подписантом, не доказано"))
    if result.valid:
        verdict.indication, verdict.sub_indication = PASSED, None
        return
    code = result.code
    if code in _EXPIRY:
        verdict.indication = FAILED if proven else INDETERMINATE
        verdict.sub_indication = "EXPIRED" if proven else "OUT_OF_BOUNDS_NO_POE"
    elif code in _REVOKED:
        verdict.indication = FAILED if proven else INDETERMINATE
        verdict.sub_indication = "REVOKED" if proven else "REVOKED_NO_POE"
    elif code == R.NOT_YET_VALID:
        verdict.indication, verdict.sub_indication = FAILED, "NOT_YET_VALID"
    elif code in (R.UNTRUSTED_ROOT, R.INCOMPLETE_CHAIN):
        verdict.indication, verdict.sub_indication = INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"
    elif code in (R.REVOCATION_UNKNOWN, R.TIMEOUT):
        verdict.indication, verdict.sub_indication = INDETERMINATE, "TRY_LATER"
    elif code == R.ALGORITHM_WITHDRAWN:
        verdict.indication, verdict.sub_indication = INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    else:
        verdict.indication, verdict.sub_indication = INDETERMINATE, "CHAIN_CONSTRAINTS_FAILURE"


def _counter_signatures(run: _Run, signed: cms.SignedData, signer_info: cms.SignerInfo, index: int,
                        depth: int = 1) -> list[Verdict]:
    unsigned = ades_cms.unsigned_attributes(signer_info)
    raws = unsigned.values.get("counter_signature", [])
    if not raws:
        return []
    if len(raws) > run.limits.max_counter_signatures or depth > run.limits.max_counter_depth:
        raise LimitExceeded(f"заверяющих подписей {len(raws)} (вложенность {depth}) при допустимых "
                            f"{run.limits.max_counter_signatures} (вложенность {run.limits.max_counter_depth})")
    out = []
    for raw in raws:
        counter = cms.SignerInfo.load(raw)
        verdict = _counter(run, signed, counter, signer_info["signature"].native, index)
        out.append(verdict)
        out.extend(_counter_signatures(run, signed, counter, index, depth + 1))
    return out


def _counter(run: _Run, signed: cms.SignedData, counter: cms.SignerInfo, value: bytes, index: int) -> Verdict:
    """A counter-signature: a signer info over the parent's signature value, without a
    content type (RFC 5652 §11.4)."""
    from cryptography.exceptions import InvalidSignature

    verdict = Verdict(INDETERMINATE, format="CAdES-BES", index=index, counter_of=index)
    verdict.checks.append(Check("Вид", True, "заверяющая подпись (countersignature)"))
    cert = find_signer(signed, counter)
    if cert is None:
        verdict.sub_indication = "NO_SIGNING_CERTIFICATE_FOUND"
        return _finish(verdict)
    verdict.signer = QualifiedCertificate(cert.dump(), cert)
    verdict.signing_time = ades_cms.claimed_signing_time(counter)
    algorithm = counter["digest_algorithm"]["algorithm"].native
    try:
        digest = content_digest(algorithm, value)
        attrs = counter["signed_attrs"]
        embedded = next((a["values"][0].native for a in attrs if a["type"].native == "message_digest"), None)
        verdict.intact = embedded == digest
        verdict.checks.append(Check("Целостность заверяемой подписи (хэш)", verdict.intact))
        if not verdict.intact:
            verdict.indication, verdict.sub_indication = FAILED, "HASH_FAILURE"
            return _finish(verdict)
        PYHANKO_SIGNATURE_VALIDATOR.validate_signature(
            counter["signature"].native, attrs.untag().dump(), cert.public_key, counter["signature_algorithm"])
    except InvalidSignature:
        verdict.indication, verdict.sub_indication = FAILED, "SIG_CRYPTO_FAILURE"
        verdict.checks.append(Check("Значение подписи", False))
        return _finish(verdict)
    except Exception as exc:
        verdict.sub_indication = "FORMAT_FAILURE"
        verdict.checks.append(Check("Структура заверяющей подписи", False, type(exc).__name__))
        return _finish(verdict)
    verdict.checks.append(Check("Значение подписи", True))
    _certificate(run, verdict, [c.dump() for c in ades_cms.certificates(signed)])
    return _finish(verdict)


# -- PDF ---------------------------------------------------------------------------------------
def verify_pdf(data: bytes, *, trust_store: TrustStore, at: datetime | None = None,
               validate: Validate | None = None, limits: Limits | None = None) -> list[Verdict]:
    """Every signature embedded in a PDF (also those a later signature covers)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    run = _run(trust_store, at, validate, limits)
    install_pyhanko()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
        has_dss = "/DSS" in reader.root
    except Exception:
        return [_refused("PDF-файл повреждён: подписи в нём прочитать нельзя", kind="pdf")]
    if not embedded:
        return [_refused("в PDF нет электронных подписей", kind="pdf")]
    if len(embedded) > run.limits.max_pdf_signatures:
        return [_refused(f"в PDF {len(embedded)} подписей при допустимых {run.limits.max_pdf_signatures}",
                         kind="pdf")]
    doc_timestamps = [s for s in embedded if s.sig_object.get("/Type") == "/DocTimeStamp"]
    verdicts = []
    for index, sig in enumerate(embedded):
        if sig in doc_timestamps:
            continue
        verdict = Verdict(INDETERMINATE, kind="pdf", index=index)
        signed = sig.signed_data
        signer_info = signed["signer_infos"][0]
        unsigned = ades_cms.unsigned_attributes(signer_info)
        level = ("B-LTA" if doc_timestamps else "B-LT" if has_dss else
                 "B-T" if unsigned.has(ades_cms.SIGNATURE_TIME_STAMP) else "B-B")
        verdict.format = f"PAdES-{level}"
        verdict.checks.append(Check("Формат", True, verdict.format))
        verdict.signing_time = sig.self_reported_timestamp
        cert = sig.signer_cert
        if cert is None:
            verdict.sub_indication = "NO_SIGNING_CERTIFICATE_FOUND"
            verdicts.append(_finish(verdict))
            continue
        verdict.signer = QualifiedCertificate(cert.dump(), cert)
        if len(signed["certificates"] or []) > run.limits.max_certificates:
            verdicts.append(_refused("в подписи слишком много сертификатов", index, "pdf"))
            continue
        try:
            status = validate_pdf_signature(sig, pyhanko_context(trust_roots=[cert]))
        except Exception as exc:
            verdict.indication, verdict.sub_indication = FAILED, "FORMAT_FAILURE"
            verdict.checks.append(Check("Структура подписи", False, type(exc).__name__))
            verdicts.append(_finish(verdict))
            continue
        verdict.intact = status.intact
        verdict.checks.append(Check("Целостность документа (хэш)", status.intact))
        if not status.intact:
            verdict.indication, verdict.sub_indication = FAILED, "HASH_FAILURE"
            verdicts.append(_finish(verdict))
            continue
        verdict.checks.append(Check("Значение подписи", status.valid))
        if not status.valid:
            verdict.indication, verdict.sub_indication = FAILED, "SIG_CRYPTO_FAILURE"
            verdicts.append(_finish(verdict))
            continue
        coverage = status.coverage.name if status.coverage is not None else None
        verdict.checks.append(Check("Подпись охватывает", coverage == "ENTIRE_FILE",
                                    "весь файл" if coverage == "ENTIRE_FILE" else
                                    "редакцию файла; после подписания файл дополнялся"))
        others = [c.dump() for c in ades_cms.certificates(signed) if c.dump() != cert.dump()]
        try:
            _time_stamps(run, verdict, signer_info, unsigned)
        except LimitExceeded as exc:
            verdicts.append(_refused(str(exc), index, "pdf"))
            continue
        _certificate(run, verdict, others)
        verdicts.append(_finish(verdict))
    return verdicts


def verify_file(data: bytes, signature: bytes | None = None, **kwargs: Any) -> list[Verdict]:
    """A PDF (its embedded signatures), an attached CMS signature, or ``data`` with its detached
    ``signature``."""
    if signature is not None:
        return verify_cms(signature, data, **kwargs)
    if data.lstrip()[:5] == b"%PDF-":
        return verify_pdf(data, **kwargs)
    return verify_cms(data, None, **kwargs)


_ = (AdESFailure, AdESIndeterminate)


def proven_time(signer_info: cms.SignerInfo, *, trust_store: TrustStore, validate: Validate | None = None,
                at: datetime | None = None, limits: Limits | None = None) -> datetime | None:
    """The earliest time a validated signature time-stamp of ``signer_info`` proves (None: none)."""
    run = _run(trust_store, at, validate, limits)
    verdict = Verdict(INDETERMINATE)
    try:
        _time_stamps(run, verdict, signer_info, ades_cms.unsigned_attributes(signer_info))
    except (LimitExceeded, ValueError, TypeError, KeyError):
        return None
    return verdict.best_signature_time


def judge_certificate(cert: QualifiedCertificate, others: list[bytes], moment: datetime | None, *,
                      trust_store: TrustStore, validate: Validate | None = None,
                      at: datetime | None = None) -> ValidationResult:
    """The certificate judged at a proven ``moment`` (see :func:`judge`), or now without one."""
    return judge(_run(trust_store, at, validate, None), cert, others, moment, "signature")
