"""The organization journal: every domain records its events with :func:`record`.

``subject`` is the person the event is about (the member whose roles changed); ``actor`` is who
did it (the administrator, the operator, or the member themselves). Writing flushes nothing:
the entry is part of the request's unit of work.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import g, has_request_context, session
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import UTCDateTime, db, utcnow
from . import signals

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
    # Evidence: the certificate the actor acted with and, when acting by a power of attorney
    # (МЧД), its number.
    cert_serial: Mapped[str | None] = mapped_column(String(80))
    cert_issuer: Mapped[str | None] = mapped_column(Text)
    mchd_number: Mapped[str | None] = mapped_column(String(100))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])


def _load(table: str, ident: int) -> Any:
    """The object of a mapped table by its id (the identity map first: usually no query)."""
    for mapper in db.Model.registry.mappers:  # type: ignore[attr-defined]
        if mapper.local_table.name == table:
            return db.session.get(mapper.class_, ident)
    return None


def _signed_in_certificate(actor_id: int | None) -> Any:
    """The certificate of this request's sign-in, when ``actor_id`` is the person signed in."""
    if actor_id is None or not has_request_context():
        return None
    cert = g.get("certificate")
    return cert if cert is not None and session.get("_user_id") == str(actor_id) else None


def record(organization: Any, event: str, *, actor: Any = None, subject: Any = None,
           details: str | None = None, remote_addr: str | None = None,
           certificate: Any = None) -> OrganizationJournalEntry:
    """Add an entry to the journal of ``organization`` (the object or its id).

    The evidence of who acted: the certificate (``certificate``, or the one the actor is
    signed in with) and the number of the МЧД the actor acts by there, if any.
    """
    organization_id = organization if isinstance(organization, int) else organization.id
    actor_id = getattr(actor, "id", actor)
    cert = certificate if certificate is not None else _signed_in_certificate(actor_id)
    mchd = None
    if cert is not None and actor_id is not None:
        person = actor if not isinstance(actor, int) else _load("users", actor_id)
        place = organization if not isinstance(organization, int) else _load("organizations", organization_id)
        mchd = next((n for n in signals.send(signals.acting_authority, user=person, organization=place) if n), None)
    entry = OrganizationJournalEntry(
        organization_id=organization_id, event=event, actor_id=actor_id,
        subject_id=getattr(subject, "id", subject), details=details, remote_addr=remote_addr,
        cert_serial=getattr(cert, "serial", None), cert_issuer=getattr(cert, "issuer", None),
        mchd_number=mchd)
    db.session.add(entry)
    return entry
