"""The profile's history: field-by-field differences between two versions, as stored with
each version and shown on the history page."""

from __future__ import annotations

import re
from datetime import date

from .. import forms
from ..models import Organization, OrganizationDraft
from .wizard import LIST_SECTIONS, SECTIONS, STEP_TITLES

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _show(value, section: str | None = None, key: str | None = None) -> str:
    """A stored value as people read it: a choice by its title, a date as ДД.ММ.ГГГГ."""
    if value is None or value == "":
        return "—"
    if value is True:
        return "да"
    if value is False:
        return "нет"
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if section and key and not isinstance(value, (dict, list)):
        title = forms.choice_title(section, key, value)
        if title is not None:
            return title
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return f"{value[8:10]}.{value[5:7]}.{value[:4]}"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
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
                                         "old": _show(before[item_id].get(key), section, key),
                                         "new": _show(item.get(key), section, key)})
            for item_id, item in before.items():
                if item_id not in after:
                    rows.append({"section": title, "field": "удалено",
                                 "old": _item_title(section, item), "new": None})
        else:
            a, b = a or {}, b or {}
            for key in sorted(set(a) | set(b)):
                if (a.get(key) or "") != (b.get(key) or ""):
                    rows.append({"section": title, "field": forms.label(section, key),
                                 "old": _show(a.get(key), section, key), "new": _show(b.get(key), section, key)})
    return rows
