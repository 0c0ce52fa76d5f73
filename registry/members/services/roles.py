"""Members' roles: listing an organization's members, changing roles, taking one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ...core.access import AccessDenied
from ...core.journal import OrganizationJournalEntry, record
from ...extensions import db, utcnow
from ...organizations.models import Organization
from ...text import agree
from ..models import (
    Membership,
    MemberStatus,
    Role,
)
from .journal import KeysetPage, local_time
from .memberships import MemberError, membership

# -- roles --------------------------------------------------------------------------------------
MEMBERS_PAGE_SIZE = 100


def members_page(organization: Organization, status: str | None = None, *, after: str | None = None,
                 size: int = MEMBERS_PAGE_SIZE) -> KeysetPage:
    """One page of «Профили организации» in joining order after the ``after`` cursor (the
    member's id: ids grow with joining), accounts loaded in the same statement."""
    stmt = (select(Membership).options(joinedload(Membership.user))
            .where(Membership.organization_id == organization.id))
    if status:
        stmt = stmt.where(Membership.status == status)
    if after and after.isdigit() and len(after) < 12:
        stmt = stmt.where(Membership.id > int(after))
    rows = list(db.session.scalars(stmt.order_by(Membership.id).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(rows, str(rows[-1].id) if more and rows else None, not after)


def member_or_404(organization: Organization, member_id: int) -> Membership:
    """A member of this organization; another organization's member is a 404."""
    member = db.session.scalar(select(Membership).where(
        Membership.id == member_id, Membership.organization_id == organization.id))
    if member is None:
        raise AccessDenied(not_found=True)
    return member


def _titles(roles) -> str:
    return ", ".join(Role(r).title for r in sorted(roles)) or "нет"


@dataclass
class RolesChange:
    member: Membership
    added: list[str]
    removed: list[str]
    status_before: str | None = None  # None: nothing was written

    @property
    def member_removed(self) -> bool:
        """The save took the member out of the organization («Удален»)."""
        return (self.status_before is not None and self.status_before != MemberStatus.REMOVED.value
                and self.member.status == MemberStatus.REMOVED.value)


def _notify_roles(member: Membership, added: list[str], removed: list[str], actor) -> None:
    """The employee learns which roles were given or taken."""
    from ...notices.kinds import ROLES_CHANGED
    from ...notices.services import notify

    parts = []
    if added:
        parts.append("назначены: " + _titles(added))
    if removed:
        parts.append("сняты: " + _titles(removed))
    organization = member.organization
    notify(member.user, ROLES_CHANGED, f"{member.id}:{member.version}",
           f"Изменены ваши роли в организации {organization.name}",
           f"Роли {'; '.join(parts)}. Статус: {member.member_status.title}. "
           f"Изменил: {getattr(actor, 'full_name', None) or 'администратор организации'}.",
           url=f"/organizations/{organization.id}", organization=organization)


def removes_member(member: Membership, roles: set[Role]) -> bool:
    """Whether saving these roles would take the member out of the organization: no role
    ticked for someone who is waiting for roles or working (asked before it is done)."""
    return not roles and member.status in (MemberStatus.PENDING.value, MemberStatus.ACTIVE.value)


def set_roles(member: Membership, roles: set[Role], *, actor, version: int,
              remote_addr: str | None = None) -> RolesChange:
    """Save the roles ticked on a member's card.

    ``version`` is the member's version the card was opened at: if someone saved the card in
    between, nothing is written and :class:`MemberError` (conflict) says who. Roles make the
    member «Активный»; no roles make them «Удален». The last administrator cannot remove their
    own administrator role.
    """
    if member.status == MemberStatus.BLOCKED.value:
        raise MemberError("Участник заблокирован оператором реестра: роли изменить нельзя.")
    if member.version != version:
        raise MemberError(_conflict_message(member), conflict=True)
    old = set(member.roles or [])
    new = {r.value for r in roles}
    if Role.ADMIN.value in old and Role.ADMIN.value not in new and member.user_id == actor.id:
        others = [m for m in db.session.scalars(select(Membership).where(
            Membership.organization_id == member.organization_id, Membership.id != member.id,
            Membership.status == MemberStatus.ACTIVE.value)) if Role.ADMIN.value in (m.roles or [])]
        if not others:
            raise MemberError("Вы — единственный администратор организации: сначала назначьте "
                              "администратором другого сотрудника, затем снимите эту роль с себя.")
    if old == new and member.status != MemberStatus.PENDING.value:
        return RolesChange(member, [], [])
    status_before = member.status
    member.roles = sorted(new)
    member.status = (MemberStatus.ACTIVE if new else MemberStatus.REMOVED).value
    member.updated_at = utcnow()
    try:
        db.session.flush()  # the version column makes a concurrent save fail here
    except StaleDataError:
        # The caller rolls back (the session is unusable after a failed flush).
        raise MemberError("Карточку сотрудника только что сохранил другой администратор. "
                          "Обновите страницу и проверьте роли.", conflict=True) from None
    added, removed = sorted(new - old), sorted(old - new)
    parts = []
    if added:
        parts.append("назначены: " + _titles(added))
    if removed:
        parts.append("сняты: " + _titles(removed))
    parts.append(f"статус: {member.member_status.title}")
    record(member.organization_id, "roles", actor=actor, subject=member.user_id,
           details="; ".join(parts), remote_addr=remote_addr)
    if (added or removed) and getattr(actor, "id", None) != member.user_id:
        _notify_roles(member, added, removed, actor)
    return RolesChange(member, added, removed, status_before)


def take_role(user, organization: Organization, role: Role, *,
              remote_addr: str | None = None) -> RolesChange:
    """An administrator gives himself one more role (from a refusal page). A person who is not
    a member there gets :class:`AccessDenied` (not found)."""
    member = membership(user, organization)
    if member is None:
        raise AccessDenied(not_found=True)
    with db.session.begin_nested():
        return set_roles(member, member.role_set | {role}, actor=user, version=member.version,
                         remote_addr=remote_addr)


def _conflict_message(member: Membership) -> str:
    last = db.session.scalar(
        select(OrganizationJournalEntry).where(
            OrganizationJournalEntry.organization_id == member.organization_id,
            OrganizationJournalEntry.subject_id == member.user_id,
            OrganizationJournalEntry.event == "roles")
        .order_by(OrganizationJournalEntry.id.desc()).limit(1))
    who = last.actor.full_name if last is not None and last.actor is not None else "другой администратор"
    when = f" в {local_time(last.created_at)}" if last is not None else ""
    changed = agree(who, "изменил", "изменила")
    return (f"Роли этого сотрудника уже {changed} {who}{when}, пока карточка была открыта. "
            f"Сейчас назначено: {_titles(member.roles or [])}. Проверьте и сохраните ещё раз.")
