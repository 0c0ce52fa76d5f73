"""A notice addressed to one person, kept once per (person, kind, key); the person's e-mail
address for notices (confirmed by a link) and the kinds they do not want by e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..extensions import UTCDateTime, db, utcnow


class Notice(db.Model):
    """What happened, for whom; ``key`` makes a producer's repeated run send it only once.

    ``email_state``: empty until the mail job looks at it; then ``sending`` (claimed by one
    worker), ``sent`` (``emailed_at`` says when), ``skipped`` (no confirmed address, opted out
    or mail not configured; ``email_error`` says which) or ``failed`` (gave up after retries).
    """

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("user_id", "kind", "key"),
                      Index("ix_notices_user_id_created_at", "user_id", "created_at"),
                      Index("ix_notices_email_state", "email_state", "id"))

    SENDING, SENT, SKIPPED, FAILED = "sending", "sent", "skipped", "failed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_state: Mapped[str | None] = mapped_column(String(20))
    email_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    email_error: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()


class NoticeAddress(db.Model):
    """The address notices go to, and whether its owner confirmed it by the link we sent.

    Confirmed only while ``email`` is still the person's profile address; the link's token is
    kept as its SHA-256, works once and expires at ``token_expires_at``.
    """

    __tablename__ = "notice_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NoticeOptOut(db.Model):
    """A kind of notice the person does not want by e-mail (still kept in the product)."""

    __tablename__ = "notice_opt_outs"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
