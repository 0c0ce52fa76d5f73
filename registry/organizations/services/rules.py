"""The profile's rules that the forms cannot check alone: ОКВЭД2 codes (against the
classifier), the postal address, and each item of a list step."""

from __future__ import annotations

import re

from ...refdata import services as refdata
from .. import forms

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
