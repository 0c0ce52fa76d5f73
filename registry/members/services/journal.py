"""The organization journal: filtered, paged, exported; the sign-in entry."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from ...core import clock
from ...core.journal import OrganizationJournalEntry, record
from ...extensions import contains_word, db
from ...organizations.models import Organization
from .memberships import active_memberships


# -- the organization journal -------------------------------------------------------------------
def journal_query(organization: Organization, *, event: str | None = None, person: str | None = None,
                  date_from=None, date_to=None):
    """Journal entries of an organization, newest first, filtered (a select to paginate)."""
    from ...auth.models import User
    from ...refdata.services import normalize_search

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

    from ...auth.models import User

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
