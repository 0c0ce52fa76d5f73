"""Checking a machine-readable power of attorney (МЧД): every rule in order, each failure with
its own code and Russian message.

1. the files: a ZIP package, an attached signature or the XML with its ``.sig``; the XML's
   size, no DTD or entities, its encoding, the official schema (003) or the structure (002);
2. the file name = ``ИдФайл`` (when a name is given), ``НомДовер`` is a GUID, the dates;
3. the signature: CMS over the exact bytes; the time it was made, proven by a signature
   time-stamp (CAdES-T) or, without one, as the signer claims (said as a warning); the
   signer's certificate valid at that time (:func:`registry.trust.decision.decide`, accreditation
   included);
4. the signer: not the representative; one of the heads named in ``ЛицоБезДов`` (СНИЛС/ИНН),
   who is the principal's head by ЕГРЮЛ/ЕГРИП — or, for a re-delegation, the person who passes
   the powers on, the parent checked up to the first power of attorney;
5. the representative = the expected person; the status in the registry of powers of attorney
   (the configured provider, or the address the document names in ``СведСист``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from ..core import clock
from ..pki import QualifiedCertificate, TrustStore
from ..text import agree
from . import document as doc
from . import package, signature
from .heads import HeadRecord, HeadSource, NotHead, check_head, egrul_head
from .messages import (
    BAD_DATES,
    BAD_NUMBER,
    CHAIN_TOO_LONG,
    EXPIRED,
    FILE_NAME,
    MAX_CHAIN,
    MESSAGES,
    NOT_IN_REGISTRY,
    NOT_YET_VALID,
    OK,
    PARENT_INVALID,
    PARENT_MISMATCH,
    PARENT_MISSING,
    REDELEGATION_FORBIDDEN,
    REGISTRY_NOT_CONFIGURED,
    REGISTRY_UNAVAILABLE,
    REPRESENTATIVE,
    REVOKED,
    SIGNATURE,
    SIGNED_BEFORE_ISSUE,
    SIGNED_BY_REPRESENTATIVE,
    SIGNER_CERTIFICATE,
    SIGNER_NOT_SIGNATORY,
    STATUS_OFF,
    STEPS,
    TAMPERED,
    TIME_STAMP,
    TITLES,
    UNREADABLE_SIGNATURE,
    WRONG_PRINCIPAL,
)
from .model import DocumentError, PowerOfAttorney
from .persons import day, describe, same_person

__all__ = ["Check", "Context", "HeadRecord", "MchdResult", "NOT_IN_REGISTRY", "REGISTRY_NOT_CONFIGURED",
           "REGISTRY_UNAVAILABLE", "REVOKED", "failure", "verify"]


@dataclass
class Check:
    """One step as the person sees it."""

    name: str
    ok: bool
    message: str
    skipped: bool = False  # not checked (no registry, registry unavailable): said, not failed
    warning: bool = False  # passed, with something the person should know (an unproven time)

    @property
    def title(self) -> str:
        return TITLES[self.name]

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "ok": self.ok, "message": self.message,
                "skipped": self.skipped, "warning": self.warning}


@dataclass
class MchdResult:
    """The verdict on an МЧД (valid, code, Russian message) and what it says."""

    code: str
    message: str
    document: PowerOfAttorney | None = None
    checks: list[Check] = field(default_factory=list)
    signer: QualifiedCertificate | None = None
    signing_time: datetime | None = None
    time_proven: bool = False  # the signing time comes from a signature time-stamp
    parent: MchdResult | None = None
    # The files as checked (a package or an attached signature unpacked)
    xml: bytes = b""
    signature: bytes = b""
    file_name: str | None = None

    @property
    def valid(self) -> bool:
        return self.code == OK

    @property
    def number(self) -> str | None:
        return self.document.number if self.document else None

    @property
    def principal(self) -> dict | None:
        return self.document.principal.to_dict() if self.document else None

    @property
    def representative(self) -> dict | None:
        return self.document.representative.to_dict() if self.document else None

    @property
    def powers(self) -> list[dict]:
        return [p.to_dict() for p in self.document.powers] if self.document else []

    @property
    def valid_from(self) -> date | None:
        return self.document.issued_on if self.document else None

    @property
    def valid_to(self) -> date | None:
        return self.document.valid_until if self.document else None

    def to_dict(self) -> dict[str, Any]:
        d = self.document
        head = d.issuer if d else None  # the head, or who passes the powers on
        return {"valid": self.valid, "code": self.code, "message": self.message,
                "number": self.number, "format": d.format if d else None,
                "internal_number": d.internal_number if d else None,
                "principal": self.principal,
                "head": head.to_dict() if head else None,
                "managing_company": d.manager.to_dict() if d and d.manager else None,
                "representative": self.representative,
                "representatives": [r.to_dict() for r in d.representatives] if d else [],
                "powers": self.powers,
                "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "redelegation": d.redelegation if d else None,
                "parent_number": d.parent_number if d else None,
                "status_address": d.system if d else None,
                "signing_time": self.signing_time.isoformat() if self.signing_time else None,
                "signing_time_proven": self.time_proven,
                "checks": [c.to_dict() for c in self.checks]}


def message(code: str, detail: str = "", expected: str = "") -> str:
    return MESSAGES[code].format(detail=detail, expected=expected)


def failure(code: str, detail: str = "", expected: str = "") -> MchdResult:
    """A verdict reached before any document was read (the registry's answers)."""
    text = message(code, detail, expected)
    return MchdResult(code, text, checks=[Check(STEPS[code], False, text)])


class _Stop(Exception):
    def __init__(self, code: str, detail: str = "", expected: str = ""):
        self.code, self.detail, self.expected = code, detail, expected


ParentSource = Callable[[str, str], "tuple[bytes, bytes] | None"]
# (address from СведСист, number, principal ИНН) -> "revoked: <date>" / None / "unknown: <why>"
StatusSource = Callable[[str, str, str], "str | None"]


@dataclass
class Context:
    """What a check needs from outside: trust store, ЕГРЮЛ, the parents, revocation status."""

    trust_store: TrustStore | None = None
    head_of: HeadSource = egrul_head
    parents: ParentSource | None = None
    # (number, principal ИНН) -> "revoked: <date>" / None (not revoked) / "unknown: <why>"
    revocation: Callable[[str, str], str | None] | None = None
    # The registry named in the document (СведСист), asked when no provider is configured;
    # ``status_off`` says why it is not asked.
    status: StatusSource | None = None
    status_off: str = STATUS_OFF
    max_bytes: int = doc.MAX_XML_BYTES
    max_signature_bytes: int = package.MAX_SIGNATURE_BYTES


def verify(xml: bytes, signature_file: bytes | None, *, file_name: str | None = None,
           at: datetime | None = None, representative: Any = None,
           principal: tuple[str, str] | None = None, context: Context | None = None,
           _depth: int = 0) -> MchdResult:
    """Check an МЧД as of ``at`` (now); never raises for bad input.

    ``xml``: the XML, a ZIP package or an attached signature carrying the XML;
    ``signature_file``: the detached signature (None when the package or attached signature
    holds it). ``representative``: who must be the representative (a certificate or an
    account with ``snils``/``inn``); None skips that check. ``principal``: the (ИНН, ОГРН) of
    the organization the power of attorney must be from.
    """
    context = context or Context()
    moment = at or datetime.now(timezone.utc)
    result = MchdResult(OK, message(OK))
    try:
        _run(result, xml, signature_file, file_name, moment, representative, principal, context, _depth)
    except _Stop as stop:
        result.code = stop.code
        result.message = message(stop.code, stop.detail, stop.expected)
        result.checks.append(Check(STEPS[stop.code], False, result.message))
        _not_reached(result, STEPS[stop.code], principal is not None, representative is not None)
    return result


# The steps in the order they run (передоверие only for a chain, so not listed as not reached).
RUN_ORDER = ("xml", "principal", "file_name", "number", "dates", "signature", "time", "signer",
             "egrul", "representative", "revocation")
NOT_REACHED = "Не проверялась: проверка остановлена на предыдущем шаге."


def _not_reached(result: MchdResult, failed: str, principal: bool, representative: bool) -> None:
    """After the step that failed, say which steps were not made (a person should not think
    that what is not listed has passed)."""
    if failed not in RUN_ORDER:
        return
    done = {c.name for c in result.checks}
    for name in RUN_ORDER[RUN_ORDER.index(failed) + 1:]:
        if name in done or (name == "principal" and not principal) or \
                (name == "representative" and not representative):
            continue
        result.checks.append(Check(name, False, NOT_REACHED, skipped=True))


def _name_matches(file_name: str, file_id: str) -> bool:
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base[:-4] if base.lower().endswith(".xml") else base
    return stem == file_id


def _read(result: MchdResult, data: bytes, signature_file: bytes | None, file_name: str | None,
          context: Context) -> tuple[PowerOfAttorney, list[tuple[bytes, bytes]]]:
    try:
        files = package.unpack(data, file_name, signature_file, max_xml=context.max_bytes,
                               max_signature=context.max_signature_bytes)
        result.xml, result.signature = files.xml, files.signature or b""
        result.file_name = files.xml_name
        mchd = doc.read(files.xml, max_bytes=context.max_bytes)
    except DocumentError as exc:
        raise _Stop(exc.code, exc.detail) from None
    result.document = mchd
    return mchd, files.parents


def _run(result: MchdResult, data: bytes, signature_file: bytes | None, file_name: str | None,
         moment: datetime, representative: Any, principal: tuple[str, str] | None,
         context: Context, depth: int) -> None:
    ok = result.checks.append
    mchd, packed_parents = _read(result, data, signature_file, file_name, context)
    ok(Check("xml", True, "Формат 003 (EMCHD_1), соответствует официальной схеме ФНС." if mchd.format == "003"
             else "Формат 002: все обязательные сведения на месте."))
    if principal is not None:
        theirs = mchd.principal
        if (theirs.inn, theirs.ogrn) != tuple(principal):
            raise _Stop(WRONG_PRINCIPAL, f"{theirs.name} (ИНН {theirs.inn or '—'}, ОГРН {theirs.ogrn or '—'})",
                        f"ИНН {principal[0]}, ОГРН {principal[1]}")
        ok(Check("principal", True, f"{theirs.name}, ИНН {theirs.inn}, ОГРН {theirs.ogrn}."))
    # the name checked is the XML's own, also when it came in a package or an attached signature
    name = (result.file_name or file_name) if file_name is not None else None
    if name is not None:
        if not _name_matches(name, mchd.file_id):
            raise _Stop(FILE_NAME, name, mchd.file_id)
        ok(Check("file_name", True, "Имя файла совпадает с ИдФайл."))
    if not doc.is_guid(mchd.number):
        raise _Stop(BAD_NUMBER, mchd.number)
    ok(Check("number", True, f"№ {mchd.number}" + (f" (внутренний № {mchd.internal_number})"
                                                     if mchd.internal_number else "")))
    if mchd.valid_until < mchd.issued_on:
        raise _Stop(BAD_DATES, day(mchd.valid_until), day(mchd.issued_on))
    today = moment.astimezone(clock.zone()).date()
    if today < mchd.issued_on:
        raise _Stop(NOT_YET_VALID, day(mchd.issued_on))
    if today > mchd.valid_until:
        raise _Stop(EXPIRED, day(mchd.valid_until))
    ok(Check("dates", True, f"Действует с {day(mchd.issued_on)} по {day(mchd.valid_until)}."))
    signer = _signature(result, mchd, moment, context)
    if same_person(signer, mchd.representative):
        raise _Stop(SIGNED_BY_REPRESENTATIVE, describe(signer))
    if not any(same_person(signer, p) for p in mchd.issuers):
        raise _Stop(SIGNER_NOT_SIGNATORY, describe(signer), describe(mchd.issuer))
    ok(Check("signer", True, f"{agree(mchd.issuer.full_name, 'Подписал', 'Подписала', 'Подписал(а)')} "
                             f"{describe(signer)}."))
    if not mchd.is_redelegation:
        try:
            said = check_head(mchd, signer, context.head_of)
        except NotHead as refusal:
            raise _Stop(refusal.code, refusal.detail, refusal.expected) from None
        ok(Check("egrul", True, said))
    else:
        _chain(result, mchd, moment, context, depth, packed_parents)
        ok(Check("chain", True, f"Исходная доверенность № {mchd.parent_number} действительна, "
                                "передоверие разрешено."))
    if representative is not None:
        if not any(same_person(representative, r) for r in mchd.representatives or (mchd.representative,)):
            raise _Stop(REPRESENTATIVE, describe(mchd.representative), describe(representative))
        ok(Check("representative", True, f"Представитель: {describe(mchd.representative)}."))
    _revocation(result, mchd, context)


def _moscow(moment: datetime) -> str:
    return f"{clock.local(moment):%d.%m.%Y %H:%M} (МСК)"


def _signature(result: MchdResult, mchd: PowerOfAttorney, moment: datetime,
               context: Context) -> QualifiedCertificate:
    if not result.signature:
        raise _Stop(UNREADABLE_SIGNATURE, "файл подписи не загружен, а XML-файл подписи не содержит")
    outcome = signature.check(result.xml, result.signature, moment, trust_store=context.trust_store,
                              max_bytes=context.max_signature_bytes)
    result.signer, result.signing_time = outcome.signer, outcome.signing_time
    result.time_proven = outcome.proven_time is not None
    codes = {signature.UNREADABLE: UNREADABLE_SIGNATURE, signature.TAMPERED: TAMPERED,
             signature.CERTIFICATE: SIGNER_CERTIFICATE, signature.TIME_STAMP: TIME_STAMP,
             signature.INVALID: SIGNATURE}
    if outcome.code in codes:
        raise _Stop(codes[outcome.code], outcome.detail)
    signer = outcome.signer
    assert signer is not None
    if result.signing_time is not None:
        signed_on = result.signing_time.astimezone(clock.zone()).date()
        if signed_on < mchd.issued_on:
            raise _Stop(SIGNED_BEFORE_ISSUE, day(signed_on), day(mchd.issued_on))
    result.checks.append(Check("signature", True, f"Подпись верна: {describe(signer)}, сертификат "
                                                  "действовал в момент подписания."))
    if outcome.proven_time is not None:
        tsa = outcome.tsa.full_name or outcome.tsa.subject if outcome.tsa else "—"
        result.checks.append(Check("time", True, f"Подписана {_moscow(outcome.proven_time)}: время "
                                                 f"подтверждено штампом времени (CAdES-T), служба «{tsa}»."))
    elif outcome.claimed_time is not None:
        result.checks.append(Check("time", True, f"Время подписания {_moscow(outcome.claimed_time)} "
                                                 "указано самим подписантом и не подтверждено штампом "
                                                 "времени (подпись CAdES-BES): сертификат проверен на это "
                                                 "время.", warning=True))
    else:
        result.checks.append(Check("time", True, "В подписи нет ни времени подписания, ни штампа "
                                                 "времени: сертификат проверен на момент проверки.",
                                   warning=True))
    return signer


def _chain(result: MchdResult, mchd: PowerOfAttorney, moment: datetime, context: Context,
           depth: int, packed: list[tuple[bytes, bytes]]) -> None:
    if depth >= MAX_CHAIN:
        raise _Stop(CHAIN_TOO_LONG, str(MAX_CHAIN))
    number = mchd.parent_number
    if not number:
        raise _Stop(PARENT_MISMATCH, "передоверие не называет исходную доверенность")
    found = next(((x, s) for x, s in packed if _number_of(x) == number), None)
    if found is None and context.parents:
        found = context.parents(number, mchd.principal.inn or "")
    if found is None:
        raise _Stop(PARENT_MISSING, number)
    parent = verify(found[0], found[1], at=moment, representative=mchd.delegator,
                    context=context, _depth=depth + 1)
    result.parent = parent
    if parent.code == REPRESENTATIVE:
        raise _Stop(PARENT_MISMATCH, "передоверяет не тот, кому выдана исходная доверенность")
    if not parent.valid:
        raise _Stop(PARENT_INVALID, parent.message, number)
    up = parent.document
    assert up is not None
    if up.number != number:
        raise _Stop(PARENT_MISMATCH, f"номер исходной доверенности {up.number}, а ожидался {number}")
    if (up.principal.inn, up.principal.ogrn) != (mchd.principal.inn, mchd.principal.ogrn):
        raise _Stop(PARENT_MISMATCH, "доверитель другой")
    first = up.first_number or up.number
    if mchd.first_number and mchd.first_number != first:
        raise _Stop(PARENT_MISMATCH, f"первоначальная доверенность {first}, а указана {mchd.first_number}")
    if up.redelegation == "1" or (up.redelegation == "2" and up.parent_number):
        raise _Stop(REDELEGATION_FORBIDDEN, number)
    if mchd.valid_until > up.valid_until:
        raise _Stop(PARENT_MISMATCH, f"срок передоверия ({day(mchd.valid_until)}) дольше срока "
                                     f"исходной доверенности ({day(up.valid_until)})")
    extra = mchd.codes - up.codes
    if extra or (mchd.text_only and not up.text_only):
        names = ", ".join(sorted(extra)) or "текстовые полномочия"
        raise _Stop(PARENT_MISMATCH, f"полномочий нет в исходной доверенности: {names}")


def _number_of(xml: bytes) -> str | None:
    try:
        return doc.read(xml).number
    except DocumentError:
        return None


def _revocation(result: MchdResult, mchd: PowerOfAttorney, context: Context) -> None:
    inn = mchd.principal.inn or ""
    if context.revocation is not None:
        status = context.revocation(mchd.number, inn)
        where = "реестра доверенностей"
    elif mchd.system and context.status is not None:
        status = context.status(mchd.system, mchd.number, inn)
        where = f"системы, указанной в доверенности ({mchd.system})"
    else:
        why = (context.status_off if mchd.system else "в доверенности нет адреса проверки статуса "
               "(СведСист), а реестр доверенностей не подключён")
        address = f" Адрес проверки из доверенности: {mchd.system}." if mchd.system else ""
        result.checks.append(Check("revocation", True, f"Статус доверенности не запрашивался: {why}."
                                                       f"{address}", skipped=True))
        return
    if status is not None and status.startswith("revoked"):
        when = status.partition(":")[2].strip()
        raise _Stop(REVOKED, f" {when}" if when else "")
    text = (f"Не отозвана по сведениям {where}." if status is None else
            f"Отзыв проверить не удалось: {status.partition(':')[2].strip()}.")
    result.checks.append(Check("revocation", True, text, skipped=status is not None))
