"""The review of submitted applications, the special-register records and the register.

Every transition is an operator's, guarded by the review's version (a conditional UPDATE:
of two operators deciding one application one wins, the other is told), journaled in the
organization's journal and told to the organization's administrators.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..core import clock, journal
from ..documents.models import Application
from ..extensions import contains_word, db, utcnow
from ..organizations.models import Organization
from ..refdata.services import normalize_search
from .models import Decision, RecordSequence, Review, SpecialRecord

log = logging.getLogger(__name__)

DEFAULT_NUMBER_FORMAT = "СУ-{year}-{seq:06d}"
DECISION_NUMBER_FORMAT = "Р-{year}-{seq:06d}"
STALE = "Заявление уже изменено другим оператором: обновите страницу и посмотрите его состояние."

# The grounds for a refusal (the operator adds an explanation in free text).
REFUSAL_REASONS = {
    "incomplete": "Представлены не все необходимые документы или сведения",
    "unreliable": "Представленные сведения недостоверны",
    "not_answered": "Запрошенные сведения не представлены",
    "not_dmdk": "Деятельность организации не подлежит специальному учету",
    "liquidated": "Организация ликвидирована или находится в процессе ликвидации",
    "other": "Иное основание",
}

# What an operator may do from each state: action -> (allowed from, resulting state).
TRANSITIONS = {
    "accept": ((Review.SUBMITTED,), Review.ACCEPTED),
    "request_info": ((Review.ACCEPTED, Review.INFO_PROVIDED), Review.INFO_REQUESTED),
    "register": ((Review.ACCEPTED, Review.INFO_PROVIDED), Review.REGISTERED),
    "refuse": ((Review.ACCEPTED, Review.INFO_REQUESTED, Review.INFO_PROVIDED), Review.REFUSED),
}
ACTION_TITLES = {"accept": "принять к рассмотрению", "request_info": "запросить сведения",
                 "register": "поставить на специальный учет", "refuse": "отказать"}


class RegisterError(Exception):
    """A refused action, with the message people see."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _require_operator(actor) -> None:
    if actor is None or not getattr(actor, "is_operator", False) or getattr(actor, "blocked_reason", None):
        raise RegisterError("Решения по заявлениям принимает только оператор реестра.")


# -- submissions --------------------------------------------------------------------------------
def on_application_submitted(application: Application, actor) -> Review:
    """A submitted application enters the operator's queue; one submitted while information is
    asked for is the organization's answer (the review moves to «Сведения представлены»)."""
    review = open_review(application.organization_id)
    if review is None:
        review = Review(organization_id=application.organization_id, application_id=application.id,
                        status=Review.SUBMITTED, version=1, submitted_at=application.submitted_at or utcnow())
        db.session.add(review)
        db.session.flush()
        _journal(review, actor, f"{application.title} поступило оператору реестра")
        return review
    answered = review.status == Review.INFO_REQUESTED
    review.application_id = application.id
    review.submitted_at = application.submitted_at or utcnow()
    review.version += 1
    review.updated_at = utcnow()
    if answered:
        review.status = Review.INFO_PROVIDED
    db.session.flush()
    _journal(review, actor, f"{application.title} заменило ранее поданное заявление"
             + ("; запрошенные сведения представлены" if answered else ""))
    if answered:
        _notify_operators(review)
    return review


def open_review(organization_id: int) -> Review | None:
    return db.session.scalar(select(Review).where(
        Review.organization_id == organization_id, Review.status.in_(Review.OPEN))
        .order_by(Review.id.desc()).limit(1))


# -- transitions --------------------------------------------------------------------------------
def transition(review: Review, action: str, *, actor, version: int, requested_info: str | None = None,
               refusal_code: str | None = None, refusal_text: str | None = None,
               remote_addr: str | None = None) -> Review:
    """Apply the operator's ``action`` to ``review`` as read at ``version``."""
    _require_operator(actor)
    if action not in TRANSITIONS:
        raise RegisterError("Неизвестное действие.")
    allowed, target = TRANSITIONS[action]
    if review.version != version:
        raise RegisterError(STALE)
    if review.status not in allowed:
        raise RegisterError(f"Нельзя {ACTION_TITLES[action]}: заявление в состоянии "
                            f"«{review.status_title}».")
    values: dict = {"status": target, "version": version + 1, "operator_id": actor.id, "updated_at": utcnow()}
    details = Review.STATUS_TITLES[target]
    if action == "request_info":
        text = (requested_info or "").strip()
        if not text:
            raise RegisterError("Укажите, каких сведений или документов не хватает.")
        values["requested_info"] = text
        details += f": {text}"
    if action == "refuse":
        if refusal_code not in REFUSAL_REASONS:
            raise RegisterError("Выберите основание отказа из списка.")
        text = (refusal_text or "").strip()
        if not text:
            raise RegisterError("Поясните основание отказа.")
        values.update(refusal_code=refusal_code, refusal_text=text)
        details += f": {REFUSAL_REASONS[refusal_code]}. {text}"
    record = None
    if action == "register":
        current = active_record(review.organization_id)
        if current is not None:
            raise RegisterError(f"Организация уже состоит на специальном учете (№ {current.number}).")
    done = db.session.execute(update(Review).where(Review.id == review.id, Review.version == version)
                              .values(**values).execution_options(synchronize_session=False))
    if cast(CursorResult, done).rowcount != 1:
        raise RegisterError(STALE)
    db.session.refresh(review)
    if action == "register":
        record = _create_record(review)
        details += f", запись № {record.number}"
    if action in ("register", "refuse"):
        from .decision import make_decision
        decision = make_decision(review, record, actor)
        details += f"; {decision.title}"
    _journal(review, actor, f"{review.application.title}: {details}", remote_addr)
    _notify_organization(review, record)
    return review


def _journal(review: Review, actor, details: str, remote_addr: str | None = None) -> None:
    journal.record(review.organization_id, "register", actor=actor, details=details, remote_addr=remote_addr)


def next_number(name: str, fmt: str, year: int | None = None) -> str:
    """The next number of the counter ``name`` for ``year`` (an UPDATE holds the row until the
    unit of work ends: concurrent requests get distinct numbers; a rolled back one is skipped)."""
    year = year or clock.today().year
    for _attempt in range(2):
        seq = db.session.execute(
            update(RecordSequence).where(RecordSequence.name == name, RecordSequence.year == year)
            .values(last=RecordSequence.last + 1).returning(RecordSequence.last)
            .execution_options(synchronize_session=False)).scalar()
        if seq is not None:
            return fmt.format(year=year, seq=seq)
        try:
            with db.session.begin_nested():
                db.session.execute(insert(RecordSequence).values(name=name, year=year, last=0))
        except IntegrityError:
            pass  # created by a concurrent request: update it
    raise RegisterError("Не удалось выдать номер: повторите действие.")


def number_format() -> str:
    return current_app.config.get("REGISTRY_RECORD_NUMBER_FORMAT") or DEFAULT_NUMBER_FORMAT


def _create_record(review: Review) -> SpecialRecord:
    record = SpecialRecord(organization_id=review.organization_id, review_id=review.id,
                           number=next_number("record", number_format()), registered_on=clock.today(),
                           status=SpecialRecord.ACTIVE, status_changed_at=utcnow())
    db.session.add(record)
    db.session.flush()
    return record


# -- notices ------------------------------------------------------------------------------------
REGISTER_STATUS = "register_status"


def _administrators(organization_id: int) -> list:
    from ..members.models import Membership, MemberStatus, Role

    members = db.session.scalars(select(Membership).where(
        Membership.organization_id == organization_id, Membership.status == MemberStatus.ACTIVE.value))
    return [m.user for m in members if Role.ADMIN.value in (m.roles or [])]


def _notify_organization(review: Review, record: SpecialRecord | None) -> None:
    from ..notices.services import notify

    title = review.application.title
    body = f"Оператор реестра рассмотрел «{title}»: {review.status_title}."
    if review.status == Review.INFO_REQUESTED:
        body += (f"\nНе хватает: {review.requested_info}\nДополните профиль или документы, сформируйте, "
                 "подпишите и подайте заявление заново.")
    if review.status == Review.REFUSED:
        body += f"\nОснование: {REFUSAL_REASONS.get(review.refusal_code or '', '')}. {review.refusal_text}"
    if record is not None:
        body += f"\nНомер записи специального учета: {record.number} от {record.registered_on:%d.%m.%Y}."
    for person in _administrators(review.organization_id):
        notify(person, REGISTER_STATUS, f"review:{review.id}:{review.version}",
               f"{title}: {review.status_title.lower()}", body,
               url=f"/organizations/{review.organization_id}/special-record",
               organization=review.organization)


def _notify_operators(review: Review) -> None:
    from ..auth.models import User
    from ..notices.services import notify

    for person in db.session.scalars(select(User).where(User.is_operator.is_(True),
                                                        User.blocked_reason.is_(None))):
        notify(person, REGISTER_STATUS, f"review:{review.id}:{review.version}",
               f"Сведения представлены: {review.organization.full_name}",
               f"Организация представила запрошенные сведения: {review.application.title}.",
               url=f"/operator/applications/{review.id}", email=False)


# -- records ------------------------------------------------------------------------------------
def active_record(organization_id: int) -> SpecialRecord | None:
    """The organization's record that is not removed (active or suspended), if any."""
    return db.session.scalar(select(SpecialRecord).where(
        SpecialRecord.organization_id == organization_id,
        SpecialRecord.status != SpecialRecord.REMOVED).order_by(SpecialRecord.id.desc()).limit(1))


def records_of(organization_id: int) -> list[SpecialRecord]:
    return list(db.session.scalars(select(SpecialRecord).where(
        SpecialRecord.organization_id == organization_id).order_by(SpecialRecord.id.desc())))


RECORD_ACTIONS = {
    "suspend": ((SpecialRecord.ACTIVE,), SpecialRecord.SUSPENDED, "приостановить учет"),
    "resume": ((SpecialRecord.SUSPENDED,), SpecialRecord.ACTIVE, "возобновить учет"),
    "remove": ((SpecialRecord.ACTIVE, SpecialRecord.SUSPENDED), SpecialRecord.REMOVED, "снять с учета"),
}


def change_record(record: SpecialRecord, action: str, *, actor, reason: str | None,
                  remote_addr: str | None = None) -> SpecialRecord:
    """Suspend, resume or remove a record (a reason is required); its number stays taken."""
    _require_operator(actor)
    if action not in RECORD_ACTIONS:
        raise RegisterError("Неизвестное действие.")
    allowed, target, title = RECORD_ACTIONS[action]
    if record.status not in allowed:
        raise RegisterError(f"Нельзя {title}: запись № {record.number} — «{record.status_title}».")
    text = (reason or "").strip()
    if not text:
        raise RegisterError("Укажите основание.")
    record.status, record.status_reason, record.status_changed_at = target, text, utcnow()
    if action != "suspend":
        record.egrul_flag = False
    db.session.flush()
    journal.record(record.organization_id, "register", actor=actor, remote_addr=remote_addr,
                   details=f"Запись специального учета № {record.number}: {record.status_title.lower()}. "
                           f"Основание: {text}")
    from ..notices.services import notify
    for person in _administrators(record.organization_id):
        notify(person, REGISTER_STATUS, f"record:{record.id}:{target}:{record.status_changed_at:%Y%m%d%H%M%S}",
               f"Специальный учет: {record.status_title.lower()}",
               f"Запись специального учета № {record.number}: {record.status_title}. Основание: {text}.",
               url=f"/organizations/{record.organization_id}/special-record", organization=record.organization)
    return record


def clear_flag(record: SpecialRecord, *, actor) -> None:
    _require_operator(actor)
    record.egrul_flag = False
    db.session.flush()
    journal.record(record.organization_id, "register", actor=actor,
                   details=f"Запись № {record.number}: отметка об изменениях ЕГРЮЛ рассмотрена ({record.egrul_note})")


def flag_from_egrul(changes: list) -> int:
    """Flag the records of organizations whose head changed or which were liquidated
    (``changes``: the EgrulChange rows the watch has just recorded)."""
    from ..organizations.models import EgrulChange

    wanted = {c.organization_id: c for c in changes
              if c.kind in (EgrulChange.KIND_HEAD, EgrulChange.KIND_LIQUIDATED)}
    if not wanted:
        return 0
    flagged = 0
    for record in db.session.scalars(select(SpecialRecord).where(
            SpecialRecord.organization_id.in_(list(wanted)), SpecialRecord.status != SpecialRecord.REMOVED)):
        change = wanted[record.organization_id]
        what = "смена руководителя" if change.kind == EgrulChange.KIND_HEAD else "ликвидация"
        record.egrul_flag = True
        record.egrul_note = f"ЕГРЮЛ: {what} — {change.summary}"[:2000]
        flagged += 1
    db.session.flush()
    return flagged


# -- queue ----------------------------------------------------------------------------------------
PAGE = 25
MAX_PAGE = 100_000  # beyond any register: a page number past it is a mistake, not an offset


@dataclass
class QueuePage:
    reviews: list[Review]
    after: str | None   # the next page's keyset (None: the last page)


def queue(status: str | None = None, since: date | None = None, until: date | None = None,
          after: str | None = None) -> QueuePage:
    """The operator's queue, newest submission first, a page at a time after the keyset
    ``after`` (a previous page's last review: its submission time and id; no offset). A
    malformed ``after`` starts from the top."""
    from sqlalchemy.orm import joinedload

    query = select(Review).options(joinedload(Review.organization), joinedload(Review.application))
    if status == "open":
        query = query.where(Review.status.in_(Review.OPEN))
    elif status:
        query = query.where(Review.status == status)
    start, end = clock.day_bounds(since, until)
    if start is not None:
        query = query.where(Review.submitted_at >= start)
    if end is not None:
        query = query.where(Review.submitted_at < end)
    moment, _, ident = (after or "").rpartition("_")
    try:
        at = datetime.fromisoformat(moment) if ident.isdigit() and len(ident) < 19 else None
    except ValueError:
        at = None
    if at is not None:
        query = query.where(or_(Review.submitted_at < at, and_(Review.submitted_at == at, Review.id < int(ident))))
    found = list(db.session.scalars(query.order_by(Review.submitted_at.desc(), Review.id.desc())
                                    .limit(PAGE + 1)).unique())
    last = found[PAGE - 1] if len(found) > PAGE else None
    return QueuePage(found[:PAGE], f"{last.submitted_at.isoformat()}_{last.id}" if last else None)


def decisions_of(review_id: int) -> list[Decision]:
    return list(db.session.scalars(select(Decision).where(Decision.review_id == review_id).order_by(Decision.id)))


def organization_decisions(organization_id: int) -> list[Decision]:
    return list(db.session.scalars(select(Decision).where(
        Decision.organization_id == organization_id).order_by(Decision.id.desc())))


def reviews_of(organization_id: int) -> list[Review]:
    return list(db.session.scalars(select(Review).where(
        Review.organization_id == organization_id).order_by(Review.id.desc())))


def flagged_records(page: int = 1, status: str | None = None) -> tuple[list[SpecialRecord], bool]:
    from sqlalchemy.orm import joinedload

    query = select(SpecialRecord).options(joinedload(SpecialRecord.organization))
    if status == "flagged":
        query = query.where(SpecialRecord.egrul_flag.is_(True))
    elif status:
        query = query.where(SpecialRecord.status == status)
    page = min(max(page, 1), MAX_PAGE)
    found = list(db.session.scalars(query.order_by(SpecialRecord.egrul_flag.desc(), SpecialRecord.id.desc())
                                    .offset((page - 1) * PAGE).limit(PAGE + 1)))
    return found[:PAGE], len(found) > PAGE


# -- the register -------------------------------------------------------------------------------
def register_query(q: str | None = None):
    """The register's rows (number, date, ИНН, ОГРН, name, status), newest first."""
    query = (select(SpecialRecord.id, SpecialRecord.number, SpecialRecord.registered_on, Organization.inn,
                    Organization.ogrn, Organization.full_name, SpecialRecord.status)
             .join(Organization, Organization.id == SpecialRecord.organization_id))
    text = (q or "").replace("\x00", "").strip()[:200]
    if text:
        number = text.replace(" ", "")
        if number.isdigit():  # an ИНН or ОГРН (a record number has its prefix)
            query = query.where(or_(Organization.inn == number, Organization.ogrn == number))
        else:
            words = [or_(contains_word(Organization.full_name, w), contains_word(Organization.short_name, w))
                     for w in normalize_search(text).split()[:5]]
            by_number = SpecialRecord.number.contains(text.upper(), autoescape=True)
            query = query.where(or_(by_number, and_(*words)) if words else by_number)
    return query.order_by(SpecialRecord.registered_on.desc(), SpecialRecord.id.desc())


def register_page(q: str | None = None, after: str | None = None, per_page: int = 50) -> tuple[list, str | None]:
    """A page of the register after the keyset ``after`` (a previous page's last row, see
    :func:`keyset`): rows and the next page's keyset (None: the last page). Raises ValueError
    for a malformed ``after``. No offset: the ten-thousandth page costs what the first does."""
    query = register_query(q)
    if after:
        on, ident = parse_keyset(after)
        query = query.where(or_(SpecialRecord.registered_on < on,
                                and_(SpecialRecord.registered_on == on, SpecialRecord.id < ident)))
    rows = list(db.session.execute(query.limit(per_page + 1)))
    return rows[:per_page], keyset(rows[per_page - 1]) if len(rows) > per_page else None


def keyset(row) -> str:
    """Where the register's next page starts: after this row (its date and id)."""
    return f"{row.registered_on.isoformat()}.{row.id}"


def parse_keyset(text: str) -> tuple[date, int]:
    on, _, ident = text.partition(".")
    if not ident.isdigit() or len(ident) > 18:
        raise ValueError(text)
    return date.fromisoformat(on), int(ident)


def register_row(row) -> dict:
    return {"number": row.number, "date": row.registered_on.isoformat(), "inn": row.inn, "ogrn": row.ogrn,
            "name": row.full_name, "status": row.status,
            "status_title": SpecialRecord.STATUS_TITLES.get(row.status, row.status)}
