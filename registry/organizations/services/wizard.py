"""The registration and edit wizard over a draft.

The profile is one JSON document with a section per wizard step. A draft holds, per step, the
values last accepted by «Далее» (``data[step]``) and the text last typed (``data["raw"][step]``)
so that «Назад», leaving the page or a server restart loses nothing. Services flush; the
request commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

from ...auth.models import User
from ...extensions import db
from ...refdata import services as refdata
from .. import forms
from ..models import Organization, OrganizationDraft
from .egrul_check import warnings
from .rules import branch_okved_errors, general_errors, item_problems, okved_errors, split_codes

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


class ListErrors(WizardError):
    """Items of a list step that break a rule; ``problems`` are (item id, number, text)."""

    def __init__(self, problems: list[tuple[str, int, str]]):
        super().__init__("Исправьте записи, отмеченные ниже")
        self.problems = problems


class UnknownStep(WizardError):
    """No such step (the address is wrong): not found."""

    def __init__(self, step: str):
        super().__init__(f"Нет шага {step}")


class BadPost(WizardError):
    """A POST that no form of the page sends (a forged or stale button): a bad request."""

    def __init__(self) -> None:
        super().__init__("Неверный запрос")


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


def new_item_id() -> str:
    return uuid.uuid4().hex[:12]


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
        item_id = new_item_id()
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


def draft_ogrn(draft: OrganizationDraft) -> str | None:
    return (draft.party or {}).get("ogrn")
