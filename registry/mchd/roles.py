"""Which organization roles a machine-readable power (``КодПолн``) gives: the operator's table
(``mchd_power_roles``, seeded with one power per role of the ДМДК guide), read when an МЧД is
accepted. Powers given only as text (``ТекстПолн``), or with codes the table does not know,
give no role: the organization's administrator decides.

Services flush; the request commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select

from ..extensions import db, utcnow
from ..members.models import Role
from .models import PowerRoleRule


class RuleError(Exception):
    """A rule the table cannot hold, said in Russian."""


def power_roles() -> dict[str, tuple[Role, ...]]:
    """The table as {code: roles}."""
    return {r.code: tuple(Role(x) for x in r.roles or []) for r in db.session.scalars(select(PowerRoleRule))}


def rules() -> list[PowerRoleRule]:
    return list(db.session.scalars(select(PowerRoleRule).order_by(PowerRoleRule.code)))


def rule(code: str | None) -> PowerRoleRule | None:
    return db.session.get(PowerRoleRule, code) if code else None


def roles_for(codes: Iterable[str], mapping: Mapping[str, tuple[Role, ...]]) -> set[Role]:
    return {role for code in codes for role in mapping.get(code, ())}


def save_rule(code: str, name: str, roles: Iterable[Role], actor) -> PowerRoleRule:
    """Add or change the roles a power's code gives."""
    code, name = code.strip(), " ".join(name.split())
    if not 6 <= len(code) <= 255 or any(ch.isspace() for ch in code):
        raise RuleError("Код полномочия — от 6 до 255 символов без пробелов, как КодПолн в доверенности")
    if not name:
        raise RuleError("Укажите наименование полномочия")
    rule = db.session.get(PowerRoleRule, code)
    if rule is None:
        rule = PowerRoleRule(code=code)
        db.session.add(rule)
    rule.name, rule.roles = name[:255], sorted(r.value for r in roles)
    rule.updated_at, rule.updated_by_id = utcnow(), getattr(actor, "id", None)
    db.session.flush()
    return rule


def delete_rule(code: str) -> None:
    """Forget a power's code: МЧД accepted later with it give no role for it."""
    rule = db.session.get(PowerRoleRule, code)
    if rule is None:
        raise RuleError(f"Полномочия с кодом «{code}» нет в таблице")
    db.session.delete(rule)
    db.session.flush()
