"""Signature time-stamps of CAdES-T (RFC 5126 §6.1.1, RFC 3161): the time a trusted time-stamping
authority (TSA) says the signature value existed.

The pure cryptographic part: the token is a SignedData over a TSTInfo whose message imprint
must be the digest of the signer info's signature value, and the TSA's signature over it
must be right. Whether the TSA's certificate is trusted is the caller's decision (through
:func:`registry.pki.validate`, with :func:`is_time_stamping` for its purpose).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, tsp

from . import cms as cms_check
from .certificate import QualifiedCertificate

OK = "ok"
BROKEN = "time_stamp_broken"
MISMATCH = "time_stamp_not_of_signature"
BAD_SIGNATURE = "time_stamp_bad_signature"
# A signer info carries one signature time-stamp, sometimes two (two TSAs); more is refused.
MAX_TOKENS = 4


@dataclass
class TimeStampCheck:
    """The cryptographic verdict on one signature time-stamp token."""

    code: str
    detail: str = ""
    time: datetime | None = None
    tsa: QualifiedCertificate | None = None
    intermediates: list[bytes] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.code == OK


def signature_time_stamps(signer_info: cms.SignerInfo) -> list[cms.ContentInfo]:
    """The signature-time-stamp tokens among the unsigned attributes (none for CAdES-BES)."""
    tokens: list[cms.ContentInfo] = []
    for attr in signer_info["unsigned_attrs"] or []:
        if attr["type"].dotted == "1.2.840.113549.1.9.16.2.14":
            tokens.extend(attr["values"])
    return tokens


def check_time_stamp(token: cms.ContentInfo, signature_value: bytes) -> TimeStampCheck:
    """Whether ``token`` is a time-stamp of ``signature_value`` signed by its TSA. Never raises."""
    try:
        if token["content_type"].native != "signed_data":
            return TimeStampCheck(BROKEN, "штамп времени не является подписью CMS")
        encap = token["content"]["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            return TimeStampCheck(BROKEN, "в штампе времени нет сведений TSTInfo")
        raw = encap["content"].contents
        info = tsp.TSTInfo.load(raw)
        imprint = info["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        expected = imprint["hashed_message"].native
        moment = info["gen_time"].native
    except Exception as exc:  # asn1crypto reports broken input with many exception types
        return TimeStampCheck(BROKEN, f"штамп времени повреждён ({type(exc).__name__})")
    try:
        if cms_check.content_digest(algorithm, signature_value) != expected:
            return TimeStampCheck(MISMATCH, "штамп времени поставлен не на эту подпись", time=moment)
    except LookupError:
        return TimeStampCheck(BROKEN, f"алгоритм хэширования штампа времени «{algorithm}» не поддерживается")
    check = cms_check.check_detached(token.dump(), raw)
    if not check.intact:
        return TimeStampCheck(BAD_SIGNATURE, f"подпись службы штампов времени неверна ({check.code})",
                              time=moment, tsa=check.signer)
    return TimeStampCheck(OK, time=moment, tsa=check.signer, intermediates=check.intermediates)


def is_time_stamping(cert: QualifiedCertificate) -> bool:
    """A TSA certificate's extended key usage is timeStamping (RFC 3161 §2.3)."""
    return "time_stamping" in set(cert.extended_key_usage)
