"""МЧД in the product: an employee presents one for their organization; a valid one activates
the membership with the roles its powers map to; expiry or revocation takes them back.

Services flush and journal; the request (or the job) commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..core import clock
from ..core.access import AccessDenied
from ..core.journal import record as journal
from ..extensions import db, utcnow
from ..members.models import Membership, MemberStatus, Role
from ..text import plural_days
from . import provider
from .models import MchdStatus, PowerOfAttorneyRecord
from .roles import power_roles, roles_for
from .verify import (
    NOT_IN_REGISTRY,
    REGISTRY_NOT_CONFIGURED,
    REGISTRY_UNAVAILABLE,
    REVOKED,
    MchdResult,
    failure,
    verify,
)

JOURNAL_EVENT = "mchd"
PRESENTABLE = (MemberStatus.PENDING.value, MemberStatus.ACTIVE.value)


# -- whose, where ------------------------------------------------------------------------------
def presentable_memberships(user) -> list[Membership]:
    """The person's memberships an МЧД may be presented for (waiting for roles or active)."""
    from ..members.services.memberships import (
        memberships_by_name,  # the request's one membership query
    )
    return [m for m in memberships_by_name(user) if m.status in PRESENTABLE]


def membership_or_404(user, org_id: int) -> Membership:
    """The person's own membership in that organization; none (or removed, blocked): 404."""
    member = db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.organization_id == org_id,
        Membership.status.in_(PRESENTABLE)))
    if member is None:
        raise AccessDenied(not_found=True)
    return member


def records_of(user) -> list[PowerOfAttorneyRecord]:
    """The person's accepted МЧД, newest first (with their organizations)."""

    return list(db.session.scalars(
        select(PowerOfAttorneyRecord).options(joinedload(PowerOfAttorneyRecord.organization))
        .where(PowerOfAttorneyRecord.user_id == user.id)
        .order_by(PowerOfAttorneyRecord.created_at.desc(), PowerOfAttorneyRecord.id.desc())))


def current_record(user_id: int, organization_id: int) -> PowerOfAttorneyRecord | None:
    """The newest МЧД of a member: the active one, else the last that was."""
    rows = list(db.session.scalars(
        select(PowerOfAttorneyRecord).where(PowerOfAttorneyRecord.user_id == user_id,
                                            PowerOfAttorneyRecord.organization_id == organization_id)
        .order_by(PowerOfAttorneyRecord.created_at.desc(), PowerOfAttorneyRecord.id.desc()).limit(10)))
    return next((r for r in rows if r.is_active), rows[0] if rows else None)


def acting_authority(user, organization) -> str | None:
    """The number of the МЧД ``user`` acts by in ``organization`` (None: none in force)."""
    if organization is None or not getattr(user, "id", None):
        return None
    found = current_record(user.id, organization.id)
    if found is None or not found.is_active or found.valid_until < clock.today():
        return None
    return found.number


def organization_records(organization, user=None) -> list[PowerOfAttorneyRecord]:
    """An organization's accepted МЧД, newest first (only ``user``'s own when given)."""
    stmt = (select(PowerOfAttorneyRecord).options(joinedload(PowerOfAttorneyRecord.user))
            .where(PowerOfAttorneyRecord.organization_id == organization.id)
            .order_by(PowerOfAttorneyRecord.created_at.desc(), PowerOfAttorneyRecord.id.desc()).limit(500))
    if user is not None:
        stmt = stmt.where(PowerOfAttorneyRecord.user_id == user.id)
    return list(db.session.scalars(stmt))


def record_json(record: PowerOfAttorneyRecord) -> dict[str, Any]:
    """An accepted МЧД as the API shows it: what it says, what it gave, how it was checked."""
    return {"id": record.id, "number": record.number, "format": record.format,
            "status": record.status, "status_title": record.mchd_status.title,
            "status_reason": record.status_reason,
            "principal": {"name": record.principal_name, "inn": record.principal_inn,
                          "ogrn": record.principal_ogrn},
            "representative": record.representative, "signer": record.signer,
            "powers": record.powers or [], "granted_roles": record.granted_roles or [],
            "issued_on": record.issued_on.isoformat(), "valid_until": record.valid_until.isoformat(),
            "redelegation": record.redelegation, "parent_number": record.parent_number,
            "signing_time": record.signing_time.isoformat() if record.signing_time else None,
            "checked_at": record.checked_at.isoformat(), "checks": record.checks or []}


# -- checking ----------------------------------------------------------------------------------
def _principal(member: Membership) -> tuple[str, str]:
    organization = member.organization
    return organization.inn or "", organization.ogrn


def check_files(member: Membership, who: Any, xml: bytes, file_name: str | None,
                signature: bytes, parents: tuple | list = ()) -> MchdResult:
    """Every check of an uploaded МЧД for ``member`` (``who``: the signed-in person's
    certificate, or their account); ``parents``: (XML, signature) of a re-delegation's parent."""
    result = verify(xml, signature, file_name=file_name, representative=who,
                    principal=_principal(member), context=provider.check_context(parents))
    return _known_revocation(member, result)


def _known_revocation(member: Membership, result: MchdResult) -> MchdResult:
    """A number this organization already saw revoked stays revoked (even while the registry
    cannot be asked)."""
    if not result.valid:
        return result
    revoked = db.session.scalar(select(PowerOfAttorneyRecord).where(
        PowerOfAttorneyRecord.organization_id == member.organization_id,
        PowerOfAttorneyRecord.number == result.number,
        PowerOfAttorneyRecord.status == MchdStatus.REVOKED.value).limit(1))
    if revoked is None:
        return result
    when = f" {clock.local(revoked.suspended_at):%d.%m.%Y}" if revoked.suspended_at else ""
    refused = failure(REVOKED, when)
    refused.document, refused.checks = result.document, result.checks[:-1] + refused.checks
    return refused


def too_large(size: int, limit: int) -> MchdResult:
    """The refusal of a file too large to read (with its real size)."""
    from .document import too_large as error

    problem = error(size, limit)
    return failure(problem.code, problem.detail)


@dataclass
class Found:
    """An МЧД found in the registry, with the verdict on it."""

    result: MchdResult
    xml: bytes | None = None
    signature: bytes | None = None
    file_name: str | None = None


def check_number(member: Membership, who: Any, number: str, principal_inn: str) -> Found:
    """Look the МЧД up in the registry by number and the principal's ИНН, then check it."""
    if not provider.configured():
        return Found(failure(REGISTRY_NOT_CONFIGURED))
    found = provider.lookup(number, principal_inn)
    if found.status == provider.NOT_FOUND:
        return Found(failure(NOT_IN_REGISTRY, number, principal_inn))
    if found.status == provider.UNAVAILABLE:
        return Found(failure(REGISTRY_UNAVAILABLE, found.error or ""))
    if found.status == provider.REVOKED or found.xml is None or found.signature is None:
        when = found.revoked_text.partition(":")[2].strip()
        return Found(failure(REVOKED, f" {when}" if when else ""))
    result = verify(found.xml, found.signature, file_name=found.file_name, representative=who,
                    principal=_principal(member), context=provider.check_context())
    return Found(_known_revocation(member, result), found.xml, found.signature, found.file_name)


# -- accepting and refusing ----------------------------------------------------------------------
@dataclass
class Accepted:
    record: PowerOfAttorneyRecord
    added: list[Role]  # roles the МЧД gave now
    text_only: bool
    unknown: list[str]  # codes the operator's table does not know: the administrator decides


def _titles(roles) -> str:
    return ", ".join(Role(r).title for r in sorted(r.value if isinstance(r, Role) else r for r in roles)) or "нет"


def _powers_text(powers: list[dict]) -> str:
    """«Работа с заявлениями в ГИИС ДМДК (код DMDK_APPLICATIONS); …»: the words first, as the
    member card, the МЧД page and the journal all say it."""
    return "; ".join(f"{p['name']} (код {p['code']})" if p.get("code") else p["name"] for p in powers)


def accept(member: Membership, result: MchdResult, *, xml: bytes, signature: bytes,
           file_name: str | None, source: str, actor, remote_addr: str | None = None) -> Accepted:
    """Keep a valid МЧД and give the member the roles its powers map to (none for text
    powers: the administrator decides)."""
    assert result.valid and result.document is not None
    mchd = result.document
    table = power_roles()  # read before the new record is added (no flush of a half-filled row)
    stmt = select(PowerOfAttorneyRecord).where(
        PowerOfAttorneyRecord.organization_id == member.organization_id,
        PowerOfAttorneyRecord.user_id == member.user_id)
    earlier = list(db.session.scalars(stmt))
    inherited: set[str] = set()
    for old in earlier:
        if old.is_active and old.number != mchd.number:
            old.status, old.status_reason = MchdStatus.REPLACED.value, f"заменена доверенностью № {mchd.number}"
            inherited |= set(old.granted_roles or [])
    record = next((r for r in earlier if r.number == mchd.number), None)
    if record is None:
        record = PowerOfAttorneyRecord(organization_id=member.organization_id, user_id=member.user_id,
                                       number=mchd.number)
        db.session.add(record)
    mapped = roles_for(mchd.codes, table)
    before = set(member.roles or [])
    added = sorted({r.value for r in mapped} - before)
    signer = result.signer
    record.format, record.file_name, record.source = mchd.format, result.file_name or file_name, source
    record.principal_inn, record.principal_ogrn = mchd.principal.inn or "", mchd.principal.ogrn or ""
    record.principal_name = mchd.principal.name
    record.representative = mchd.representative.to_dict()
    record.signer = {"full_name": signer.full_name if signer else None,
                     "snils": signer.snils if signer else None,
                     "serial": signer.serial if signer else None,
                     "issuer": signer.issuer if signer else None}
    record.powers = result.powers
    record.issued_on, record.valid_until = mchd.issued_on, mchd.valid_until
    record.redelegation, record.parent_number = mchd.redelegation, mchd.parent_number
    record.status, record.status_reason, record.suspended_at = MchdStatus.ACTIVE.value, None, None
    record.granted_roles = sorted(inherited | set(record.granted_roles or []) | set(added))
    record.checks = [c.to_dict() for c in result.checks]
    # What was checked: the XML and signature themselves, also when they came in a package.
    record.xml, record.signature = result.xml or xml, result.signature or signature
    record.signing_time = result.signing_time
    record.checked_at = utcnow()
    if added:
        member.roles = sorted(before | set(added))
    if member.roles:
        member.status = MemberStatus.ACTIVE.value
    member.updated_at = utcnow()
    db.session.flush()
    parts = [f"Принята доверенность № {mchd.number} от {mchd.issued_on:%d.%m.%Y}, действует по "
             f"{mchd.valid_until:%d.%m.%Y}", f"полномочия: {_powers_text(result.powers)}"]
    parts.append(f"назначены роли: {_titles(added)}" if added else
                 "роли назначит администратор (полномочия указаны текстом)" if mchd.text_only else
                 "новых ролей нет")
    parts.append(f"статус: {member.member_status.title}")
    journal(member.organization_id, JOURNAL_EVENT, actor=actor, subject=member.user_id,
            details="; ".join(parts), remote_addr=remote_addr)
    unknown = sorted(mchd.codes - set(table))
    if mchd.text_only or unknown:
        _ask_administrators(record, member, mchd.text_only, unknown)
    return Accepted(record, [Role(r) for r in added], mchd.text_only, unknown)


def _ask_administrators(record: PowerOfAttorneyRecord, member: Membership, text_only: bool,
                        unknown: list[str]) -> None:
    """Powers the table cannot turn into roles: the administrators read them and decide."""
    from ..notices.kinds import MEMBER_WAITING

    said = ("полномочия в ней указаны текстом" if text_only else
            f"коды полномочий {', '.join(unknown)} не сопоставлены ролям реестра")
    _tell_administrators(record, member, MEMBER_WAITING, f"mchd-roles:{record.number}",
                         f"Назначьте роли по доверенности: {record.user.full_name}",
                         f"{record.user.full_name} представил(а) доверенность № {record.number}: {said}. "
                         f"Полномочия: {_powers_text(record.powers or [])}. Прочитайте их на карточке "
                         "сотрудника и назначьте роли вручную.")


def refuse(member: Membership, result: MchdResult, *, actor, remote_addr: str | None = None) -> None:
    """Journal a refused МЧД (what was presented and why it was refused)."""
    number = f" № {result.number}" if result.number else ""
    journal(member.organization_id, JOURNAL_EVENT, actor=actor, subject=member.user_id,
            remote_addr=remote_addr,
            details=f"Доверенность{number} не принята: {result.message}"[:2000])


# -- expiry and revocation -------------------------------------------------------------------------
NOTICE_DAYS = (30, 7, 1)


@dataclass
class SweepReport:
    expired: int = 0
    revoked: int = 0
    terminated: int = 0
    reminded: int = 0


def suspend(record: PowerOfAttorneyRecord, status: MchdStatus, reason: str) -> list[str]:
    """Take back what the МЧД granted; the member without roles waits for them again."""
    record.status, record.status_reason, record.suspended_at = status.value, reason, utcnow()
    member = db.session.scalar(select(Membership).where(
        Membership.organization_id == record.organization_id, Membership.user_id == record.user_id))
    taken: list[str] = []
    if member is not None and member.status != MemberStatus.BLOCKED.value:
        taken = sorted(set(member.roles or []) & set(record.granted_roles or []))
        member.roles = sorted(set(member.roles or []) - set(taken))
        if not member.roles and member.status == MemberStatus.ACTIVE.value:
            member.status = MemberStatus.PENDING.value
        member.updated_at = utcnow()
    db.session.flush()
    journal(record.organization_id, JOURNAL_EVENT, subject=record.user_id,
            details=f"Доверенность № {record.number}: {reason}; сняты роли: {_titles(taken)}")
    from ..notices.kinds import MCHD_EXPIRY
    from ..notices.services import notify

    notify(record.user, MCHD_EXPIRY, f"suspended:{record.number}:{status.value}",
           f"Доверенность № {record.number} больше не действует",
           f"Доверенность № {record.number} организации {record.principal_name}: {reason}. "
           f"Роли, которые она давала, сняты: {_titles(taken)}. Попросите руководителя оформить "
           "новую доверенность и загрузите её в разделе «Доверенности (МЧД)».",
           url="/mchd", organization=record.organization)
    _tell_administrators(record, member, MCHD_EXPIRY, f"suspended:{record.number}:{status.value}",
                         f"Доверенность сотрудника больше не действует: {record.user.full_name}",
                         f"Доверенность № {record.number}, выданная сотруднику {record.user.full_name}: "
                         f"{reason}. Сняты роли: {_titles(taken)}.")
    return taken


def _tell_administrators(record: PowerOfAttorneyRecord, member: Membership | None, kind: str,
                         key: str, subject: str, body: str) -> None:
    """The same news for the organization's administrators (the member's card as the link)."""
    from ..members.services.memberships import administrators
    from ..notices.services import notify

    url = (f"/organizations/{record.organization_id}/members/{member.id}" if member is not None
           else f"/organizations/{record.organization_id}/members")
    for admin in administrators(record.organization):
        if admin.user_id != record.user_id:
            notify(admin.user, kind, key, subject, body, url=url, organization=record.organization)


def sweep(today: date | None = None, *, check_registry: bool = True) -> SweepReport:
    """Suspend what expired or revoked МЧД granted; remind of those about to expire."""
    today = today or clock.today()
    report = SweepReport()
    active = list(db.session.scalars(select(PowerOfAttorneyRecord).where(
        PowerOfAttorneyRecord.status == MchdStatus.ACTIVE.value).order_by(PowerOfAttorneyRecord.id)))
    registry = check_registry and provider.configured()
    for record in active:
        if record.valid_until < today:
            suspend(record, MchdStatus.EXPIRED, f"срок действия истёк {record.valid_until:%d.%m.%Y}")
            report.expired += 1
            continue
        if _liquidated(record):
            suspend(record, MchdStatus.TERMINATED, "организация-доверитель ликвидирована по "
                                                   "сведениям ЕГРЮЛ")
            report.terminated += 1
            continue
        if registry:
            found = provider.lookup(record.number, record.principal_inn)
            record.checked_at = utcnow()
            if found.status == provider.REVOKED:  # unavailable is not revoked
                when = found.revoked_text.partition(":")[2].strip()
                suspend(record, MchdStatus.REVOKED, f"отозвана{(' ' + when) if when else ''} по "
                                                    "сведениям реестра доверенностей")
                report.revoked += 1
                continue
        report.reminded += _remind(record, today)
    return report


def _liquidated(record: PowerOfAttorneyRecord) -> bool:
    from ..refdata.services import find_local

    found = find_local(record.principal_ogrn)
    return found is not None and bool(found.liquidated)


def _remind(record: PowerOfAttorneyRecord, today: date) -> int:
    from ..notices.kinds import MCHD_EXPIRY
    from ..notices.services import notify, threshold_reached

    left = (record.valid_until - today).days
    days = threshold_reached(left, NOTICE_DAYS)
    if days is None:
        return 0
    word = plural_days(left)
    sent = notify(record.user, MCHD_EXPIRY, f"expiring:{record.number}:{days}",
                  f"Доверенность № {record.number} истекает через {left} {word}",
                  f"Доверенность № {record.number} организации {record.principal_name} действует по "
                  f"{record.valid_until:%d.%m.%Y}. Когда срок истечёт, роли, которые она даёт, будут "
                  "сняты: попросите руководителя оформить новую доверенность заранее.",
                  url="/mchd", organization=record.organization)
    member = db.session.scalar(select(Membership).where(
        Membership.organization_id == record.organization_id, Membership.user_id == record.user_id))
    _tell_administrators(record, member, MCHD_EXPIRY, f"expiring:{record.number}:{days}",
                         f"Доверенность сотрудника истекает через {left} {word}: {record.user.full_name}",
                         f"Доверенность № {record.number}, выданная сотруднику {record.user.full_name}, "
                         f"действует по {record.valid_until:%d.%m.%Y}; затем роли, которые она даёт, "
                         "будут сняты.")
    return 1 if sent is not None else 0


def member_facts(member) -> list[tuple[str, list[tuple[str, str]]]]:
    """The member card's «Доверенность (МЧД)»: the member's newest МЧД in that organization."""
    found = current_record(member.user_id, member.organization_id)
    if found is None:
        return []
    powers = _powers_text(found.powers or [])
    status = found.mchd_status.title + (f": {found.status_reason}" if found.status_reason else "")
    return [("Доверенность (МЧД)", [
        ("Номер", found.number), ("Статус", status),
        ("Срок действия", f"{found.issued_on:%d.%m.%Y} — {found.valid_until:%d.%m.%Y}"),
        ("Полномочия", powers),
        ("Роли по доверенности", _titles(found.granted_roles or [])
         if found.granted_roles else "назначает администратор"),
        ("Подписант", (found.signer or {}).get("full_name") or "—"),
    ])]


_EXPIRING = (  # built once (the organization page runs it): SQLAlchemy keeps its cache key
    select(PowerOfAttorneyRecord).options(joinedload(PowerOfAttorneyRecord.user))
    .where(PowerOfAttorneyRecord.organization_id == bindparam("org_id"),
           PowerOfAttorneyRecord.status == MchdStatus.ACTIVE.value,
           PowerOfAttorneyRecord.valid_until <= bindparam("until"))
    .order_by(PowerOfAttorneyRecord.valid_until, PowerOfAttorneyRecord.id).limit(20))


def organization_notices(organization) -> list[tuple[str, str]]:
    """For the organization page, to those who assign roles: employees' МЧД that expire within
    30 days (the soonest first, at most 20)."""
    from ..core.access import Permission, can
    from ..core.web import current_person
    from ..text import genitive

    if not can(current_person(), Permission.ASSIGN_ROLES, organization):
        return []
    today = clock.today()
    rows = db.session.scalars(_EXPIRING, {"org_id": organization.id,
                                          "until": today + timedelta(days=NOTICE_DAYS[0])})
    return [("warning", f"Доверенность (МЧД) № {r.number} сотрудника {genitive(r.user.full_name)} "
                        f"действует по {r.valid_until:%d.%m.%Y}: затем роли, которые она даёт, будут сняты.")
            for r in rows]
