"""The wizard's first step: finding the organization (in ЕГРЮЛ or typed by hand), checking
that the person may register it, and starting the draft prefilled from the record."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...auth.models import User
from ...extensions import db
from ...identifiers import digits
from ...refdata import services as refdata
from ..models import Organization, OrganizationDraft
from .egrul_check import HeadCheck, check_head, ended, unit_from_egrul, warnings
from .queries import registered
from .wizard import find_draft, new_item_id


def _prefill(party: refdata.Party) -> dict:
    """Sections prefilled from ЕГРЮЛ: ОКВЭД, the head, branches (``СвПодразд``)."""
    okved = party.okved or {}
    head = party.head or {}
    if head.get("kind") == "legal_entity":
        head_values = {"kind": "legal", "le_full_name": head.get("full_name") or "",
                       "le_inn": head.get("inn") or "", "le_ogrn": head.get("ogrn") or "",
                       "le_kpp": head.get("kpp") or ""}
    else:
        head_values = {"kind": "person", "surname": head.get("surname") or "",
                       "given": head.get("given") or "", "patronymic": head.get("patronymic") or "",
                       "inn": head.get("inn") or ""}
    branches = [{"id": new_item_id(), **unit_from_egrul(b), "okved": ""} for b in party.branches or []]
    return {
        "general": {"postal_same": bool((party.address or "").strip())},
        "okved": {"main": okved.get("main") or "", "auxiliary_1": "", "auxiliary_2": "",
                  "others": ", ".join(okved.get("additional") or []), "notes": ""},
        "head": head_values,
        "premises": [],
        "branches": branches,
        "beneficiaries": [],
        "raw": {},
        "done": [],
    }


def _prefill_known(data: dict, party: refdata.Party, cert) -> dict:
    """What the product knows beyond the record itself: the head's СНИЛС from the certificate
    of the head who registers, a managing organization's requisites from the local ЕГРЮЛ copy."""
    head = dict(data.get("head") or {})
    # Called once the person is known to be the head (or the certificate is the organization's).
    if head.get("kind") == "person" and getattr(cert, "snils", None) and not head.get("snils"):
        head["snils"] = cert.snils
    if head.get("kind") == "legal" and (head.get("le_ogrn") or head.get("le_inn")):
        record = refdata.find_local(str(head.get("le_ogrn") or head.get("le_inn")))
        if record is not None:
            head["le_kpp"] = head.get("le_kpp") or record.kpp or ""
            head["le_short_name"] = head.get("le_short_name") or record.short_name or ""
            head["le_address"] = head.get("le_address") or record.address or ""
            head["le_full_name"] = head.get("le_full_name") or record.full_name or ""
    return {**data, "head": head}


@dataclass
class SearchOutcome:
    """What the search step found: a draft to continue, or why not."""

    draft: OrganizationDraft | None = None
    party: refdata.Party | None = None
    error: str | None = None            # a bad query
    provider_error: str | None = None   # the HTTP provider failed; manual entry is offered
    not_found: bool = False
    head: HeadCheck | None = None       # set when the holder is not the head
    holder: Organization | None = None  # already registered
    ended: str | None = None            # liquidated or struck off: why it cannot be registered
    found: bool = False                 # the person's organization, to confirm before the wizard
    warnings: list[str] = field(default_factory=list)


def start_registration(user: User, cert, query: str, *, confirm: bool = True,
                       known: dict | None = None) -> SearchOutcome:
    """Look the organization up and, if the person is its head, start (or restart) a draft.

    With ``confirm`` False the found organization is only shown (with ЕГРЮЛ warnings) for the
    person to choose; nothing is saved. ``known`` is the party shown then (``Party.to_dict()``),
    so that choosing it does not ask a paid provider twice.
    """
    if known and confirm:
        party = refdata.Party.from_dict(known)
        if digits(query) in (party.ogrn, party.inn):
            return _start(user, cert, party)
    result = refdata.lookup_party(query)
    if result.party is None:
        bad_query = result.source is None and result.error is not None
        return SearchOutcome(error=result.error if bad_query else None,
                             provider_error=None if bad_query else result.error,
                             not_found=not bad_query)
    return _start(user, cert, result.party, confirm=confirm)


def start_manual(user: User, cert, values: dict) -> SearchOutcome:
    """Start a draft from requisites typed by hand («не подтверждено ЕГРЮЛ»).

    Without ЕГРЮЛ nothing tells who the head is, so only the certificate can: it must be
    issued to this organization (its ОГРН) or entrepreneur (ОГРНИП).
    """
    ogrn = digits(values["ogrn"])
    kind = "ip" if len(ogrn) == 15 else "ul"
    party = refdata.Party(kind=kind, ogrn=ogrn, inn=digits(values["inn"]),
                          kpp=digits(values.get("kpp") or "") or None, full_name=values["full_name"].strip(),
                          short_name=(values.get("short_name") or "").strip() or None,
                          address=values["address"].strip(), source="manual", confirmed=False)
    cert_ogrn = cert.ogrnip if kind == "ip" else cert.ogrn
    if cert_ogrn != ogrn:
        return SearchOutcome(party=party, error=(
            "Без подтверждения ЕГРЮЛ зарегистрировать организацию можно только с сертификатом, "
            f"выданным на неё: в вашем сертификате {'ОГРНИП' if kind == 'ip' else 'ОГРН'} "
            f"{cert_ogrn or 'не указан'}, а введён {ogrn}."))
    if refdata.find_local(ogrn) is not None:
        return SearchOutcome(party=party, error="Организация есть в ЕГРЮЛ: найдите её по ОГРН или ИНН.")
    party.head = {"kind": "person", "surname": cert.surname, "given": cert.given_names,
                  "patronymic": None, "inn": cert.personal_inn}
    return _start(user, cert, party, checked=True)


def _start(user: User, cert, party: refdata.Party, checked: bool = False,
           confirm: bool = True) -> SearchOutcome:
    holder = registered(party.ogrn)
    if holder is not None:
        return SearchOutcome(party=party, holder=holder)
    reason = ended(party)
    if reason:
        return SearchOutcome(party=party, ended=reason)
    if not checked:
        head = check_head(cert, party)
        if not head.ok:
            return SearchOutcome(party=party, head=head)
    if not confirm:
        return SearchOutcome(party=party, found=True, warnings=warnings(party))
    draft = find_draft(user)
    if draft is not None and (draft.party or {}).get("ogrn") == party.ogrn:
        return SearchOutcome(draft=draft, party=party)  # same organization: keep what was typed
    if draft is None:
        draft = OrganizationDraft(user_id=user.id, organization_id=None)
        db.session.add(draft)
    draft.party = party.to_dict()
    draft.data = _prefill_known(_prefill(party), party, cert)
    draft.step = "general"
    db.session.flush()
    return SearchOutcome(draft=draft, party=party)
