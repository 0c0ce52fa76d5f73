"""Which organization roles a machine-readable power (``КодПолн``) gives.

``REGISTRY_MCHD_POWER_ROLES`` sets the mapping: JSON ``{"CODE": ["role", ...]}`` or the short
form ``CODE=role,role; CODE2=role``. Roles: admin, dmdk_participant, batch_operations,
applications (``registry.members.models.Role``). Without it, :data:`DEFAULT_POWER_ROLES`: one
code per role of the ДМДК guide. Powers given only as text (``ТекстПолн``) give no role: the
organization's administrator decides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from ..members.models import Role

DEFAULT_POWER_ROLES: dict[str, tuple[Role, ...]] = {
    "DMDK_ADMIN": (Role.ADMIN,),
    "DMDK_PARTICIPANT": (Role.DMDK_PARTICIPANT,),
    "DMDK_BATCHES": (Role.BATCH_OPERATIONS,),
    "DMDK_APPLICATIONS": (Role.APPLICATIONS,),
}


def parse_power_roles(value: str | Mapping | None) -> dict[str, tuple[Role, ...]]:
    """The mapping from a configuration value; ValueError names what is wrong."""
    if value in (None, ""):
        return dict(DEFAULT_POWER_ROLES)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise ValueError(f"REGISTRY_MCHD_POWER_ROLES: не JSON ({exc})") from None
        else:
            data = {}
            for item in filter(None, (part.strip() for part in text.split(";"))):
                code, sep, roles = item.partition("=")
                if not sep or not code.strip():
                    raise ValueError(f"REGISTRY_MCHD_POWER_ROLES: «{item}» — ожидается КОД=роль,роль")
                data[code.strip()] = [r.strip() for r in roles.split(",") if r.strip()]
    else:
        data = dict(value)
    if not isinstance(data, dict):
        raise ValueError("REGISTRY_MCHD_POWER_ROLES: ожидается объект {\"КОД\": [\"роль\"]}")
    mapping: dict[str, tuple[Role, ...]] = {}
    for code, roles in data.items():
        roles = [roles] if isinstance(roles, str) else roles
        try:
            mapping[str(code)] = tuple(Role(r) for r in roles)
        except (ValueError, TypeError):
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"REGISTRY_MCHD_POWER_ROLES: неизвестная роль у «{code}» (роли: {known})") from None
    return mapping


def roles_for(codes: Iterable[str], mapping: Mapping[str, tuple[Role, ...]]) -> set[Role]:
    return {role for code in codes for role in mapping.get(code, ())}
