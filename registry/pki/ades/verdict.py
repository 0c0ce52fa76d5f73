"""What the verifier answers: a :class:`Verdict` per signature with its :class:`Check` list,
the ETSI EN 319 102-1 indications (pyHanko's names) and their Russian words, and the state
of one verification run (:class:`Run`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pyhanko.sign.ades.report import AdESPassed

from ..certificate import QualifiedCertificate
from ..store import TrustStore
from ..validation import ValidationResult
from .limits import Limits

PASSED = "TOTAL_PASSED"
FAILED = "TOTAL_FAILED"
INDETERMINATE = "INDETERMINATE"
assert AdESPassed.OK  # the names below are pyHanko's AdES sub-indications

INDICATION_WORDS = {
    PASSED: "Подпись действительна",
    FAILED: "Подпись недействительна",
    INDETERMINATE: "Действительность подписи не установлена",
}
SUB_WORDS = {
    "FORMAT_FAILURE": "структура подписи не соответствует формату",
    "HASH_FAILURE": "подписанные данные изменены после подписания (хэш не совпадает)",
    "SIG_CRYPTO_FAILURE": "значение подписи неверно",
    "REVOKED": "сертификат подписанта отозван до момента подписания",
    "EXPIRED": "срок действия сертификата подписанта истёк до момента подписания",
    "NOT_YET_VALID": "сертификат подписанта ещё не действовал в момент подписания",
    "NO_SIGNING_CERTIFICATE_FOUND": "в подписи нет сертификата подписанта",
    "NO_CERTIFICATE_CHAIN_FOUND": "сертификат подписанта выдан не доверенным удостоверяющим центром",
    "REVOKED_NO_POE": "сертификат подписанта отозван, а время подписания не подтверждено штампом времени",
    "OUT_OF_BOUNDS_NO_POE": "срок действия сертификата истёк, а время подписания не подтверждено штампом времени",
    "TRY_LATER": "сведения об отзыве сертификата сейчас недоступны; повторите проверку позже",
    "SIGNED_DATA_NOT_FOUND": "нет подписанного документа: приложите файл, к которому относится подпись",
    "CHAIN_CONSTRAINTS_FAILURE": "сертификат подписанта не принят",
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": "алгоритм подписи выведен из употребления",
    "GENERIC": "проверка не завершена",
}

Validate = Callable[..., ValidationResult]


@dataclass
class Check:
    """One check with its result: True passed, False failed, None not decided."""

    name: str
    passed: bool | None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


@dataclass
class Verdict:
    """The verdict on one signature (a signer info, a counter-signature or a PDF signature)."""

    indication: str
    sub_indication: str | None = None
    intact: bool = False
    format: str = "CMS"
    signing_time: datetime | None = None
    best_signature_time: datetime | None = None
    signer: QualifiedCertificate | None = None
    chain: list[QualifiedCertificate] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    message: str = ""
    kind: str = "cms"
    index: int = 0
    counter_of: int | None = None
    certificate: ValidationResult | None = None

    @property
    def passed(self) -> bool:
        return self.indication == PASSED

    def to_dict(self) -> dict[str, Any]:
        s = self.signer
        return {
            "indication": self.indication, "sub_indication": self.sub_indication, "intact": self.intact,
            "format": self.format, "kind": self.kind, "index": self.index, "counter_of": self.counter_of,
            "signing_time": _iso(self.signing_time), "best_signature_time": _iso(self.best_signature_time),
            "signer": None if s is None else {
                "full_name": s.full_name, "snils": s.snils, "inn": s.inn, "organization": s.organization,
                "title": s.title, "subject": s.subject, "serial": s.serial, "issuer": s.issuer},
            "chain": [{"subject": c.subject, "serial": c.serial} for c in self.chain],
            "checks": [c.to_dict() for c in self.checks],
            "message": self.message,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def finish(verdict: Verdict) -> Verdict:
    words = INDICATION_WORDS[verdict.indication]
    cert = verdict.certificate
    if verdict.sub_indication == "CHAIN_CONSTRAINTS_FAILURE" and cert is not None and not cert.valid:
        # the decision's own reason (e.g. the CA's accreditation at the proven time)
        verdict.message = f"{words}: {cert.message.rstrip('.')}."
        return verdict
    if verdict.sub_indication:
        words += ": " + SUB_WORDS.get(verdict.sub_indication, verdict.sub_indication.lower())
    verdict.message = words + "."
    return verdict


def _default_validate(*args: Any, **kwargs: Any) -> ValidationResult:
    from ..validation import validate

    return validate(*args, **kwargs)


@dataclass
class Run:
    """One verification: the store, the moment, the decision, the limits, and the values the
    signature carries."""

    trust_store: TrustStore
    at: datetime
    validate: Validate
    limits: Limits
    given_at: datetime | None = None
    # values carried by the signature (CAdES-X Long), judged as evidence by .evidence
    crls: list = field(default_factory=list)
    ocsps: list = field(default_factory=list)
    certs: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # what the evidence showed, for the signer's checks


def start_run(trust_store: TrustStore, at: datetime | None, validate: Validate | None, limits: Limits | None) -> Run:
    return Run(trust_store, at or datetime.now(timezone.utc), validate or _default_validate, limits or Limits(),
                given_at=at)
