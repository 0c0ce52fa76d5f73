"""What the registry operator does: grant the role, look at everything, block and unblock.

Blocking is recorded in the organization journal; a blocked person cannot sign in, a blocked
member cannot act in that organization, a blocked organization is read-only for its members —
and each is told why.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from ..auth.models import User
from ..core.journal import record
from ..extensions import contains_word, db, utcnow
from ..identifiers import check_snils, digits
from ..members.models import Membership, MemberStatus
from ..organizations.models import Organization
from ..refdata.services import normalize_search


class OperatorError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def set_operator(snils: str, granted: bool) -> User:
    """Grant or revoke the operator role of the person with this СНИЛС (from the CLI)."""
    problem = check_snils(snils)
    if problem:
        raise OperatorError(problem)
    user = db.session.scalar(select(User).where(User.snils == digits(snils)))
    if user is None:
        raise OperatorError("Человек с таким СНИЛС ещё не входил в реестр: пусть войдёт со своим сертификатом.")
    user.is_operator = granted
    db.session.flush()
    return user


def operators() -> list[User]:
    return list(db.session.scalars(select(User).where(User.is_operator.is_(True)).order_by(User.full_name)))


PAGE_SIZE = 50


def _name_cursor(org: Organization) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps([org.full_name, org.id]).encode()).decode()


def _parse_name_cursor(cursor: str | None) -> tuple[str, int] | None:
    import base64
    import binascii
    import json

    if not cursor or len(cursor) > 2000:
        return None
    try:
        name, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return str(name), int(ident)
    except (ValueError, TypeError, binascii.Error):
        return None


def organizations(query: str | None = None, status: str | None = None, *, after: str | None = None,
                  size: int = PAGE_SIZE) -> tuple[list[Organization], str | None]:
    """One page of organizations in name order after the ``after`` cursor (keyset: no count,
    no OFFSET), and the cursor of the next page (None on the last one)."""
    from sqlalchemy import and_

    stmt = select(Organization)
    position = _parse_name_cursor(after)
    if position is not None:
        name, ident = position
        stmt = stmt.where(or_(Organization.full_name > name,
                              and_(Organization.full_name == name, Organization.id > ident)))
    q = (query or "").strip()
    if q:
        d = digits(q)
        if d.isdigit():
            stmt = stmt.where(or_(Organization.inn == d, Organization.ogrn == d, Organization.kpp == d))
        else:
            for word in normalize_search(q).split()[:5]:
                stmt = stmt.where(or_(contains_word(Organization.full_name, word),
                                      contains_word(Organization.short_name, word)))
    if status:
        stmt = stmt.where(Organization.status == status)
    rows = list(db.session.scalars(stmt.order_by(Organization.full_name, Organization.id).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return rows, (_name_cursor(rows[-1]) if more and rows else None)


def people(query: str) -> list[User]:
    q = (query or "").strip()
    if not q:
        return []
    d = digits(q)
    if d.isdigit():
        stmt = select(User).where(or_(User.snils == d, User.inn == d))
    else:
        stmt = select(User)
        for word in normalize_search(q).split()[:5]:
            stmt = stmt.where(contains_word(User.full_name, word))
    return list(db.session.scalars(stmt.order_by(User.full_name).limit(200)))


def block_organization(organization: Organization, reason: str, *, actor) -> None:
    organization.status = Organization.STATUS_BLOCKED
    organization.blocked_reason = reason.strip()
    organization.blocked_at = utcnow()
    record(organization, "blocked", actor=actor, details=f"Организация заблокирована: {reason.strip()}")
    db.session.flush()


def unblock_organization(organization: Organization, *, actor) -> None:
    organization.status = Organization.STATUS_REGISTERED
    organization.blocked_reason = None
    organization.blocked_at = None
    record(organization, "unblocked", actor=actor, details="Блокировка организации снята")
    db.session.flush()


def block_member(member: Membership, reason: str, *, actor) -> None:
    if member.status == MemberStatus.BLOCKED.value:
        raise OperatorError("Сотрудник уже заблокирован.")
    member.status = MemberStatus.BLOCKED.value
    member.blocked_reason = reason.strip()
    record(member.organization_id, "blocked", actor=actor, subject=member.user_id,
           details=f"Сотрудник заблокирован: {reason.strip()}")
    db.session.flush()


def unblock_member(member: Membership, *, actor) -> None:
    if member.status != MemberStatus.BLOCKED.value:
        raise OperatorError("Сотрудник не заблокирован.")
    # Back to what the roles say: active with roles, otherwise waiting for them.
    member.status = (MemberStatus.ACTIVE if member.roles else MemberStatus.PENDING).value
    member.blocked_reason = None
    record(member.organization_id, "unblocked", actor=actor, subject=member.user_id,
           details="Блокировка сотрудника снята")
    db.session.flush()


def block_person(user: User, reason: str, *, actor) -> None:
    if user.id == actor.id:
        raise OperatorError("Нельзя заблокировать самого себя.")
    user.blocked_reason = reason.strip()
    user.blocked_at = utcnow()
    for member in db.session.scalars(select(Membership).where(Membership.user_id == user.id)):
        record(member.organization_id, "blocked", actor=actor, subject=user,
               details=f"Учётная запись заблокирована оператором: {reason.strip()}")
    db.session.flush()


def unblock_person(user: User, *, actor) -> None:
    user.blocked_reason = None
    user.blocked_at = None
    for member in db.session.scalars(select(Membership).where(Membership.user_id == user.id)):
        record(member.organization_id, "unblocked", actor=actor, subject=user,
               details="Блокировка учётной записи снята")
    db.session.flush()


def recent_grace_sign_ins(days: int = 7, limit: int = 20) -> list:
    """Sign-ins accepted on a stale CRL within the grace period, newest first."""
    from ..auth.models import VisitJournalEntry
    from ..trust.validation import GRACE_JOURNAL_PREFIX

    since = utcnow() - timedelta(days=days)
    return list(
        db.session.scalars(
            select(VisitJournalEntry)
            .where(
                VisitJournalEntry.event == VisitJournalEntry.EVENT_SIGN_IN,
                VisitJournalEntry.created_at >= since,
                VisitJournalEntry.message.startswith(GRACE_JOURNAL_PREFIX),
            )
            .order_by(VisitJournalEntry.created_at.desc(), VisitJournalEntry.id.desc())
            .limit(limit)
        )
    )


# -- notices to operators ---------------------------------------------------------------------------
CRL_PROBLEMS = {
    "none": "нет списка отзыва",
    "stale": "список отзыва устарел",
    "grace": "список отзыва устарел (действует льготный срок)",
    "expiring": "список отзыва скоро устареет",
}


def trust_problems(report: dict) -> list[tuple[str, str, str]]:
    """(key, subject, text) of every problem in a trust report (``registry.trust.status``)."""
    import hashlib

    found = []
    for ca in report.get("cas", []):
        state = ca.get("crl_state")
        if state in CRL_PROBLEMS:
            found.append((f"crl:{ca.get('key_id')}:{state}:{ca.get('next_update')}",
                          f"{ca['name']}: {CRL_PROBLEMS[state]}",
                          f"Удостоверяющий центр «{ca['name']}»: {CRL_PROBLEMS[state]}. "
                          f"Следующее обновление списка: {ca.get('next_update_text') or '—'}. "
                          "Проверьте обновление списков отзыва (registry trust refresh)."))
        if ca.get("listed") and ca.get("accredited") is False:
            found.append((f"accreditation:{ca.get('key_id')}:{ca.get('accreditation')}",
                          f"{ca['name']}: аккредитация не действует",
                          f"Удостоверяющий центр «{ca['name']}» в списке аккредитованных: "
                          f"{ca.get('accreditation')}. Входы по его сертификатам отклоняются."))
    for problem in report.get("problems", []):
        digest = hashlib.sha256(f"{problem.get('path')}\n{problem.get('error')}".encode()).hexdigest()[:32]
        found.append((f"load:{digest}", "Файл хранилища доверия не загружен",
                      f"Файл {problem.get('path')} не загружен: {problem.get('error')}."))
    return found


def notify_trust_problems(report: dict | None = None) -> int:
    """Notices to every operator about CRL and trust-list problems (each problem once)."""
    from ..notices.kinds import TRUST_PROBLEM
    from ..notices.services import notify
    from ..trust.status import trust_status

    problems = trust_problems(report if report is not None else trust_status())
    if not problems:
        return 0
    operators = list(db.session.scalars(select(User).where(
        User.is_operator.is_(True), User.blocked_at.is_(None))))
    sent = 0
    for key, subject, text in problems:
        for operator in operators:
            sent += notify(operator, TRUST_PROBLEM, key, subject, text, url="/operator/trust") is not None
    return sent
