"""The organization journal: every domain records its events with :func:`record`.

``subject`` is the person the event is about (the member whose roles changed); ``actor`` is who
did it (the administrator, the operator, or the member themselves). Writing flushes nothing:
the entry is part of the request's unit of work.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import UTCDateTime, db, utcnow

if TYPE_CHECKING:
    from ..auth.models import User


class OrganizationJournalEntry(db.Model):  # type: ignore[name-defined]
    """The organization journal: joins, role changes, profile edits, members' sign-ins, blocks.

    ``subject`` is the person the event is about (the member whose roles changed); ``actor``
    is who did it (the administrator, the operator, or the member themselves).
    """

    __tablename__ = "organization_journal"
    __table_args__ = (Index("ix_organization_journal_organization_id_created_at",
                            "organization_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    details: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])


def record(organization: Any, event: str, *, actor: Any = None, subject: Any = None,
           details: str | None = None, remote_addr: str | None = None) -> OrganizationJournalEntry:
    """Add an entry to the journal of ``organization`` (the object or its id)."""
    entry = OrganizationJournalEntry(
        organization_id=organization if isinstance(organization, int) else organization.id,
        event=event, actor_id=getattr(actor, "id", actor), subject_id=getattr(subject, "id", subject),
        details=details, remote_addr=remote_addr)
    db.session.add(entry)
    return entry
