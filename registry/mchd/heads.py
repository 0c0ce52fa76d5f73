"""Whether the signer of an МЧД is the principal's head by ЕГРЮЛ/ЕГРИП: a company's head (or the
head of the managing company that heads it), an entrepreneur themselves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..pki import QualifiedCertificate
from . import messages as M
from .model import PRINCIPAL_KINDS, PowerOfAttorney, Principal
from .persons import describe


@dataclass
class HeadRecord:
    """The principal as ЕГРЮЛ knows it: its head and whether it is liquidated."""

    name: str
    liquidated: bool
    # {"kind": "person", "surname", "given", "patronymic", "inn"} or, for a managing company,
    # {"kind": "legal_entity", "full_name", "inn", "ogrn"}
    head: dict | None


HeadSource = Callable[[Principal], "HeadRecord | None"]


class NotHead(Exception):
    """The signer is not the head: ``code`` of :mod:`messages`, with what to say."""

    def __init__(self, code: str, detail: str = "", expected: str = ""):
        self.code, self.detail, self.expected = code, detail, expected


def egrul_head(principal: Principal) -> HeadRecord | None:
    """The principal's record in the local ЕГРЮЛ/ЕГРИП copy (by ОГРН/ОГРНИП, then ИНН)."""
    from ..refdata.services import find_local

    record = (find_local(principal.ogrn) if principal.ogrn else None) or \
        (find_local(principal.inn) if principal.inn else None)
    if record is None or (record.inn and principal.inn and record.inn != principal.inn):
        return None
    return HeadRecord(record.short_name or record.full_name, bool(record.liquidated), record.head)


def head_name(head: dict) -> str:
    return " ".join(p for p in (head.get("surname"), head.get("given"), head.get("patronymic")) if p) \
        or head.get("full_name") or "не указан"


def _is_person(signer: QualifiedCertificate, head: dict | None) -> bool:
    if not head or head.get("kind") not in (None, "person"):
        return False
    if head.get("inn"):
        return bool(signer.personal_inn) and signer.personal_inn == head["inn"]
    if head.get("snils"):
        return signer.snils == head["snils"]
    from ..refdata.services import normalize_search

    return normalize_search(f"{signer.surname or ''} {signer.given_names or ''}") == normalize_search(
        head_name(head))


def check_head(mchd: PowerOfAttorney, signer: QualifiedCertificate, head_of: HeadSource) -> str:
    """What the check says when ``signer`` heads the principal; NotHead otherwise."""
    principal = mchd.principal
    label = f"{principal.name}, ИНН {principal.inn or '—'}" + (f", ОГРН {principal.ogrn}" if principal.ogrn else "")
    if principal.kind == "person":
        return "Доверитель — физическое лицо: доверенность подписал он сам."
    if principal.kind not in ("org", "ip"):
        raise NotHead(M.NOT_HEAD_PRINCIPAL, f"{PRINCIPAL_KINDS.get(principal.kind, principal.kind)} {label}")
    record = head_of(principal)
    if record is None:
        raise NotHead(M.PRINCIPAL_UNKNOWN, label)
    if record.liquidated:
        raise NotHead(M.PRINCIPAL_LIQUIDATED, label)
    head = record.head or {}
    if principal.kind == "ip":
        if not _is_person(signer, head):
            raise NotHead(M.SIGNER_NOT_HEAD, describe(signer), head_name(head))
        return "Подписал сам индивидуальный предприниматель (по сведениям ЕГРИП)."
    if head.get("kind") == "legal_entity":
        return _managing_company(mchd, signer, head, head_of)
    if not _is_person(signer, head):
        raise NotHead(M.SIGNER_NOT_HEAD, describe(signer), head_name(head))
    return "Подписавший — руководитель организации-доверителя по ЕГРЮЛ."


def _managing_company(mchd: PowerOfAttorney, signer: QualifiedCertificate, head: dict,
                      head_of: HeadSource) -> str:
    """The principal is headed by a managing company: the document names it (ЕИОУК) and the
    signer heads it, both by ЕГРЮЛ."""
    manager = mchd.manager
    named = head_name(head)
    if manager is None or not (manager.inn == head.get("inn") or manager.ogrn == head.get("ogrn")):
        shown = f"{manager.name} (ИНН {manager.inn})" if manager else "руководитель-физическое лицо"
        raise NotHead(M.SIGNER_NOT_HEAD, f"{describe(signer)} от имени {shown}",
                      f"управляющая организация {named}")
    record = head_of(manager)
    if record is None:
        raise NotHead(M.PRINCIPAL_UNKNOWN, f"управляющая организация {manager.name}, ИНН {manager.inn}")
    if not _is_person(signer, record.head):
        raise NotHead(M.SIGNER_NOT_HEAD, describe(signer),
                      f"{head_name(record.head or {})}, руководитель управляющей организации {named}")
    return f"Подписавший — руководитель управляющей организации {named}, которая по ЕГРЮЛ " \
           "руководит организацией-доверителем."
