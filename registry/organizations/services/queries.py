"""Reading organizations for pages and other domains: the person's organizations, one
organization behind a permission, its JSON documents and the classifier names of its codes."""

from __future__ import annotations

from sqlalchemy import select

from ...auth.models import User
from ...core import access
from ...core.access import Permission
from ...extensions import db
from ...refdata.models import OkvedCode
from ..models import Organization
from .rules import split_codes


def registered(ogrn: str) -> Organization | None:
    return db.session.scalar(select(Organization).where(Organization.ogrn == ogrn))


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
