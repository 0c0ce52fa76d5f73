"""Who may do what, and people joining organizations and getting roles.

Permissions are data: one enum, one role→permissions map (``models.ROLE_PERMISSIONS``) and one
check, :func:`can`, used by every view and every API call. Services flush; the request commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timezone

from flask import has_request_context
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..auth import services as auth_services
from ..core import access, clock, uow
from ..core.access import AccessDenied
from ..core.journal import OrganizationJournalEntry, record
from ..extensions import contains_word, db, utcnow
from ..identifiers import digits
from ..organizations.models import Organization
from ..text import agree, quoted
from .models import (
    BASE_PERMISSIONS,
    OPERATOR_CONSOLE_PERMISSIONS,
    OPERATOR_PERMISSIONS,
    PERMISSION_TITLES,
    ROLE_PERMISSIONS,
    Membership,
    MemberStatus,
    Permission,
    Role,
    roles_granting,
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


# -- joining ------------------------------------------------------------------------------------
class MemberError(Exception):
    """A rule the person can act on; the message is shown as is."""

    def __init__(self, message: str, conflict: bool = False):
        super().__init__(message)
        self.message = message
        self.conflict = conflict


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
    from ..notices.kinds import MEMBER_WAITING
    from ..notices.services import notify

    for admin in administrators(organization):
        if admin.user_id == member.user_id:
            continue
        notify(admin.user, MEMBER_WAITING, f"{member.id}:{member.version}",
               f"Сотрудник ожидает назначения ролей: {member.user.full_name}",
               f"{member.user.full_name} присоединяется к организации {organization.name} и ждёт, "
               "когда администратор назначит роли.",
               url=f"/organizations/{organization.id}/members/{member.id}", organization=organization)


def _notify_roles(member: Membership, added: list[str], removed: list[str], actor) -> None:
    """The employee learns which roles were given or taken."""
    from ..notices.kinds import ROLES_CHANGED
    from ..notices.services import notify

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


def memberships_of(user) -> list[Membership]:
    return sorted(_memberships(user.id), key=lambda m: m.created_at)


# -- roles --------------------------------------------------------------------------------------
def members(organization: Organization, status: str | None = None) -> list[Membership]:
    """The organization's members with their accounts loaded in the same query (one statement
    whatever the number of members)."""
    stmt = (select(Membership).options(joinedload(Membership.user))
            .where(Membership.organization_id == organization.id))
    if status:
        stmt = stmt.where(Membership.status == status)
    return list(db.session.scalars(stmt.order_by(Membership.created_at, Membership.id)))


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


# -- the organization journal -------------------------------------------------------------------
def journal_query(organization: Organization, *, event: str | None = None, person: str | None = None,
                  date_from=None, date_to=None):
    """Journal entries of an organization, newest first, filtered (a select to paginate)."""
    from ..auth.models import User
    from ..refdata.services import normalize_search

    stmt = select(OrganizationJournalEntry).where(
        OrganizationJournalEntry.organization_id == organization.id)
    if event:
        stmt = stmt.where(OrganizationJournalEntry.event == event)
    if person:
        words = normalize_search(person).split()
        people = select(User.id)
        for word in words:
            people = people.where(contains_word(User.full_name, word))
        stmt = stmt.where(or_(OrganizationJournalEntry.subject_id.in_(people),
                              OrganizationJournalEntry.actor_id.in_(people)))
    start, end = clock.day_bounds(date_from, date_to)  # the days people mean: local days
    if start is not None:
        stmt = stmt.where(OrganizationJournalEntry.created_at >= start)
    if end is not None:
        stmt = stmt.where(OrganizationJournalEntry.created_at < end)
    return stmt.order_by(OrganizationJournalEntry.created_at.desc(), OrganizationJournalEntry.id.desc())


@dataclass
class KeysetPage:
    """One page of a list in keyset order: no total count, no OFFSET; ``next_cursor`` leads on."""

    items: list
    next_cursor: str | None
    first: bool

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def _cursor(entry: OrganizationJournalEntry) -> str:
    return f"{entry.created_at.strftime('%Y%m%d%H%M%S%f')}.{entry.id}"


def _parse_cursor(cursor: str | None):
    from datetime import datetime, timezone

    if not cursor:
        return None
    stamp, _, ident = cursor.partition(".")
    try:
        return (datetime.strptime(stamp, "%Y%m%d%H%M%S%f").replace(tzinfo=timezone.utc), int(ident))
    except ValueError:
        return None


def keyset_page(query, cursor: str | None, size: int) -> KeysetPage:
    """The journal page after ``cursor`` (newest first), its people loaded with it."""
    from sqlalchemy import and_

    E = OrganizationJournalEntry
    after = _parse_cursor(cursor)
    stmt = query.options(joinedload(E.actor), joinedload(E.subject))
    if after is not None:
        at, ident = after
        stmt = stmt.where(or_(E.created_at < at, and_(E.created_at == at, E.id < ident)))
    rows = list(db.session.scalars(stmt.limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(rows, _cursor(rows[-1]) if more and rows else None, after is None)


def journal_rows(query, batch: int = 2000):
    """Every entry of a journal query as plain rows (created_at, event, subject's name, actor's
    name, certificate serial and issuer, МЧД number, details, address), fetched in batches:
    constant memory and no ORM objects per row.

    The rows are read through a session of their own, bound like the request's: a streamed
    body is produced after the request's unit of work has ended, outside its context."""
    from sqlalchemy.orm import aliased

    from ..auth.models import User

    E = OrganizationJournalEntry
    subject, actor = aliased(User), aliased(User)
    stmt = (select(E.created_at, E.event, subject.full_name, actor.full_name, E.cert_serial,
                   E.cert_issuer, E.mchd_number, E.details, E.remote_addr)
            .select_from(E)
            .outerjoin(subject, subject.id == E.subject_id)
            .outerjoin(actor, actor.id == E.actor_id)
            .where(query.whereclause)
            .order_by(E.created_at.desc(), E.id.desc())
            .execution_options(yield_per=batch))
    session = Session(bind=db.session().get_bind())

    def rows():
        try:
            yield from session.execute(stmt)
        finally:
            session.close()
    return rows()


JOURNAL_CSV_HEADER = ["Дата и время", "Событие", "Сотрудник", "Кто выполнил", "Серийный номер сертификата",
                      "Издатель сертификата", "Номер МЧД", "Подробности", "IP-адрес"]


def journal_csv_name(organization: Organization) -> str:
    return f"journal-{organization.ogrn}-{clock.today():%Y%m%d}.csv"


def journal_csv_rows(query, titles: Mapping[str, str]) -> Iterator[list[str]]:
    """The CSV rows of a journal query (see :data:`JOURNAL_CSV_HEADER`), streamed in batches:
    times in the people's zone, events by their titles. The zone is read now: the rows are
    produced after the request has ended."""
    tz = clock.zone()
    entries = journal_rows(query)

    def rows():
        for created_at, event, subject, actor, serial, issuer, mchd, details, remote_addr in entries:
            moment = created_at.replace(tzinfo=timezone.utc) if created_at.tzinfo is None else created_at
            yield [moment.astimezone(tz).strftime("%d.%m.%Y %H:%M:%S"), titles.get(event, event),
                   subject or "", actor or "", serial or "", issuer or "", mchd or "", details or "",
                   remote_addr or ""]
    return rows()


def record_sign_in(user, remote_addr: str | None) -> None:
    """A member's sign-in goes to the journal of each organization they are active in."""
    for member in active_memberships(user):
        record(member.organization_id, "sign_in", actor=user, subject=user, remote_addr=remote_addr)


def local_time(value, fmt: str = "%H:%M") -> str:
    """A stored (UTC) time in the people's time zone (REGISTRY_TIMEZONE)."""
    return clock.local(value).strftime(fmt)


# -- refusals that say what is missing and who can grant it ------------------------------------
def _names(members) -> str:
    return ", ".join(m.user.full_name for m in members) or "администратор организации"


@dataclass
class MissingPermission:
    text: str
    roles: list[Role]
    may_take: bool  # an administrator who is a member may give himself one of the roles


def missing_permission(user, organization: Organization, permission: Permission) -> MissingPermission:
    """Why a right is missing in an organization: the roles that carry it, who assigns them."""
    if organization.is_liquidated:
        if permission == Permission.DOCUMENTS:  # reading them stays (READ_DOCUMENTS)
            return MissingPermission(f"{organization.liquidated_reason}. Организация доступна только для "
                                     "просмотра: документы можно просматривать и скачивать, но не "
                                     "загружать, подписывать и удалять.", [], False)
        return MissingPermission(f"{organization.liquidated_reason}. Организация доступна только для "
                                 f"просмотра: раздел «{PERMISSION_TITLES[permission]}» недоступен.", [], False)
    roles = roles_granting(permission)
    can_assign = access.can(user, Permission.ASSIGN_ROLES, organization)
    titles = " или ".join(f"«{r.title}»" for r in roles)
    if can_assign:
        grant = "Вы администратор организации и можете назначить эту роль себе."
    else:
        grant = ("Роли назначает администратор организации в разделе «Профили организации»: "
                 f"{_names(administrators(organization))}.")
    text = (f"Для раздела «{PERMISSION_TITLES[permission]}» в организации {quoted(organization.name)} "
            f"нужна роль {titles}. {grant}")
    return MissingPermission(text, list(roles), can_assign and membership(user, organization) is not None)


def inactive_refusal(organization: Organization, member: Membership) -> tuple[str, str]:
    """The title and text shown to a member who may not see the organization (yet)."""
    status = member.member_status
    if status == MemberStatus.PENDING:
        return ("Ожидает назначения ролей",
                f"Ваша заявка в организацию {quoted(organization.name)} ожидает назначения ролей. "
                "Сведения организации станут доступны, когда администратор назначит вам роли: "
                f"{_names(administrators(organization))}. Если вы действуете по машиночитаемой "
                "доверенности (МЧД), загрузите её в разделе «Доверенности (МЧД)»: доступ откроется сразу.")
    if status == MemberStatus.REMOVED:
        return ("Доступ к организации закрыт",
                f"Администратор организации {quoted(organization.name)} снял с вас все роли. Чтобы снова "
                "получить доступ, подайте заявку на странице «Присоединиться к организации» "
                "или обратитесь к администратору: "
                f"{_names(administrators(organization))}.")
    return ("Доступ заблокирован",
            "Вы заблокированы в этой организации оператором реестра"
            + (f": {member.blocked_reason}." if member.blocked_reason else ".")
            + " По вопросам блокировки обращайтесь к оператору реестра.")
