"""Checking a machine-readable power of attorney (МЧД): every rule in order, each failure with
its own code and Russian message.

1. the XML: size, no DTD or entities, well-formed, the format's schema;
2. the file name = ``ИдФайл`` (when a name is given), ``НомДовер`` is a GUID, the dates;
3. the signature: a detached CMS over the exact bytes, the signer's certificate valid (through
   :func:`registry.trust.validation.validate`) at the time of signing;
4. the signer: not the representative; the person without a power of attorney
   (``ЛицоБезДов``) matched by СНИЛС/ИНН, who is the principal's head in ЕГРЮЛ — or, for a
   re-delegation, the parent's representative, the parent checked up to the first power;
5. the representative = the expected person; revocation (through the registry provider).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from ..core import clock
from ..pki import QualifiedCertificate, TrustStore
from ..pki import cms as cms_check
from ..text import agree
from . import document as doc
from .document import DocumentError, PowerOfAttorney

OK = "ok"
FILE_NAME = "file_name_mismatch"
BAD_NUMBER = "bad_number"
BAD_DATES = "bad_dates"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"
SIGNATURE = "signature_invalid"
TAMPERED = "tampered"
SIGNER_CERTIFICATE = "signer_certificate_invalid"
SIGNED_BY_REPRESENTATIVE = "signed_by_representative"
SIGNER_NOT_SIGNATORY = "signer_not_signatory"
PRINCIPAL_UNKNOWN = "principal_not_in_egrul"
PRINCIPAL_LIQUIDATED = "principal_liquidated"
SIGNER_NOT_HEAD = "signer_not_head"
REPRESENTATIVE = "representative_mismatch"
REVOKED = "revoked"
PARENT_MISSING = "parent_missing"
PARENT_INVALID = "parent_invalid"
PARENT_MISMATCH = "parent_mismatch"
REDELEGATION_FORBIDDEN = "redelegation_forbidden"
CHAIN_TOO_LONG = "chain_too_long"
UNREADABLE_SIGNATURE = "signature_unreadable"
WRONG_PRINCIPAL = "wrong_principal"
SIGNED_BEFORE_ISSUE = "signed_before_issue"
NOT_IN_REGISTRY = "not_in_registry"
REGISTRY_UNAVAILABLE = "registry_unavailable"
REGISTRY_NOT_CONFIGURED = "registry_not_configured"

MAX_CHAIN = 10

MESSAGES = {
    OK: "Доверенность действительна.",
    doc.TOO_LARGE: "Файл доверенности слишком большой ({detail}). Машиночитаемая доверенность "
                   "занимает несколько килобайт: загрузите XML-файл доверенности.",
    doc.FORBIDDEN: "Файл отклонён: {detail}. В машиночитаемой доверенности таких конструкций нет; "
                   "загрузите файл, выгруженный из системы, где доверенность оформлена.",
    doc.MALFORMED: "Файл не является корректным XML ({detail}). Загрузите XML-файл доверенности.",
    doc.UNKNOWN_FORMAT: "Формат доверенности не поддерживается: {detail}. Поддерживаются форматы "
                        "ФНС 003 (EMCHD_1) и 002.",
    doc.SCHEMA: "Доверенность не соответствует схеме формата: {detail}.",
    FILE_NAME: "Имя файла «{detail}» не совпадает с идентификатором файла (ИдФайл) «{expected}». "
               "Загрузите файл под тем именем, с которым он выгружен.",
    BAD_NUMBER: "Номер доверенности (НомДовер) «{detail}» не является уникальным идентификатором "
                "(GUID вида 8-4-4-4-12 шестнадцатеричных цифр).",
    BAD_DATES: "Дата окончания доверенности ({detail}) раньше даты её выдачи ({expected}).",
    NOT_YET_VALID: "Доверенность ещё не действует: она выдана {detail}.",
    EXPIRED: "Срок действия доверенности истёк {detail}. Попросите руководителя оформить новую.",
    UNREADABLE_SIGNATURE: "Файл подписи не читается: {detail}. Загрузите открепленную подпись "
                          "(.sig) к этому XML-файлу.",
    TAMPERED: "Файл доверенности изменён после подписания: подпись сделана не под этими байтами. "
              "Загрузите XML-файл доверенности без изменений.",
    SIGNATURE: "Подпись доверенности неверна: {detail}",
    SIGNER_CERTIFICATE: "Сертификат, которым подписана доверенность, не действовал в момент "
                        "подписания: {detail}",
    SIGNED_BY_REPRESENTATIVE: "Доверенность подписана самим представителем ({detail}). Её должен "
                              "подписать руководитель организации-доверителя.",
    SIGNER_NOT_SIGNATORY: "Доверенность подписана {detail}, а в ней как лицо, действующее без "
                          "доверенности, указан(а) {expected}. Подписать её должен тот, кто указан "
                          "в доверенности.",
    PRINCIPAL_UNKNOWN: "Организации-доверителя ({detail}) нет в сведениях ЕГРЮЛ реестра: "
                       "руководителя проверить нельзя.",
    PRINCIPAL_LIQUIDATED: "Организация-доверитель {detail} ликвидирована по сведениям ЕГРЮЛ.",
    SIGNER_NOT_HEAD: "Подписавший доверенность {detail} не является руководителем "
                     "организации-доверителя по сведениям ЕГРЮЛ (руководитель: {expected}).",
    REPRESENTATIVE: "Доверенность выдана {detail}, а не вам ({expected}). Загрузите доверенность, "
                    "в которой представителем указаны вы.",
    REVOKED: "Доверенность отозвана{detail}. Попросите руководителя оформить новую.",
    PARENT_MISSING: "Это передоверие: нужна исходная доверенность № {detail} (XML и подпись) или "
                    "реестр доверенностей, где её можно найти.",
    PARENT_INVALID: "Исходная доверенность № {expected} недействительна: {detail}",
    PARENT_MISMATCH: "Передоверие не соответствует исходной доверенности: {detail}.",
    REDELEGATION_FORBIDDEN: "Исходная доверенность № {detail} выдана без права передоверия "
                            "(или право передоверия уже использовано).",
    CHAIN_TOO_LONG: "Цепочка передоверий длиннее {detail}: проверка прекращена.",
    SIGNED_BEFORE_ISSUE: "Доверенность подписана {detail}, раньше даты её выдачи ({expected}): "
                         "такая подпись не подтверждает доверенность.",
    WRONG_PRINCIPAL: "Доверенность выдана организацией {detail}, а вы представляете {expected}. "
                     "Загрузите доверенность этой организации.",
    NOT_IN_REGISTRY: "Доверенность № {detail} организации с ИНН {expected} не найдена в реестре "
                     "доверенностей. Проверьте номер и ИНН или загрузите файлы доверенности.",
    REGISTRY_UNAVAILABLE: "Реестр доверенностей сейчас недоступен ({detail}). Это не отзыв "
                          "доверенности: повторите позже или загрузите файлы доверенности.",
    REGISTRY_NOT_CONFIGURED: "Поиск по номеру недоступен: реестр доверенностей не подключён. "
                             "Загрузите XML-файл доверенности и файл подписи.",
}

TITLES = {
    "registry": "Реестр доверенностей",
    "xml": "Файл XML и схема формата",
    "principal": "Доверитель",
    "file_name": "Имя файла и ИдФайл",
    "number": "Номер доверенности",
    "dates": "Срок действия",
    "signature": "Электронная подпись",
    "signer": "Подписант",
    "egrul": "Руководитель по ЕГРЮЛ",
    "chain": "Передоверие",
    "representative": "Представитель",
    "revocation": "Отзыв доверенности",
}


@dataclass
class Check:
    """One step as the person sees it."""

    name: str
    ok: bool
    message: str
    skipped: bool = False  # not checked (no registry, registry unavailable): said, not failed

    @property
    def title(self) -> str:
        return TITLES[self.name]

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "ok": self.ok, "message": self.message,
                "skipped": self.skipped}


@dataclass
class MchdResult:
    """The verdict on an МЧД (valid, code, Russian message) and what it says."""

    code: str
    message: str
    document: PowerOfAttorney | None = None
    checks: list[Check] = field(default_factory=list)
    signer: QualifiedCertificate | None = None
    signing_time: datetime | None = None
    parent: MchdResult | None = None

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
        return {"valid": self.valid, "code": self.code, "message": self.message,
                "number": self.number, "principal": self.principal,
                "representative": self.representative, "powers": self.powers,
                "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "checks": [c.to_dict() for c in self.checks]}


def message(code: str, detail: str = "", expected: str = "") -> str:
    return MESSAGES[code].format(detail=detail, expected=expected)


def failure(code: str, detail: str = "", expected: str = "") -> MchdResult:
    """A verdict reached before any document was read (the registry's answers)."""
    text = message(code, detail, expected)
    return MchdResult(code, text, checks=[Check(_STEP[code], False, text)])


class _Stop(Exception):
    def __init__(self, code: str, detail: str = "", expected: str = ""):
        self.code, self.detail, self.expected = code, detail, expected


# (snils, inn) of whoever is compared: a certificate, an account, a person of the document.
def identity(who: Any) -> tuple[str | None, str | None]:
    if who is None:
        return None, None
    if isinstance(who, QualifiedCertificate):
        return who.snils, who.personal_inn
    return getattr(who, "snils", None), getattr(who, "inn", None)


def same_person(a: Any, b: Any) -> bool:
    """By СНИЛС when both have one, else by personal ИНН."""
    (snils_a, inn_a), (snils_b, inn_b) = identity(a), identity(b)
    if snils_a and snils_b:
        return snils_a == snils_b
    return bool(inn_a and inn_b and inn_a == inn_b)


def describe(who: Any) -> str:
    if isinstance(who, QualifiedCertificate):
        name, (snils, inn) = who.full_name or who.subject, identity(who)
    else:
        name = getattr(who, "full_name", "") or ""
        snils, inn = identity(who)
    ids = ", ".join(x for x in (f"СНИЛС {_snils(snils)}" if snils else "",
                                f"ИНН {inn}" if inn else "") if x)
    return f"{name} ({ids})" if ids else name


def _snils(value: str) -> str:
    return f"{value[:3]}-{value[3:6]}-{value[6:9]} {value[9:]}" if len(value) == 11 else value


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


# -- the ЕГРЮЛ head --------------------------------------------------------------------------
@dataclass
class HeadRecord:
    """The principal as ЕГРЮЛ knows it: its head (a person) and whether it is liquidated."""

    name: str
    liquidated: bool
    head: dict | None  # {"surname", "given", "patronymic", "inn", "kind"}


def egrul_head(principal: doc.Principal) -> HeadRecord | None:
    """The principal's record in the local ЕГРЮЛ copy (by ОГРН, then ИНН)."""
    from ..refdata.services import find_local

    record = find_local(principal.ogrn) or find_local(principal.inn)
    if record is None or (record.inn and record.inn != principal.inn):
        return None
    return HeadRecord(record.short_name or record.full_name, bool(record.liquidated), record.head)


def _head_name(head: dict) -> str:
    return " ".join(p for p in (head.get("surname"), head.get("given"), head.get("patronymic")) if p) \
        or head.get("full_name") or "не указан"


def _is_head(signer: QualifiedCertificate, head: dict | None) -> bool:
    if not head or head.get("kind") not in (None, "person"):
        return False
    if head.get("inn"):
        return bool(signer.personal_inn) and signer.personal_inn == head["inn"]
    if head.get("snils"):
        return signer.snils == head["snils"]
    from ..refdata.services import normalize_search

    return normalize_search(f"{signer.surname or ''} {signer.given_names or ''}") == normalize_search(
        _head_name(head))


# -- the check ---------------------------------------------------------------------------------
ParentSource = Callable[[str, str], "tuple[bytes, bytes] | None"]


@dataclass
class Context:
    """What a check needs from outside: trust store, ЕГРЮЛ, the parents, revocation status."""

    trust_store: TrustStore | None = None
    head_of: Callable[[doc.Principal], HeadRecord | None] = egrul_head
    parents: ParentSource | None = None
    # (number, principal ИНН) -> "revoked: <date>" / None (not revoked) / "unknown: <why>"
    revocation: Callable[[str, str], str | None] | None = None
    max_bytes: int = doc.MAX_XML_BYTES
    max_signature_bytes: int = 1024 * 1024


def verify(xml: bytes, signature: bytes, *, file_name: str | None = None,
           at: datetime | None = None, representative: Any = None,
           principal: tuple[str, str] | None = None, context: Context | None = None,
           _depth: int = 0) -> MchdResult:
    """Check an МЧД and its detached signature as of ``at`` (now); never raises for bad input.

    ``representative``: who must be the representative (a certificate or an account with
    ``snils``/``inn``); None skips that check (the command line without ``--representative``).
    ``principal``: the (ИНН, ОГРН) of the organization the power of attorney must be from.
    """
    context = context or Context()
    moment = at or datetime.now(timezone.utc)
    result = MchdResult(OK, message(OK))
    try:
        _run(result, xml, signature, file_name, moment, representative, principal, context, _depth)
    except _Stop as stop:
        result.code = stop.code
        result.message = message(stop.code, stop.detail, stop.expected)
        result.checks.append(Check(_STEP[stop.code], False, result.message))
        _not_reached(result, _STEP[stop.code], principal is not None, representative is not None)
    return result


# The steps in the order they run (передоверие only for a chain, so not listed as not reached).
RUN_ORDER = ("xml", "principal", "file_name", "number", "dates", "signature", "signer", "egrul",
             "representative", "revocation")
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


_STEP = {doc.TOO_LARGE: "xml", doc.FORBIDDEN: "xml", doc.MALFORMED: "xml",
         doc.UNKNOWN_FORMAT: "xml", doc.SCHEMA: "xml", FILE_NAME: "file_name", BAD_NUMBER: "number",
         BAD_DATES: "dates", NOT_YET_VALID: "dates", EXPIRED: "dates",
         UNREADABLE_SIGNATURE: "signature", TAMPERED: "signature", SIGNATURE: "signature",
         SIGNER_CERTIFICATE: "signature", SIGNED_BY_REPRESENTATIVE: "signer",
         SIGNER_NOT_SIGNATORY: "signer", PRINCIPAL_UNKNOWN: "egrul", PRINCIPAL_LIQUIDATED: "egrul",
         SIGNER_NOT_HEAD: "egrul", PARENT_MISSING: "chain", PARENT_INVALID: "chain",
         PARENT_MISMATCH: "chain", REDELEGATION_FORBIDDEN: "chain", CHAIN_TOO_LONG: "chain",
         REPRESENTATIVE: "representative", REVOKED: "revocation", WRONG_PRINCIPAL: "principal",
         SIGNED_BEFORE_ISSUE: "signature",
         NOT_IN_REGISTRY: "registry", REGISTRY_UNAVAILABLE: "registry",
         REGISTRY_NOT_CONFIGURED: "registry"}


def _name_matches(file_name: str, file_id: str) -> bool:
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base[:-4] if base.lower().endswith(".xml") else base
    return stem == file_id


def _run(result: MchdResult, xml: bytes, signature: bytes, file_name: str | None,
         moment: datetime, representative: Any, principal: tuple[str, str] | None,
         context: Context, depth: int) -> None:
    ok = result.checks.append
    try:
        mchd = doc.read(xml, max_bytes=context.max_bytes)
    except DocumentError as exc:
        raise _Stop(exc.code, exc.detail) from None
    result.document = mchd
    ok(Check("xml", True, f"Формат {'003 (EMCHD_1)' if mchd.format == '003' else '002'}, "
                          "соответствует схеме."))
    if principal is not None:
        theirs = mchd.principal
        if (theirs.inn, theirs.ogrn) != tuple(principal):
            raise _Stop(WRONG_PRINCIPAL, f"{theirs.name} (ИНН {theirs.inn}, ОГРН {theirs.ogrn})",
                        f"ИНН {principal[0]}, ОГРН {principal[1]}")
        ok(Check("principal", True, f"{theirs.name}, ИНН {theirs.inn}, ОГРН {theirs.ogrn}."))
    if file_name is not None:
        if not _name_matches(file_name, mchd.file_id):
            raise _Stop(FILE_NAME, file_name, mchd.file_id)
        ok(Check("file_name", True, "Имя файла совпадает с ИдФайл."))
    if not doc.is_guid(mchd.number):
        raise _Stop(BAD_NUMBER, mchd.number)
    ok(Check("number", True, f"№ {mchd.number}"))
    if mchd.valid_until < mchd.issued_on:
        raise _Stop(BAD_DATES, _day(mchd.valid_until), _day(mchd.issued_on))
    today = moment.astimezone(clock.zone()).date()
    if today < mchd.issued_on:
        raise _Stop(NOT_YET_VALID, _day(mchd.issued_on))
    if today > mchd.valid_until:
        raise _Stop(EXPIRED, _day(mchd.valid_until))
    ok(Check("dates", True, f"Действует с {_day(mchd.issued_on)} по {_day(mchd.valid_until)}."))
    signer = _signature(result, xml, signature, moment, context)
    if result.signing_time is not None:
        signed_on = result.signing_time.astimezone(clock.zone()).date()
        if signed_on < mchd.issued_on:
            raise _Stop(SIGNED_BEFORE_ISSUE, _day(signed_on), _day(mchd.issued_on))
    ok(Check("signature", True, f"Подпись верна: {describe(signer)}, сертификат действовал в "
                                "момент подписания."))
    if same_person(signer, mchd.representative):
        raise _Stop(SIGNED_BY_REPRESENTATIVE, describe(signer))
    if not same_person(signer, mchd.issuer):
        raise _Stop(SIGNER_NOT_SIGNATORY, describe(signer), describe(mchd.issuer))
    ok(Check("signer", True, f"{agree(mchd.issuer.full_name, 'Подписал', 'Подписала', 'Подписал(а)')} "
                             f"{describe(mchd.issuer)}."))
    if mchd.signatory is not None:
        _head(mchd, signer, context)
        ok(Check("egrul", True, "Подписавший — руководитель организации-доверителя по ЕГРЮЛ."))
    else:
        _chain(result, mchd, moment, context, depth)
        ok(Check("chain", True, f"Исходная доверенность № {mchd.parent_number} действительна, "
                                "передоверие разрешено."))
    if representative is not None:
        if not same_person(representative, mchd.representative):
            raise _Stop(REPRESENTATIVE, describe(mchd.representative), describe(representative))
        ok(Check("representative", True, f"Представитель: {describe(mchd.representative)}."))
    _revocation(result, mchd, context)


def _signature(result: MchdResult, xml: bytes, signature: bytes, moment: datetime,
               context: Context) -> QualifiedCertificate:
    from ..documents import signatures

    if len(signature) > context.max_signature_bytes:
        raise _Stop(UNREADABLE_SIGNATURE, f"файл больше {context.max_signature_bytes // 1024} КБ")
    try:
        signed = cms_check.load_signed_data(signature)
        infos = signed["signer_infos"]
        signing_time = cms_check.signed_attribute(infos[0], "signing_time") if len(infos) else None
    except Exception:  # a broken CMS (MalformedCertificate or worse) is an answer
        # The parser's words (DER, PEM, base64) mean nothing to the person who uploaded it.
        raise _Stop(UNREADABLE_SIGNATURE, "это не файл электронной подписи в формате CMS "
                                          "(PKCS#7)") from None
    if signing_time is not None and signing_time > moment:
        signing_time = moment  # a signing time claimed in the future proves nothing later
    store = context.trust_store
    if store is None:
        from ..trust.holder import trust_store as current_store

        store = current_store()
    check = signatures.verify_detached(signature, xml, trust_store=store, at=signing_time or moment,
                                       max_bytes=context.max_signature_bytes)
    result.signer, result.signing_time = check.signer, signing_time
    if check.code == signatures.DIGEST_MISMATCH:
        raise _Stop(TAMPERED)
    if check.code == signatures.CERTIFICATE:
        raise _Stop(SIGNER_CERTIFICATE, check.certificate.message if check.certificate else check.message)
    if check.code in (signatures.NOT_A_SIGNATURE, signatures.TOO_LARGE,
                      signatures.TOO_MANY_CERTIFICATES):
        raise _Stop(UNREADABLE_SIGNATURE, check.message)
    if not check.valid or check.signer is None:
        raise _Stop(SIGNATURE, check.message)
    return check.signer


def _head(mchd: PowerOfAttorney, signer: QualifiedCertificate, context: Context) -> None:
    principal = mchd.principal
    record = context.head_of(principal)
    label = f"{principal.name}, ИНН {principal.inn}, ОГРН {principal.ogrn}"
    if record is None:
        raise _Stop(PRINCIPAL_UNKNOWN, label)
    if record.liquidated:
        raise _Stop(PRINCIPAL_LIQUIDATED, label)
    if not _is_head(signer, record.head):
        raise _Stop(SIGNER_NOT_HEAD, describe(signer), _head_name(record.head or {}))


def _chain(result: MchdResult, mchd: PowerOfAttorney, moment: datetime, context: Context,
           depth: int) -> None:
    if depth >= MAX_CHAIN:
        raise _Stop(CHAIN_TOO_LONG, str(MAX_CHAIN))
    number = mchd.parent_number
    if not number:
        raise _Stop(PARENT_MISMATCH, "передоверие не называет исходную доверенность (СвПереДов)")
    found = context.parents(number, mchd.principal.inn) if context.parents else None
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
        raise _Stop(PARENT_MISMATCH, f"срок передоверия ({_day(mchd.valid_until)}) дольше срока "
                                     f"исходной доверенности ({_day(up.valid_until)})")
    extra = mchd.codes - up.codes
    if extra or (mchd.text_only and not up.text_only):
        names = ", ".join(sorted(extra)) or "текстовые полномочия"
        raise _Stop(PARENT_MISMATCH, f"полномочий нет в исходной доверенности: {names}")


def _revocation(result: MchdResult, mchd: PowerOfAttorney, context: Context) -> None:
    if context.revocation is None:
        result.checks.append(Check("revocation", True, "Реестр доверенностей не подключён: отзыв "
                                                       "не проверялся.", skipped=True))
        return
    status = context.revocation(mchd.number, mchd.principal.inn)
    if status is not None and status.startswith("revoked"):
        when = status.partition(":")[2].strip()
        raise _Stop(REVOKED, f" {when}" if when else "")
    text = ("Не отозвана по сведениям реестра доверенностей." if status is None else
            f"Отзыв проверить не удалось: {status.partition(':')[2].strip()}")
    result.checks.append(Check("revocation", True, text, skipped=status is not None))
