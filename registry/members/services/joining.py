"""People joining organizations: the offer from a certificate, the request, its notices."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from ...auth import services as auth_services
from ...core.journal import record
from ...extensions import db
from ...identifiers import digits
from ...organizations.models import Organization
from ..models import (
    Membership,
    MemberStatus,
)
from .memberships import MemberError, administrators, membership, memberships_of


# -- joining ------------------------------------------------------------------------------------
def offered_organizations(cert) -> list[Organization]:
    """Registered organizations a certificate points at: its ОГРН / ИНН ЮЛ / ОГРНИП."""
    keys = []
    if cert.ogrn:
        keys.append(Organization.ogrn == cert.ogrn)
    if cert.inn_le:
        keys.append(Organization.inn == cert.inn_le)
    if cert.ogrnip:
        keys.append(Organization.ogrn == cert.ogrnip)
    if not keys:
        return []
    return list(db.session.scalars(select(Organization).where(or_(*keys)).order_by(Organization.full_name)))


def find_registered(query: str) -> Organization | None:
    """A registered organization by ИНН, ОГРН or ОГРНИП (digits only)."""
    q = digits(query)
    if len(q) in (13, 15):
        return db.session.scalar(select(Organization).where(Organization.ogrn == q))
    return db.session.scalar(select(Organization).where(Organization.inn == q))


def join(user, organization: Organization, branch_id: str | None, *,
         remote_addr: str | None = None) -> Membership:
    """Ask to work in an organization (or one of its ТОП): status «Ожидает назначения ролей».

    A person already active there keeps their roles and only changes the unit; a removed
    member asks again.
    """
    if organization.is_blocked:
        raise MemberError(f"Организация заблокирована оператором реестра: {organization.blocked_reason}")
    if organization.is_liquidated:
        raise MemberError(f"{organization.liquidated_reason}: присоединиться к ней нельзя.")
    if branch_id and organization.branch(branch_id) is None:
        raise MemberError("Такого подразделения нет в профиле организации: выберите из списка.")
    member = membership(user, organization)
    if member is not None and member.status == MemberStatus.BLOCKED.value:
        raise MemberError("Вы заблокированы в этой организации оператором реестра"
                          + (f": {member.blocked_reason}" if member.blocked_reason else "."))
    if member is None:
        member = Membership(organization_id=organization.id, user_id=user.id, roles=[],
                            status=MemberStatus.PENDING.value)
        db.session.add(member)
    elif member.status == MemberStatus.REMOVED.value:
        member.status = MemberStatus.PENDING.value
    member.branch_id = branch_id or None
    db.session.flush()
    unit = organization.branch(branch_id)
    record(organization, "join", actor=user, subject=user, remote_addr=remote_addr,
           details=f"Подразделение: {unit['name']}" if unit else "Головная организация")
    if member.status == MemberStatus.PENDING.value:
        _notify_waiting(member, organization)
    return member


def _notify_waiting(member: Membership, organization: Organization) -> None:
    """The organization's administrators learn that a person waits for roles."""
    from ...notices.kinds import MEMBER_WAITING
    from ...notices.services import notify

    for admin in administrators(organization):
        if admin.user_id == member.user_id:
            continue
        notify(admin.user, MEMBER_WAITING, f"{member.id}:{member.version}",
               f"Сотрудник ожидает назначения ролей: {member.user.full_name}",
               f"{member.user.full_name} присоединяется к организации {organization.name} и ждёт, "
               "когда администратор назначит роли.",
               url=f"/organizations/{organization.id}/members/{member.id}", organization=organization)


JOINED = (MemberStatus.ACTIVE.value, MemberStatus.PENDING.value)


@dataclass
class JoinChoices:
    """What the joining page offers: the organizations the certificate points at and the one
    found by its number, less those the person already works (or waits) in."""

    offered: list[Organization]
    candidates: list[Organization]
    memberships: list[Membership]
    already: Membership | None = None  # the found organization is already the person's

    def add(self, organization: Organization) -> None:
        if organization not in self.candidates:
            self.candidates.append(organization)


def join_choices(user, cert, found: Organization | None) -> JoinChoices:
    mine = {m.organization_id: m for m in memberships_of(user)}
    already = None
    if found is not None and found.id in mine and mine[found.id].status in JOINED:
        already = mine[found.id]
    # An organization the person already works in (or waits in) is not offered again.
    offered = [o for o in offered_organizations(cert)
               if not (o.id in mine and mine[o.id].status in JOINED)]
    extra = [found] if found is not None and found not in offered and already is None else []
    return JoinChoices(offered, offered + extra, list(mine.values()), already)


def joinable(organization_id: str | None, choices: JoinChoices,
             found_ids: list[int]) -> Organization | None:
    """The organization a join request names, if this person may see it: one offered to
    them or one they found by its number (any other does not exist for them)."""
    text = organization_id or ""
    organization = db.session.get(Organization, int(text)) if text.isdigit() else None
    if organization is None or (organization not in choices.candidates
                                and organization.id not in found_ids):
        return None
    return organization


def join_with_profile(user, organization: Organization, branch_id: str | None, *,
                      position: str | None, department: str | None,
                      remote_addr: str | None = None) -> Membership:
    """:func:`join`, saving the position and department the person typed with it (both or
    neither: :class:`MemberError` leaves the profile as it was)."""
    with db.session.begin_nested():
        auth_services.update_profile(user, email=user.email, phone=user.phone,
                                     position=position, department=department)
        return join(user, organization, branch_id, remote_addr=remote_addr)
