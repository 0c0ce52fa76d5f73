"""What ЕГРЮЛ/ЕГРИП says about an organization: whether the certificate holder is its head,
whether it has ended, what its head should know, and its units (branches) for the ТОП step."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...refdata import services as refdata


def _norm_name(*parts: str | None) -> str:
    return refdata.normalize_search(" ".join(p for p in parts if p))


@dataclass
class HeadCheck:
    ok: bool
    certificate: dict
    egrul: dict
    reason: str = ""


def check_head(cert, party: refdata.Party) -> HeadCheck:
    """Whether the certificate holder is the head of ``party`` in ЕГРЮЛ/ЕГРИП.

    An entrepreneur matches by ОГРНИП (or personal ИНН); a legal entity's head by personal ИНН,
    or by ФИО when ЕГРЮЛ has no ИНН for the head; a managing organization (``СвУпрОрг``) by the
    ОГРН/ИНН ЮЛ in the certificate.
    """
    mine = {"full_name": cert.full_name, "inn": cert.personal_inn, "ogrn": cert.ogrn,
            "ogrnip": cert.ogrnip, "inn_le": cert.inn_le}
    head = party.head or {}
    theirs = {"full_name": " ".join(p for p in (head.get("surname"), head.get("given"),
                                                head.get("patronymic")) if p) or head.get("full_name"),
              "inn": head.get("inn"), "title": head.get("title"), "date": head.get("date"),
              "ogrn": head.get("ogrn"), "extract_date": party.extract_date.isoformat()
              if party.extract_date else None, "kind": head.get("kind")}
    if party.kind == "ip":
        ok = (cert.ogrnip == party.ogrn) or (bool(cert.personal_inn) and cert.personal_inn == party.inn)
        return HeadCheck(ok, mine, theirs, "" if ok else
                         "ОГРНИП и ИНН в сертификате не совпадают с записью ЕГРИП")
    if not head:
        return HeadCheck(False, mine, theirs, "В ЕГРЮЛ нет сведений о руководителе организации")
    if head.get("kind") == "legal_entity":
        ok = bool(head.get("ogrn") and cert.ogrn == head.get("ogrn")) or \
            bool(head.get("inn") and cert.inn_le == head.get("inn"))
        return HeadCheck(ok, mine, theirs, "" if ok else
                         "Организацией управляет управляющая организация: войдите с сертификатом, "
                         "выданным на неё")
    if head.get("inn"):
        ok = bool(cert.personal_inn) and cert.personal_inn == head["inn"]
        return HeadCheck(ok, mine, theirs, "" if ok else "ИНН в сертификате не совпадает с ИНН руководителя в ЕГРЮЛ")
    ok = _norm_name(cert.surname, cert.given_names) == _norm_name(
        head.get("surname"), head.get("given"), head.get("patronymic"))
    return HeadCheck(ok, mine, theirs, "" if ok else "ФИО в сертификате не совпадает с ФИО руководителя в ЕГРЮЛ")


_ENDED = re.compile(r"ликвидирован|прекращ|исключ", re.I)


def ended(party: refdata.Party) -> str | None:
    """Why an organization that has ended (liquidated, ceased, struck off) cannot register."""
    if not (party.liquidated or (party.status and _ENDED.search(party.status))):
        return None
    register_name = "ЕГРИП" if party.kind == "ip" else "ЕГРЮЛ"
    status = party.status or "Ликвидировано"
    extract = f" (выписка от {party.extract_date:%d.%m.%Y})" if party.extract_date else ""
    what = "Деятельность предпринимателя прекращена" if party.kind == "ip" else "Организация прекратила деятельность"
    return (f"{what}: статус в {register_name} — {status}{extract}. Зарегистрировать в реестре "
            "можно только действующую организацию; если сведения устарели, обратитесь в налоговый орган.")


def warnings(party: refdata.Party) -> list[str]:
    """What ЕГРЮЛ says that the head should know before registering."""
    found = []
    if not party.confirmed:
        found.append("Сведения введены вручную и не подтверждены ЕГРЮЛ: оператор реестра проверит их.")
    flags = party.flags or {}
    if flags.get("unreliable_address"):
        found.append("В ЕГРЮЛ есть отметка о недостоверности сведений об адресе юридического лица.")
    if flags.get("unreliable_head"):
        found.append("В ЕГРЮЛ есть отметка о недостоверности сведений о руководителе.")
    if flags.get("disqualified_head"):
        found.append("Руководитель организации дисквалифицирован (сведения ЕГРЮЛ).")
    reason = ended(party)
    if reason:
        found.append(reason)
    elif party.status and re.search(r"ликвидац|банкрот|реорганиз", party.status, re.I):
        found.append(f"Статус в ЕГРЮЛ: {party.status}.")
    return found


def unit_from_egrul(branch: dict) -> dict:
    """A ТОП from a ЕГРЮЛ ``СвПодразд`` record."""
    return {"kind": branch.get("kind") or "branch", "name": branch.get("name") or "",
            "kpp": branch.get("kpp") or "", "address": branch.get("address") or ""}


@dataclass
class FoundUnits:
    query: str
    error: str | None = None
    party: refdata.Party | None = None
    units: list = field(default_factory=list)

    def unit(self, use: str) -> dict | None:
        """The unit chosen by its number (as the page sends it), if there is one."""
        if self.units and use.isdigit() and int(use) < len(self.units):
            return self.units[int(use)]
        return None


def found_units(query: str, own_ogrn: str | None = None) -> FoundUnits:
    """Units of an organization found in ЕГРЮЛ by ОГРН/ИНН, to fill the ТОП form from."""
    result = refdata.lookup_party(query)
    if result.party is None:
        return FoundUnits(query, result.error or "В ЕГРЮЛ такой организации нет: введите сведения вручную.")
    party = result.party
    units = [unit_from_egrul(b) for b in party.branches or []]
    # A separate unit registered as its own legal entity is offered with its own requisites —
    # but the organization being registered is not a unit of itself.
    if party.ogrn != own_ogrn:
        units.append({"kind": "other", "name": party.full_name, "kpp": party.kpp or "",
                      "address": party.address or ""})
    if not units:
        return FoundUnits(query, "В ЕГРЮЛ у этой организации нет филиалов и представительств: "
                                 "введите сведения о подразделении вручную.", party)
    return FoundUnits(query, None, party, units)
