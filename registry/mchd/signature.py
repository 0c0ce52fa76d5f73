"""The signature of an МЧД: a CMS signature over the exact XML (detached or attached), the time
it was made — proven by a signature time-stamp (CAdES-T) when there is one, else as claimed —
and the signer's certificate valid at that time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..pki import QualifiedCertificate, TrustStore, tsp
from ..pki import cms as cms_check
from ..pki.certificate import MalformedCertificate

UNREADABLE = "unreadable"
TAMPERED = "tampered"
CERTIFICATE = "certificate"
TIME_STAMP = "time_stamp"
INVALID = "invalid"
OK = "ok"


@dataclass
class SignatureOutcome:
    """What the signature says: ``code`` (OK or why not), the signer, the claimed and the
    proven time, and the TSA that proved it."""

    code: str
    detail: str = ""
    signer: QualifiedCertificate | None = None
    claimed_time: datetime | None = None
    proven_time: datetime | None = None
    tsa: QualifiedCertificate | None = None

    @property
    def ok(self) -> bool:
        return self.code == OK

    @property
    def signing_time(self) -> datetime | None:
        return self.proven_time or self.claimed_time


def _trust_store(store: TrustStore | None) -> TrustStore:
    if store is not None:
        return store
    from ..trust.store import trust_store as current_store

    return current_store()


def _time_stamp(signer_info, moment: datetime, store: TrustStore) -> SignatureOutcome | None:
    """The proven time of a CAdES-T signature (None: there is no time-stamp), or why the
    time-stamp is not accepted."""
    from ..trust.decision import decide

    tokens = tsp.signature_time_stamps(signer_info)
    if not tokens:
        return None
    if len(tokens) > tsp.MAX_TOKENS:
        return SignatureOutcome(TIME_STAMP, f"в подписи {len(tokens)} штампов времени")
    stamp = tsp.check_time_stamp(tokens[0], signer_info["signature"].native)
    if not stamp.ok or stamp.time is None or stamp.tsa is None:
        return SignatureOutcome(TIME_STAMP, stamp.detail)
    if stamp.time > moment:
        return SignatureOutcome(TIME_STAMP, f"время штампа {stamp.time:%d.%m.%Y %H:%M} UTC ещё не наступило")
    if not tsp.is_time_stamping(stamp.tsa):
        return SignatureOutcome(TIME_STAMP, f"сертификат «{stamp.tsa.subject}» не предназначен для "
                                            "штампов времени (нет назначения timeStamping)")
    result = decide(stamp.tsa, trust_store=store, intermediates=stamp.intermediates, at=stamp.time,
                      purpose="any")
    if not result.valid:
        return SignatureOutcome(TIME_STAMP, f"сертификат службы штампов времени не принят: {result.message}")
    return SignatureOutcome(OK, proven_time=stamp.time, tsa=stamp.tsa)


def check(xml: bytes, signature: bytes, moment: datetime, *, trust_store: TrustStore | None,
          max_bytes: int) -> SignatureOutcome:
    """Check the signature over ``xml`` as of ``moment``; never raises for bad input."""
    from ..documents import signatures

    if len(signature) > max_bytes:
        return SignatureOutcome(UNREADABLE, f"файл больше {max_bytes // 1024} КБ")
    try:
        signed = cms_check.load_signed_data(signature)
        infos = signed["signer_infos"]
        if not len(infos):
            return SignatureOutcome(UNREADABLE, "в подписи нет ни одного подписанта")
        signer_info = infos[0]
        claimed = cms_check.signed_attribute(signer_info, "signing_time")
    except (MalformedCertificate, ValueError, TypeError, KeyError):
        # The parser's words (DER, PEM, base64) mean nothing to the person who uploaded it.
        return SignatureOutcome(UNREADABLE, "это не файл электронной подписи в формате CMS (PKCS#7)")
    if claimed is not None and claimed > moment:
        claimed = moment  # a signing time claimed in the future proves nothing later
    store = _trust_store(trust_store)
    stamped = _time_stamp(signer_info, moment, store)
    if stamped is not None and not stamped.ok:
        stamped.claimed_time = claimed
        return stamped
    proven = stamped.proven_time if stamped else None
    verdict = signatures.verify_detached(signature, xml, trust_store=store, at=proven or claimed or moment,
                                         max_bytes=max_bytes)
    outcome = SignatureOutcome(OK, signer=verdict.signer, claimed_time=claimed, proven_time=proven,
                               tsa=stamped.tsa if stamped else None)
    if verdict.code == signatures.DIGEST_MISMATCH:
        outcome.code = TAMPERED
    elif verdict.code == signatures.CERTIFICATE:
        outcome.code = CERTIFICATE
        outcome.detail = verdict.certificate.message if verdict.certificate else verdict.message
    elif verdict.code in (signatures.NOT_A_SIGNATURE, signatures.TOO_LARGE, signatures.TOO_MANY_CERTIFICATES):
        outcome.code, outcome.detail = UNREADABLE, verdict.message
    elif not verdict.valid or verdict.signer is None:
        outcome.code, outcome.detail = INVALID, verdict.message
    return outcome
