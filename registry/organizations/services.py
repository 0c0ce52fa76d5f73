"""Registering an organization and editing its profile: drafts, rules, versions.

The profile is one JSON document with a section per wizard step. A draft holds, per step, the
values last accepted by «Далее» (``data[step]``) and the text last typed (``data["raw"][step]``)
so that «Назад», leaving the page or a server restart loses nothing. Services flush; the
request commits.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import cast

from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..core import access, signals
from ..core.access import Permission
from ..core.journal import record
from ..extensions import db, utcnow
from ..identifiers import digits
from ..refdata import services as refdata
from ..refdata.models import OkvedCode
from ..text import quoted
from . import forms
from .models import Organization, OrganizationDraft, OrganizationVersion

STEPS: list[tuple[str, str]] = [
    ("general", "Общие реквизиты"),
    ("okved", "Виды деятельности"),
    ("head", "Руководитель"),
    ("premises", "Объекты недвижимости"),
    ("branches", "ТОП"),
    ("beneficiaries", "Бенефициары"),
    ("review", "Проверка"),
]
STEP_KEYS = [key for key, _ in STEPS]
SECTIONS = STEP_KEYS[:-1]
LIST_SECTIONS = ("premises", "branches", "beneficiaries")
STEP_TITLES = dict(STEPS)


class WizardError(Exception):
    """A rule the person can act on; ``message`` is shown as is."""

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class FieldErrors(WizardError):
    """Values that break a rule only the database can check (OKVED codes)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("Проверьте отмеченные поля")
        self.errors = errors


# -- the head check -----------------------------------------------------------------------------
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


# -- drafts -------------------------------------------------------------------------------------
# Built once (the organization page looks for a draft): SQLAlchemy keeps their cache keys.
_REGISTRATION_DRAFT = (select(OrganizationDraft)
                       .where(OrganizationDraft.user_id == bindparam("user_id"),
                              OrganizationDraft.organization_id.is_(None))
                       .order_by(OrganizationDraft.id))
_EDIT_DRAFT = (select(OrganizationDraft)
               .where(OrganizationDraft.user_id == bindparam("user_id"),
                      OrganizationDraft.organization_id == bindparam("org_id"))
               .order_by(OrganizationDraft.id))


def find_draft(user: User, organization: Organization | None = None) -> OrganizationDraft | None:
    """The person's registration draft (``organization`` None) or their edit draft of it."""
    if organization is None:
        return db.session.scalars(_REGISTRATION_DRAFT, {"user_id": user.id}).first()
    return db.session.scalars(_EDIT_DRAFT, {"user_id": user.id, "org_id": organization.id}).first()


def registered(ogrn: str) -> Organization | None:
    return db.session.scalar(select(Organization).where(Organization.ogrn == ogrn))


def _item_id() -> str:
    return uuid.uuid4().hex[:12]


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
    branches = [{"id": _item_id(), **_unit(b), "okved": ""} for b in party.branches or []]
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


def start_edit(organization: Organization, user: User) -> OrganizationDraft:
    """Open (or resume) the person's edit draft: a copy of the current profile."""
    draft = find_draft(user, organization)
    if draft is not None:
        return draft
    data = {key: organization.data.get(key) for key in SECTIONS}
    for key in LIST_SECTIONS:
        data[key] = list(data.get(key) or [])
    data.update(raw={}, done=list(SECTIONS))
    draft = OrganizationDraft(user_id=user.id, organization_id=organization.id, data=data,
                              party=organization.party, step="general",
                              base_version=organization.version)
    db.session.add(draft)
    db.session.flush()
    return draft


def discard(draft: OrganizationDraft) -> None:
    db.session.delete(draft)
    db.session.flush()


def party_of(draft: OrganizationDraft) -> refdata.Party:
    return refdata.Party.from_dict(draft.party or {})


def _set(draft: OrganizationDraft, **changes) -> None:
    # JSON columns are compared by value on flush only when reassigned: always assign a copy.
    data = dict(draft.data or {})
    data.update(changes)
    draft.data = data


def step_values(draft: OrganizationDraft, step: str) -> tuple[dict, dict[str, list[str]]]:
    """What the step's form shows: the text last typed if it was never accepted, else the
    accepted values; and the errors found in that text when it was last sent (kept in the
    draft, so that showing the step again judges nothing)."""
    raw = (draft.data.get("raw") or {}).get(step)
    if raw is not None:
        return raw, dict((draft.data.get("errors") or {}).get(step) or {})
    return draft.data.get(step) or {}, {}


def keep_typed(draft: OrganizationDraft, step: str, raw: dict, *, go_to: str | None = None,
               errors: dict[str, list[str]] | None = None) -> None:
    """Remember what was typed on a step, with the errors found in it (none: not judged, as
    for a search on the page)."""
    raws = dict(draft.data.get("raw") or {})
    raws[step] = raw
    kept = dict(draft.data.get("errors") or {})
    if errors:
        kept[step] = {name: list(messages) for name, messages in errors.items()}
    else:
        kept.pop(step, None)
    _set(draft, raw=raws, errors=kept)
    if go_to:
        draft.step = go_to
    db.session.flush()


def _accept(draft: OrganizationDraft, step: str, values) -> None:
    raws = dict(draft.data.get("raw") or {})
    raws.pop(step, None)
    kept = dict(draft.data.get("errors") or {})
    kept.pop(step, None)
    done = list(draft.data.get("done") or [])
    if step not in done:
        done.append(step)
    _set(draft, **{step: values, "raw": raws, "errors": kept, "done": done})


def next_step(step: str) -> str:
    return STEP_KEYS[min(STEP_KEYS.index(step) + 1, len(STEP_KEYS) - 1)]


def previous_step(step: str) -> str:
    return STEP_KEYS[max(STEP_KEYS.index(step) - 1, 0)]


# -- OKVED rules --------------------------------------------------------------------------------
_OKVED_FORMAT = re.compile(r"\d{2}(\.\d{1,2}){0,3}")


def split_codes(text: str | None) -> list[str]:
    return [c for c in re.split(r"[\s,;]+", text or "") if c]


def _code_errors(codes: list[tuple[str, str]], seen: set[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, code in codes:
        problem: str | None
        if not _OKVED_FORMAT.fullmatch(code):
            problem = f"«{code}» не похож на код ОКВЭД2: коды записываются как XX.XX, XX.XX.X или XX.XX.XX"
        else:
            problem = refdata.okved_problem(code)
        if problem is None and code in seen:
            problem = f"Код {code} уже выбран: каждый код указывается один раз"
        seen.add(code)
        if problem:
            errors.setdefault(name, []).append(problem)
    return errors


def okved_errors(values: dict) -> dict[str, list[str]]:
    """The spec's rules: one main code, at most two auxiliary, others unlimited, no repeats,
    each an existing classifier code of at least four digits."""
    errors: dict[str, list[str]] = {}
    codes = []
    for name in ("main", "auxiliary_1", "auxiliary_2"):
        several = split_codes(values.get(name))
        if len(several) > 1:
            errors[name] = [
                "Основной вид деятельности — ровно один код; остальные укажите во вспомогательных "
                "или прочих" if name == "main" else
                "По одному коду в поле; вспомогательных видов — не больше двух, остальные укажите "
                "в поле «Прочие виды деятельности»"]
        elif several:
            codes.append((name, several[0]))
    codes += [("others", c) for c in split_codes(values.get("others"))]
    for name, problems in _code_errors(codes, set()).items():
        errors.setdefault(name, []).extend(problems)
    if not (values.get("main") or "").strip():
        errors.setdefault("main", []).insert(0, "Укажите основной вид деятельности")
    return errors


def general_errors(values: dict, party: refdata.Party) -> dict[str, list[str]]:
    """«Совпадает с юридическим» needs a legal address to coincide with."""
    if values.get("postal_same") and not (party.address or "").strip():
        register_name = "ЕГРИП" if party.kind == "ip" else "ЕГРЮЛ"
        return {"postal_same": [f"В {register_name} нет адреса, с которым мог бы совпасть почтовый: "
                                "снимите отметку и укажите почтовый адрес"]}
    return {}


def branch_okved_errors(values: dict) -> dict[str, list[str]]:
    codes = split_codes(values.get("okved"))
    if not codes:
        return {"okved": ["Укажите хотя бы один код ОКВЭД2"]}
    return _code_errors([("okved", c) for c in codes], set())


# -- saving steps -------------------------------------------------------------------------------
def save_step(draft: OrganizationDraft, step: str, values: dict) -> None:
    """Accept a form step's values (already validated by its form) and move on.

    Raises :class:`FieldErrors` for rules that need the classifier; the typed text is kept.
    """
    if step == "okved":
        errors = okved_errors(values)
        if errors:
            raise FieldErrors(errors)
        # One spelling of a code list (the profile, its history and the API show it as is).
        values = {**values, "others": ", ".join(split_codes(values.get("others")))}
    if step == "general":
        errors = general_errors(values, party_of(draft))
        if errors:
            raise FieldErrors(errors)
    _accept(draft, step, values)
    draft.step = next_step(step)
    db.session.flush()


class ListErrors(WizardError):
    """Items of a list step that break a rule; ``problems`` are (item id, number, text)."""

    def __init__(self, problems: list[tuple[str, int, str]]):
        super().__init__("Исправьте записи, отмеченные ниже")
        self.problems = problems


def item_problems(step: str, items: list[dict]) -> list[tuple[str, int, str]]:
    """What is wrong with each item of a list step: the item's own rules (and a ТОП's ОКВЭД)."""
    found = []
    for n, item in enumerate(items or [], start=1):
        errors = forms.item_errors(step, item)
        if step == "branches":
            errors.update(branch_okved_errors(item))
        if errors:
            found.append((item.get("id") or "", n, "; ".join(
                f"{forms.label(step, k)} — {' '.join(v)}" for k, v in errors.items())))
    return found


def finish_list_step(draft: OrganizationDraft, step: str) -> None:
    """«Далее» on a list step: the list as it is becomes the step's accepted value — unless an
    item breaks a rule (:class:`ListErrors`: nothing is changed)."""
    problems = item_problems(step, draft.data.get(step) or [])
    if problems:
        raise ListErrors(problems)
    _accept(draft, step, list(draft.data.get(step) or []))
    draft.step = next_step(step)
    db.session.flush()


def save_item(draft: OrganizationDraft, section: str, values: dict, item_id: str | None = None) -> dict:
    """Add an item to a list step, or replace the one with ``item_id``."""
    if section == "branches":
        errors = branch_okved_errors(values)
        if errors:
            raise FieldErrors(errors)
        values = {**values, "okved": ", ".join(split_codes(values.get("okved")))}
    items = [dict(i) for i in draft.data.get(section) or []]
    if item_id:
        for n, item in enumerate(items):
            if item.get("id") == item_id:
                items[n] = {**values, "id": item_id}
                break
        else:
            raise WizardError("Запись не найдена: возможно, её уже удалили в другой вкладке.")
    else:
        item_id = _item_id()
        items.append({**values, "id": item_id})
    _set(draft, **{section: items})
    db.session.flush()
    return next(i for i in items if i["id"] == item_id)


def remove_item(draft: OrganizationDraft, section: str, item_id: str) -> None:
    items = [i for i in draft.data.get(section) or [] if i.get("id") != item_id]
    _set(draft, **{section: items})
    db.session.flush()


def find_item(draft: OrganizationDraft, section: str, item_id: str | None) -> dict | None:
    return next((i for i in draft.data.get(section) or [] if i.get("id") == item_id), None)


# -- review -------------------------------------------------------------------------------------
@dataclass
class Review:
    problems: dict[str, list[str]] = field(default_factory=dict)  # step → what is wrong
    warnings: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.problems


def review(draft: OrganizationDraft) -> Review:
    """Check every step again on the server and collect ЕГРЮЛ warnings."""
    result = Review()
    raws = draft.data.get("raw") or {}
    for step in SECTIONS:
        problems: list[str] = []
        if step in raws:
            problems.append("есть несохранённые изменения: откройте шаг и нажмите «Далее»")
        elif step not in (draft.data.get("done") or []):
            problems.append("шаг не заполнен")
        else:
            values = draft.data.get(step)
            if step in LIST_SECTIONS:
                problems += [f"запись {n}: {text}" for _id, n, text in item_problems(step, values or [])]
            else:
                errors = forms.section_errors(step, values or {})
                if step == "okved":
                    errors.update(okved_errors(values or {}))
                if step == "general":
                    errors.update(general_errors(values or {}, party_of(draft)))
                problems += [f"{forms.label(step, k)} — {' '.join(v)}" for k, v in errors.items()]
        if problems:
            result.problems[step] = problems
    result.warnings = warnings(party_of(draft))
    return result


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


# -- registration and editing ------------------------------------------------------------------
def _profile(draft: OrganizationDraft) -> dict:
    return {key: draft.data.get(key) for key in SECTIONS}


def register(draft: OrganizationDraft, user: User, cert) -> Organization:
    """Register the organization of a complete draft; its head becomes the administrator."""
    if draft.organization_id is not None:
        raise WizardError("Это черновик изменений, а не регистрации.")
    check = review(draft)
    if not check.ready:
        raise WizardError("Не все шаги заполнены: исправьте отмеченные шаги.", problems=check.problems)
    party = party_of(draft)
    local = refdata.find_local(party.ogrn) if party.confirmed else None
    if local is not None and local.extract_date and party.extract_date \
            and local.extract_date > party.extract_date:
        reason = ended(refdata.party_of_record(local))
        if reason:  # a newer extract arrived while the draft was being filled
            raise WizardError(reason)
    if party.confirmed:
        head = check_head(cert, party)
        if not head.ok:
            raise WizardError("Вы вошли с сертификатом, владелец которого не является руководителем "
                              f"организации: {head.reason}.")
    holder = registered(party.ogrn)
    if holder is not None:
        raise WizardError(_holder_message(holder))
    organization = Organization(
        kind=party.kind, ogrn=party.ogrn, inn=party.inn, kpp=party.kpp, full_name=party.full_name,
        short_name=party.short_name, egrul_confirmed=party.confirmed, data=_profile(draft),
        party=draft.party, version=1, registered_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(organization)
            db.session.flush()
    except IntegrityError:
        # Another head registered it between the check and now.
        raise WizardError(_holder_message(registered(party.ogrn))) from None
    db.session.add(OrganizationVersion(organization_id=organization.id, number=1,
                                       data=organization.data, author_id=user.id,
                                       changes=[{"section": "", "field": "", "old": None,
                                                 "new": "Организация зарегистрирована"}]))
    # the head becomes its administrator
    signals.send(signals.organization_registered, organization=organization, user=user)
    db.session.delete(draft)
    db.session.flush()
    return organization


def _holder_message(holder: Organization | None) -> str:
    if holder is None:
        return "Организация уже зарегистрирована."
    who = holder.registered_by.full_name if holder.registered_by else "другим пользователем"
    return (f"Организация {quoted(holder.name)} уже зарегистрирована в реестре "
            f"{holder.registered_at:%d.%m.%Y} ({who}). Чтобы работать в ней, присоединитесь к "
            "организации как сотрудник и попросите администратора назначить вам роли.")


def apply_edit(draft: OrganizationDraft, user: User, remote_addr: str | None = None) -> OrganizationVersion:
    """Apply an edit draft in one step, keeping the previous profile in the history.

    Refused when someone saved the profile after this edit began (nothing is overwritten).
    """
    organization = draft.organization
    if organization is None:
        raise WizardError("Это черновик регистрации, а не изменений.")
    check = review(draft)
    if not check.ready:
        raise WizardError("Не все шаги заполнены: исправьте отмеченные шаги.", problems=check.problems)
    new = _profile(draft)
    changes = diff(organization.data, new)
    if not changes:
        raise WizardError("Изменений нет: профиль остался прежним.")
    base = draft.base_version
    assert base is not None  # set by start_edit for every edit draft
    updated = db.session.execute(
        update(Organization).where(Organization.id == organization.id, Organization.version == base)
        .values(version=base + 1, data=new, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if cast(CursorResult, updated).rowcount != 1:
        db.session.refresh(organization)
        last = organization.versions[0] if organization.versions else None
        who = last.author.full_name if last and last.author else "другой администратор"
        raise WizardError(
            f"Профиль уже изменил {who} после того, как вы начали редактирование (версия "
            f"{organization.version}). Отмените свои изменения и начните заново, чтобы не "
            "перезаписать чужие правки.", conflict=True)
    version = OrganizationVersion(organization_id=organization.id, number=base + 1, data=new,
                                  changes=changes, author_id=user.id)
    db.session.add(version)
    sections = sorted({c["section"].split(":")[0] for c in changes})
    record(organization, "profile", actor=user, subject=user, remote_addr=remote_addr,
           details=f"Версия {base + 1}: изменено {len(changes)} — {', '.join(sections)}")
    db.session.delete(draft)
    db.session.flush()
    db.session.refresh(organization)
    return version


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return "да"
    if value is False:
        return "нет"
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def _item_title(section: str, item: dict) -> str:
    if section == "beneficiaries":
        return " ".join(p for p in (item.get("surname"), item.get("given"), item.get("patronymic")) if p)
    if section == "branches":
        return item.get("name") or ""
    return item.get("address") or ""


def edited_meanwhile(draft: OrganizationDraft, organization: Organization | None) -> bool:
    """Whether someone saved the profile after this edit draft was started from it."""
    return (organization is not None and draft.base_version is not None
            and organization.version != draft.base_version)


def diff(old: dict, new: dict) -> list[dict]:
    """Field-by-field differences of two profiles: ``{section, field, old, new}`` rows."""
    rows: list[dict] = []
    for section in SECTIONS:
        a, b = (old or {}).get(section), (new or {}).get(section)
        title = STEP_TITLES[section]
        if section in LIST_SECTIONS:
            before = {i.get("id"): i for i in a or []}
            after = {i.get("id"): i for i in b or []}
            for item_id, item in after.items():
                if item_id not in before:
                    rows.append({"section": title, "field": "добавлено", "old": None,
                                 "new": _item_title(section, item)})
                else:
                    for key in sorted(set(item) | set(before[item_id])):
                        if key != "id" and (before[item_id].get(key) or "") != (item.get(key) or ""):
                            rows.append({"section": f"{title}: {_item_title(section, item)}",
                                         "field": forms.label(section, key),
                                         "old": _show(before[item_id].get(key)), "new": _show(item.get(key))})
            for item_id, item in before.items():
                if item_id not in after:
                    rows.append({"section": title, "field": "удалено",
                                 "old": _item_title(section, item), "new": None})
        else:
            a, b = a or {}, b or {}
            for key in sorted(set(a) | set(b)):
                if (a.get(key) or "") != (b.get(key) or ""):
                    rows.append({"section": title, "field": forms.label(section, key),
                                 "old": _show(a.get(key)), "new": _show(b.get(key))})
    return rows


def organizations_of(user: User) -> list[Organization]:
    """Organizations where the person is an active member."""
    ids = access.organization_ids(user)
    if not ids:
        return []
    return list(db.session.scalars(
        select(Organization).where(Organization.id.in_(ids)).order_by(Organization.full_name)))


def organization_or_404(org_id: int, permission: Permission, user: User) -> Organization:
    """The organization, if ``user`` may see it and holds ``permission`` there; otherwise
    AccessDenied — not found (a foreign organization does not exist for them) or forbidden."""
    organization = db.session.get(Organization, org_id)
    access.require(user, permission, organization)  # a missing organization is not found
    assert organization is not None
    return organization


def load_documents(organization: Organization) -> Organization:
    """Its JSON documents (profile data and ЕГРЮЛ party) in one statement, when the person's
    memberships loaded it without them (they do, for the menu): not one lazy load each."""
    unloaded: set[str] = sa_inspect(organization).unloaded & {"data", "party"}
    if len(unloaded) > 1:
        db.session.refresh(organization, attribute_names=sorted(unloaded))
    return organization


def okved_names(codes) -> dict[str, str]:
    """Classifier names of the given codes (for showing a profile)."""
    codes = sorted(set(codes))
    if not codes:
        return {}
    return dict(db.session.execute(select(OkvedCode.code, OkvedCode.name).where(OkvedCode.code.in_(codes))).all())


def profile_codes(data: dict) -> list[str]:
    okved = data.get("okved") or {}
    codes = [okved[k] for k in ("main", "auxiliary_1", "auxiliary_2") if okved.get(k)]
    codes += split_codes(okved.get("others"))
    for branch in data.get("branches") or []:
        codes += split_codes(branch.get("okved"))
    return codes


# -- the wizard's navigation --------------------------------------------------------------------
class UnknownStep(WizardError):
    """No such step (the address is wrong): not found."""

    def __init__(self, step: str):
        super().__init__(f"Нет шага {step}")


class BadPost(WizardError):
    """A POST that no form of the page sends (a forged or stale button): a bad request."""

    def __init__(self) -> None:
        super().__init__("Неверный запрос")


def allowed(draft: OrganizationDraft, step: str) -> bool:
    """Steps already passed and the one to resume at may be opened; later ones may not."""
    done = draft.data.get("done") or []
    for key in STEP_KEYS:
        if key == step:
            return True
        if key not in done:
            return False
    return False


def gate(draft: OrganizationDraft, step: str) -> str | None:
    """None when ``step`` may be opened, else the step to send the person to instead.

    Raises :class:`UnknownStep` for a step the wizard does not have.
    """
    if step not in STEP_KEYS:
        raise UnknownStep(step)
    if allowed(draft, step):
        return None
    return draft.step if allowed(draft, draft.step) else "general"


def step_template(step: str) -> str:
    return f"organizations/step_{step if step not in LIST_SECTIONS else 'list'}.html"


OKVED_PICK_FIELDS = ("main", "auxiliary_1", "auxiliary_2")


def okved_typeahead(draft: OrganizationDraft, typed: dict, pick: str,
                    query: str) -> tuple[dict, list | None]:
    """The no-script typeahead of the ОКВЭД step: put a found code into a field (``pick`` is
    ``field:code``) and/or search; what is typed is kept. Returns the text to show and the
    codes found (None without a query)."""
    typed = dict(typed)
    if ":" in pick:
        target, code = pick.split(":", 1)
        if target in OKVED_PICK_FIELDS:
            typed[target] = code
        elif target == "others":
            typed["others"] = ", ".join([*split_codes(typed.get("others")), code])
    keep_typed(draft, step="okved", raw=typed)
    results = refdata.search_okved(query) if query else None
    return {**typed, "q": query}, results


@dataclass
class StepOutcome:
    """What a form step's POST came to: where to go (the same step: refused, shown again
    from the draft with ``errors``)."""

    go_to: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    kept_with_errors: bool = False  # «Назад» with errors: the text is kept as a draft

    @property
    def warning(self) -> str | None:
        """What to tell the person about this outcome, if anything."""
        if self.kept_with_errors:
            return ("Данные шага сохранены как черновик; в них есть ошибки — исправьте их, "
                    "прежде чем регистрировать организацию.")
        return None


def submit_step(draft: OrganizationDraft, step: str, values: dict | None, typed: dict, *,
                back: bool, form_errors: dict[str, list[str]] | None = None) -> StepOutcome:
    """«Далее» or «Назад» on a form step. ``values`` are the form's accepted values, or None
    when the form found errors (``form_errors``); ``typed`` is the text as typed, kept with
    its errors when it is not accepted. The outcome always names a step to go to: refused,
    the same step (shown again from the draft)."""
    errors: dict[str, list[str]] = {name: list(m) for name, m in (form_errors or {}).items()}
    if values is not None:
        try:
            with db.session.begin_nested():
                save_step(draft, step, values)
                if back:
                    draft.step = previous_step(step)
            return StepOutcome(go_to=draft.step)
        except FieldErrors as exc:
            for name, messages in exc.errors.items():
                errors.setdefault(name, []).extend(messages)
    if back:
        keep_typed(draft, step, typed, go_to=previous_step(step), errors=errors)
        return StepOutcome(go_to=previous_step(step), errors=errors, kept_with_errors=True)
    keep_typed(draft, step, typed, errors=errors)
    return StepOutcome(go_to=step, errors=errors)


@dataclass
class ListOutcome:
    """What a list step's POST came to: the step to go to, after telling ``done`` or
    ``refused`` (refused with ``errors`` or ``problems``: the same step, which shows them from
    the draft)."""

    go_to: str | None = None
    done: str | None = None      # "removed" | "saved"
    refused: str | None = None   # a rule the person can act on
    errors: dict[str, list[str]] = field(default_factory=dict)  # of the item form
    problems: list[tuple[str, int, str]] = field(default_factory=list)  # of the list


LIST_ACTIONS = ("remove", "save", "back", "next")


def list_action(draft: OrganizationDraft, step: str, action: str, values: dict | None,
                item_id: str | None = None, *, typed: dict | None = None,
                form_errors: dict[str, list[str]] | None = None) -> ListOutcome:
    """Do what a list step's button asks: remove an item, save one (``item_id`` None: a new
    one), go back, or accept the list and go on. ``values`` is None when the button's form
    found errors (``form_errors``): an item form is kept as ``typed`` with them in the draft
    and shown again; any other form is a bad request. A refusal keeps what the step shows
    again in the draft (:func:`list_state`) and goes to the same step."""
    if action not in LIST_ACTIONS:
        raise BadPost()
    if values is None:
        if action != "save":
            raise BadPost()
        _keep_list_state(draft, step, item={"values": typed or {}, "errors": form_errors or {},
                                            "id": item_id})
        return ListOutcome(go_to=step, errors=dict(form_errors or {}))
    if action == "remove":
        remove_item(draft, step, item_id or "")
        refused, _problems = list_state(draft, step)  # a form still being typed stays
        _keep_list_state(draft, step, item=refused if refused and refused.get("id") != item_id else None)
        return ListOutcome(go_to=step, done="removed")
    if action == "save":
        try:
            with db.session.begin_nested():
                save_item(draft, step, values, item_id or None)
        except FieldErrors as exc:
            _keep_list_state(draft, step, item={"values": typed or values, "errors": exc.errors,
                                                "id": item_id})
            return ListOutcome(go_to=step, errors=exc.errors)
        except WizardError as exc:
            return ListOutcome(go_to=step, refused=exc.message)
        _keep_list_state(draft, step)
        return ListOutcome(go_to=step, done="saved")
    if action == "back":
        draft.step = previous_step(step)
        return ListOutcome(go_to=draft.step)
    try:
        finish_list_step(draft, step)  # checks before it writes
    except ListErrors as exc:
        _keep_list_state(draft, step, problems=exc.problems)
        return ListOutcome(go_to=step, problems=exc.problems)
    return ListOutcome(go_to=draft.step)  # accepted: what was kept for the step is gone


def _keep_list_state(draft: OrganizationDraft, step: str, *, item: dict | None = None,
                     problems: list | None = None) -> None:
    """What a list step shows again after a refusal: the item form as typed with its errors,
    or the list's problems (nothing: the last action succeeded)."""
    kept = dict(draft.data.get("errors") or {})
    state = {k: v for k, v in (("item", item), ("problems", [list(p) for p in problems or []]))
             if v}
    if state:
        kept[step] = state
    else:
        kept.pop(step, None)
    _set(draft, errors=kept)
    db.session.flush()


def list_state(draft: OrganizationDraft, step: str) -> tuple[dict | None, list]:
    """A list step's item refused last (``values``, ``errors``, ``id``) and the problems of its
    last refused «Далее», as kept in the draft."""
    state = (draft.data.get("errors") or {}).get(step) or {}
    return state.get("item"), [tuple(p) for p in state.get("problems") or []]


def item_to_edit(draft: OrganizationDraft, step: str, item_id: str) -> dict:
    """The list item opened for editing; :class:`WizardError` when it is gone."""
    item = find_item(draft, step, item_id)
    if item is None:
        raise WizardError("Запись не найдена: возможно, её уже удалили в другой вкладке.")
    return item


def new_item(step: str) -> dict:
    """What a new item's form starts with."""
    return {"active": True} if step == "beneficiaries" else {}


# -- ЕГРЮЛ units for the ТОП step ---------------------------------------------------------------
def _unit(branch: dict) -> dict:
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
    units = [_unit(b) for b in party.branches or []]
    # A separate unit registered as its own legal entity is offered with its own requisites —
    # but the organization being registered is not a unit of itself.
    if party.ogrn != own_ogrn:
        units.append({"kind": "other", "name": party.full_name, "kpp": party.kpp or "",
                      "address": party.address or ""})
    if not units:
        return FoundUnits(query, "В ЕГРЮЛ у этой организации нет филиалов и представительств: "
                                 "введите сведения о подразделении вручную.", party)
    return FoundUnits(query, None, party, units)


def draft_ogrn(draft: OrganizationDraft) -> str | None:
    return (draft.party or {}).get("ogrn")


# -- the registered organization ----------------------------------------------------------------
def blocked_notice(organization: Organization) -> str | None:
    if not organization.is_blocked:
        return None
    return (f"Организация заблокирована оператором реестра: {organization.blocked_reason}. "
            "Действия в ней недоступны; по вопросам обращайтесь к оператору.")


def notices(organization: Organization) -> list[tuple[str, str]]:
    """What the organization's pages say on top: a block by the operator, then every domain's."""
    blocked = blocked_notice(organization)
    ended = ([("error", f"{organization.liquidated_reason}. Организация доступна только для просмотра.")]
             if organization.is_liquidated else [])
    domains = signals.collect(signals.organization_notices, organization=organization)
    return ([("error", blocked)] if blocked else []) + ended + domains


PROFILE_TABS = [("general", "Общие сведения"), ("okved", "Виды деятельности"), ("head", "Руководитель"),
                ("premises", "Объекты недвижимости"), ("branches", "ТОП"),
                ("beneficiaries", "Бенефициары"), ("history", "История изменений")]


def profile_tab(tab: str | None) -> str:
    """The profile tab asked for, or the first one (history is a page of its own)."""
    return tab if tab in dict(PROFILE_TABS) and tab != "history" else "general"
