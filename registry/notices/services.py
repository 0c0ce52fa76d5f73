"""Notices: producing them (:func:`notify`, called by every domain; it never commits), the
person's list, e-mail preferences and the confirmation of the address notices go to.

E-mail goes out from background jobs (``registry.notices.tasks``): :func:`notify` queues the
delivery of a new notice for when the unit of work commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, g
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db, utcnow
from . import kinds
from .models import Notice, NoticeAddress, NoticeOptOut

PAGE_SIZE = 30
UNSUBSCRIBE_SALT = "registry.notices.unsubscribe"


class NoticeError(Exception):
    """A request about notices that cannot be done; the message is for people."""


def threshold_reached(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The smallest of ``thresholds`` (days before a date) that ``days_left`` has reached, or
    None when it is further off than all of them: a producer's key, so each is told once."""
    return min((t for t in thresholds if days_left <= t), default=None)


def notify(user: Any, kind: str, key: str, subject: str, body: str, *, url: str | None = None,
           organization: Any = None, email: bool = True) -> Notice | None:
    """Record a notice for ``user`` once per (kind, key); None when it was already recorded.

    The e-mail (to a confirmed address, unless the person opted out of ``kind``) is sent by a
    background job after the unit of work commits; ``email=False`` keeps it in the product only.
    """
    key = key[:200]
    existing = db.session.scalar(select(Notice.id).where(
        Notice.user_id == user.id, Notice.kind == kind, Notice.key == key))
    if existing is not None:
        return None
    notice = Notice(user_id=user.id, kind=kind, key=key, subject=subject[:300], body=body,
                    url=url, organization_id=organization.id if organization is not None else None,
                    email_state=None if email else Notice.SKIPPED,
                    email_error=None if email else "in-product only")
    try:
        with db.session.begin_nested():  # a concurrent producer may have recorded it just now
            db.session.add(notice)
    except IntegrityError:
        return None
    if email:
        from ..jobs import after_commit
        from .tasks import deliver_notice

        after_commit(deliver_notice, notice.id)
    return notice


# -- the person's list ----------------------------------------------------------------------------
@dataclass
class NoticePage:
    items: list[Notice]
    next_before: int | None  # the cursor of the next (older) page


def notices_page(user: Any, before: int | None = None, size: int = PAGE_SIZE) -> NoticePage:
    """The person's notices, newest first, ``size`` at a time older than notice ``before``."""
    stmt = select(Notice).where(Notice.user_id == user.id)
    if before is not None:
        stmt = stmt.where(Notice.id < before)
    rows = list(db.session.scalars(stmt.order_by(Notice.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return NoticePage(rows, rows[-1].id if more and rows else None)


UNREAD_SHOWN = 99  # the menu says «99+» beyond this


@dataclass(frozen=True)
class HeaderState:
    """What every signed-in page shows of the notices: the unread ones (bounded) and whether
    the person's profile address is confirmed."""

    unread: int
    confirmed_email: str | None


def unread_column(user_id: Any) -> Any:
    """The bell's number: unread notices of ``user_id``, counted up to the bound."""
    unread = select(Notice.id).where(Notice.user_id == user_id, Notice.read_at.is_(None)) \
        .correlate_except(Notice).limit(UNREAD_SHOWN + 1).subquery()
    return select(func.count()).select_from(unread).scalar_subquery()


def confirmed_column(user_id: Any) -> Any:
    """The banner's condition: the person's confirmed address, or NULL."""
    return select(NoticeAddress.email).where(
        NoticeAddress.user_id == user_id, NoticeAddress.confirmed_at.is_not(None)) \
        .limit(1).scalar_subquery()


# The bell and the banner in one statement, built once (SQLAlchemy keeps its cache key).
_HEADER = select(unread_column(bindparam("user_id")).label("unread"),
                 confirmed_column(bindparam("user_id")).label("email"))


def header_state(user: Any) -> HeaderState:
    """The bell and the address banner: one statement, kept for the request."""
    cached = g.get("notices_header")
    if cached is not None and cached[0] == user.id:
        return cached[1]
    count, email = db.session.execute(_HEADER, {"user_id": user.id}).one()
    state = HeaderState(int(count or 0), email if _same(email, user.email) else None)
    g.notices_header = (user.id, state)
    return state


def unread_count(user: Any) -> int:
    """Unread notices of the person, counted up to ``UNREAD_SHOWN + 1`` (a bounded read on
    every page, no COUNT over the whole history)."""
    return header_state(user).unread


def notice_or_none(user: Any, notice_id: int) -> Notice | None:
    """The person's own notice (another person's is None: it does not exist for them)."""
    return db.session.scalar(select(Notice).where(Notice.id == notice_id, Notice.user_id == user.id))


def mark_read(notice: Notice) -> None:
    if notice.read_at is None:
        notice.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: Any) -> int:
    result = db.session.execute(update(Notice).where(
        Notice.user_id == user.id, Notice.read_at.is_(None)).values(read_at=utcnow()))
    db.session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def safe_url(url: str | None) -> str | None:
    """A notice's link if it stays on this site (a path), else None."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None


# -- e-mail preferences ---------------------------------------------------------------------------
def opted_out(user: Any) -> set[str]:
    return set(db.session.scalars(select(NoticeOptOut.kind).where(NoticeOptOut.user_id == user.id)))


def wants_email(user_id: int, kind: str) -> bool:
    return db.session.scalar(select(NoticeOptOut.id).where(
        NoticeOptOut.user_id == user_id, NoticeOptOut.kind == kind)) is None


def set_email_kinds(user: Any, wanted: set[str]) -> None:
    """Save which kinds the person gets by e-mail (every offered kind not in ``wanted`` is off)."""
    offered = set(kinds.for_person(user))
    off = offered - set(wanted)
    db.session.execute(delete(NoticeOptOut).where(
        NoticeOptOut.user_id == user.id, NoticeOptOut.kind.in_(offered & set(wanted))))
    for kind in off - opted_out(user):
        db.session.add(NoticeOptOut(user_id=user.id, kind=kind))
    db.session.flush()


def opt_out(user_id: int, kind: str) -> None:
    if wants_email(user_id, kind):
        with db.session.begin_nested():
            db.session.add(NoticeOptOut(user_id=user_id, kind=kind))
        db.session.flush()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed token that opts ``user_id`` out of ``kind`` without signing in."""
    return str(_serializer().dumps([user_id, kind]))


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) of a genuine token, else None."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or not isinstance(value[1], str)):
        return None
    return value[0], value[1]


def unsubscribe(token: str) -> tuple[Any, str]:
    """Opt the token's person out of its kind; (the person, the kind's title)."""
    from ..auth.models import User

    found = read_unsubscribe_token(token)
    user = db.session.get(User, found[0]) if found else None
    if found is None or user is None:
        raise NoticeError("Ссылка для отписки повреждена или устарела. Настройте уведомления "
                          "в разделе «Мой профиль».")
    opt_out(user.id, found[1])
    return user, kinds.title(found[1])


# -- the confirmed address ------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def address_of(user: Any) -> NoticeAddress | None:
    return db.session.scalar(select(NoticeAddress).where(NoticeAddress.user_id == user.id))


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a.strip().lower() == b.strip().lower()  # type: ignore[union-attr]


def confirmed_email(user: Any) -> str | None:
    """The address notices may be sent to: the profile's address, once confirmed."""
    address = address_of(user)
    if address is None or address.confirmed_at is None or not _same(address.email, user.email):
        return None
    return address.email


@dataclass
class AddressState:
    email: str | None
    confirmed: bool
    sent_at: datetime | None
    error: str | None


def address_state(user: Any) -> AddressState:
    address = address_of(user)
    current = address if address is not None and _same(address.email, user.email) else None
    return AddressState(user.email, current is not None and current.confirmed_at is not None,
                        current.sent_at if current else None, current.send_error if current else None)


def email_changed(user: Any, changed: dict) -> None:
    """Profile hook: a new address starts unconfirmed and gets a confirmation link."""
    if "email" not in changed:
        return
    address = address_of(user)
    if not user.email:
        if address is not None:
            db.session.delete(address)
            db.session.flush()
        return
    if address is not None and _same(address.email, user.email) and address.confirmed_at is not None:
        return
    request_confirmation(user)


def request_confirmation(user: Any) -> NoticeAddress:
    """Reset the address to the profile's one (unconfirmed) and queue the confirmation letter."""
    if not user.email:
        raise NoticeError("Сначала укажите адрес электронной почты и сохраните профиль.")
    address = address_of(user)
    if address is None:
        address = NoticeAddress(user_id=user.id, email=user.email)
        db.session.add(address)
    address.email = user.email
    address.confirmed_at = None
    address.token_hash = address.token_expires_at = address.sent_at = address.send_error = None
    db.session.flush()
    from ..jobs import after_commit
    from .tasks import send_confirmation

    after_commit(send_confirmation, address.id)
    return address


def confirm_hours() -> int:
    return int(current_app.config["REGISTRY_EMAIL_CONFIRM_HOURS"])


def issue_confirmation_token(address: NoticeAddress, now: datetime | None = None) -> str:
    """A new one-time token for ``address`` (only its hash is kept); the previous stops working."""
    token = secrets.token_urlsafe(32)
    address.token_hash = _hash(token)
    address.token_expires_at = (now or utcnow()) + timedelta(hours=confirm_hours())
    db.session.flush()
    return token


def confirmation_or_error(token: str, now: datetime | None = None) -> NoticeAddress:
    """The address a confirmation token is for, while it is valid."""
    address = db.session.scalar(select(NoticeAddress).where(
        NoticeAddress.token_hash == _hash(token))) if token and len(token) <= 200 else None
    if address is None:
        raise NoticeError("Ссылка недействительна или уже использована. Если адрес ещё не "
                          "подтверждён, отправьте письмо ещё раз из раздела «Мой профиль».")
    if address.token_expires_at is None or address.token_expires_at <= (now or utcnow()):
        raise NoticeError("Срок действия ссылки истёк. Отправьте письмо ещё раз из раздела "
                          "«Мой профиль».")
    return address


def confirm(token: str, now: datetime | None = None) -> NoticeAddress:
    """Confirm the address of a valid token; the token works once."""
    address = confirmation_or_error(token, now)
    address.confirmed_at = now or utcnow()
    address.token_hash = address.token_expires_at = None
    db.session.flush()
    return address
