"""Who may do what: one ``can(user, permission, org)`` used by every view."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import BASE_PERMISSIONS, ROLE_PERMISSIONS, Membership, MemberStatus, Permission, Role


def membership(user, organization) -> Membership | None:
    if user is None or organization is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalars(select(Membership).where(
        Membership.user_id == user.id, Membership.organization_id == organization.id)).first()


def permissions(member: Membership | None) -> frozenset[Permission]:
    """What a membership allows: nothing unless active; profile viewing plus its roles' rights."""
    if member is None or member.status != MemberStatus.ACTIVE.value:
        return frozenset()
    granted = set(BASE_PERMISSIONS)
    for role in member.role_set:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


def can(user, permission: Permission, organization) -> bool:
    """Whether ``user`` holds ``permission`` in ``organization``."""
    return permission in permissions(membership(user, organization))


def active_memberships(user) -> list[Membership]:
    return list(db.session.scalars(select(Membership).where(
        Membership.user_id == user.id, Membership.status == MemberStatus.ACTIVE.value)))


def make_admin(user, organization) -> Membership:
    """Give ``user`` the administrator role in ``organization`` (the registering head)."""
    member = membership(user, organization)
    if member is None:
        member = Membership(organization_id=organization.id, user_id=user.id, roles=[])
        db.session.add(member)
    member.roles = sorted({*member.roles, Role.ADMIN.value})
    member.status = MemberStatus.ACTIVE.value
    db.session.flush()
    return member
