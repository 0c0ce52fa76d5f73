"""Memberships and the permissions they give: the policy the core asks, a person's organizations."""

from __future__ import annotations

from flask import has_request_context
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, joinedload

from ...core import access, uow
from ...core.journal import record
from ...extensions import db
from ...organizations.models import Organization
from ..models import (
    BASE_PERMISSIONS,
    OPERATOR_CONSOLE_PERMISSIONS,
    OPERATOR_PERMISSIONS,
    ROLE_PERMISSIONS,
    Membership,
    MemberStatus,
    Permission,
    Role,
)

_CACHE = "registry_memberships"


# Built once: a statement built per call costs SQLAlchemy its cache key every time (several times
# the cost of running it); a prebuilt one keeps the key it computed.
_MEMBERSHIPS = (
    select(Membership).join(Membership.organization).where(Membership.user_id == bindparam("user_id"))
    # with the organizations' JSON documents: a person belongs to a few organizations, and an
    # organization's page reads its documents without a statement of its own
    .options(contains_eager(Membership.organization))
    .order_by(Organization.full_name, Organization.id))


def _memberships(user_id: int) -> list[Membership]:
    """All memberships of a person with their organizations, one statement per request.

    Every permission check and menu entry of a page reads them; the list is kept for the
    request until the session writes anything (or has changes not yet written).
    """
    cacheable = has_request_context() and not (db.session.new or db.session.dirty
                                                or db.session.deleted)
    cache = uow.read_cache(_CACHE) if cacheable else {}
    if user_id not in cache:
        cache[user_id] = list(db.session.scalars(_MEMBERSHIPS, {"user_id": user_id}))
    return cache[user_id]


def membership(user, organization) -> Membership | None:
    if user is None or organization is None or not getattr(user, "is_authenticated", False):
        return None
    return next((m for m in _memberships(user.id) if m.organization_id == organization.id), None)


def permissions(member: Membership | None, organization: Organization | None = None,
                user=None) -> frozenset[Permission]:
    """What a person may do in an organization.

    An active member: viewing the profile plus their roles' permissions; in a blocked
    organization only viewing (to read why), in a liquidated one viewing, the journal and reading the documents.
    Anyone else nothing — except the registry
    operator, who may look at any organization (but not act in it).
    """
    granted: set[Permission] = set()
    if user is not None and getattr(user, "is_operator", False) and not getattr(user, "blocked_reason", None):
        granted |= OPERATOR_PERMISSIONS
    if member is not None and member.status == MemberStatus.ACTIVE.value:
        organization = organization or member.organization
        granted |= BASE_PERMISSIONS
        if organization is None or not organization.is_blocked:
            for role in member.role_set:
                granted |= ROLE_PERMISSIONS[role]
    if organization is not None and organization.is_liquidated:
        granted &= READ_ONLY_PERMISSIONS  # a liquidated organization is only looked at
    return frozenset(granted)


# The roles of the head who registers an organization (make_admin).
REGISTERING_HEAD_ROLES = (Role.ADMIN, Role.APPLICATIONS)
# What remains in an organization that ЕГРЮЛ shows liquidated.
READ_ONLY_PERMISSIONS = frozenset({Permission.VIEW_PROFILE, Permission.READ_JOURNAL, Permission.READ_DOCUMENTS})


can = access.can  # the one check (registry.core.access), here for this domain's callers


def administrators(organization: Organization) -> list[Membership]:
    """Active members holding «Администратор организации»: who can grant roles."""
    return [m for m in members(organization, MemberStatus.ACTIVE.value)
            if Role.ADMIN.value in (m.roles or [])]


def _grants(user, organization) -> frozenset[Permission]:
    if organization is None:  # outside any organization: only the operator's console
        operator = getattr(user, "is_operator", False) and not getattr(user, "blocked_reason", None)
        return OPERATOR_CONSOLE_PERMISSIONS if operator else frozenset()
    return permissions(membership(user, organization), organization, user)


def _organization_ids(user) -> list[int]:
    return [m.organization_id for m in active_memberships(user)]


POLICY = access.Policy(permissions=_grants, member=membership, organization_ids=_organization_ids)


def active_memberships(user) -> list[Membership]:
    return [m for m in _memberships(user.id) if m.status == MemberStatus.ACTIVE.value]


def memberships_by_name(user) -> list[Membership]:
    """All the person's memberships (any status) in their organizations' name order."""
    return list(_memberships(user.id))


def active_organizations(user_id: int) -> list[Organization]:
    """The organizations the person is an active member of, by name (the request's one
    statement about memberships)."""
    return [m.organization for m in _memberships(user_id) if m.status == MemberStatus.ACTIVE.value]


def make_admin(user, organization, remote_addr: str | None = None) -> Membership:
    """Give ``user`` the roles of the registering head in ``organization``: «Администратор
    организации», and «Работа с заявлениями» for what the guide's application needs (the
    documents and the application) from the start."""
    member = membership(user, organization)
    if member is None:
        member = Membership(organization_id=organization.id, user_id=user.id, roles=[])
        db.session.add(member)
    member.roles = sorted({*member.roles, *(r.value for r in REGISTERING_HEAD_ROLES)})
    member.status = MemberStatus.ACTIVE.value
    db.session.flush()
    record(organization, "registered", actor=user, subject=user, remote_addr=remote_addr,
           details="Организация зарегистрирована; роли: "
                   + ", ".join(r.title for r in REGISTERING_HEAD_ROLES))
    return member



def memberships_of(user) -> list[Membership]:
    return sorted(_memberships(user.id), key=lambda m: m.created_at)


class MemberError(Exception):
    """A rule the person can act on; the message is shown as is."""

    def __init__(self, message: str, conflict: bool = False):
        super().__init__(message)
        self.message = message
        self.conflict = conflict


def members(organization: Organization, status: str | None = None) -> list[Membership]:
    """The organization's members with their accounts loaded in the same query (one statement
    whatever the number of members)."""
    stmt = (select(Membership).options(joinedload(Membership.user))
            .where(Membership.organization_id == organization.id))
    if status:
        stmt = stmt.where(Membership.status == status)
    return list(db.session.scalars(stmt.order_by(Membership.created_at, Membership.id)))
