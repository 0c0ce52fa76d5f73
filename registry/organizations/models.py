"""An organization's registered profile, the drafts that build or edit it, and its versions.

The profile is kept as one JSON document with a section per wizard step (``general``,
``okved``, ``head``, ``premises``, ``branches``, ``beneficiaries``): a draft is a copy of it
being edited, a version is a frozen copy, and comparing two copies gives the history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..extensions import UTCDateTime, db, utcnow


class Organization(db.Model):
    __tablename__ = "organizations"

    STATUS_REGISTERED = "registered"
    STATUS_BLOCKED = "blocked"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(2))  # "ul" or "ip"
    ogrn: Mapped[str] = mapped_column(String(15), unique=True)
    inn: Mapped[str | None] = mapped_column(String(12), index=True)
    kpp: Mapped[str | None] = mapped_column(String(9))
    full_name: Mapped[str] = mapped_column(Text)
    short_name: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=STATUS_REGISTERED)
    egrul_confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict] = mapped_column(JSON)
    party: Mapped[dict | None] = mapped_column(JSON)  # the ЕГРЮЛ/ЕГРИП data it was built from
    version: Mapped[int] = mapped_column(Integer, default=1)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set by the registry operator: nobody acts in a blocked organization, and members are told why.
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an ЕГРЮЛ extract shows the organization ended: it is read-only from then on.
    liquidated_reason: Mapped[str | None] = mapped_column(Text)
    liquidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registered_by: Mapped[User | None] = relationship()
    versions: Mapped[list[OrganizationVersion]] = relationship(
        back_populates="organization", order_by="OrganizationVersion.number.desc()",
        cascade="all, delete-orphan")

    @property
    def name(self) -> str:
        return self.short_name or self.full_name

    @property
    def status_title(self) -> str:
        title = {"registered": "Зарегистрирована", "blocked": "Заблокирована"}.get(self.status, self.status)
        if self.is_liquidated:  # what ЕГРЮЛ says comes first: the registration no longer matters
            return "Ликвидирована по ЕГРЮЛ" + (", заблокирована" if self.is_blocked else "")
        return title

    @property
    def is_blocked(self) -> bool:
        return self.status == self.STATUS_BLOCKED

    @property
    def is_liquidated(self) -> bool:
        return self.liquidated_at is not None

    def branch(self, branch_id: str | None) -> dict | None:
        """A ТОП of the current profile by its id."""
        return next((b for b in (self.data or {}).get("branches") or [] if b.get("id") == branch_id), None)


class OrganizationDraft(db.Model):
    """Wizard progress of one person: a new registration (no organization) or an edit."""

    __tablename__ = "organization_drafts"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(20), default="search")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    party: Mapped[dict | None] = mapped_column(JSON)
    # Version of the organization the edit started from: saving over a newer one is refused.
    base_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization | None] = relationship()


class OrganizationVersion(db.Model):
    __tablename__ = "organization_versions"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    changes: Mapped[list] = mapped_column(JSON, default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()


class EgrulChange(db.Model):
    """A change a newer ЕГРЮЛ extract shows for a registered organization: the head
    (``СведДолжнФЛ``), the status (reorganization, liquidation under way) or its end.

    A head change stays open until the new head signs in and confirms it; meanwhile the
    previous head's administrator role is suspended (``suspended_user_id``).
    """

    __tablename__ = "egrul_changes"
    __table_args__ = (Index("ix_egrul_changes_organization_id_status", "organization_id", "status"),)

    KIND_HEAD = "head"
    KIND_STATUS = "status"
    KIND_LIQUIDATED = "liquidated"
    OPEN = "open"
    CLOSED = "closed"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    old: Mapped[dict | None] = mapped_column(JSON)
    new: Mapped[dict | None] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)  # old → new, as people read it
    extract_date: Mapped[date | None] = mapped_column(Date)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The new head's personal ИНН (head changes): who may confirm.
    new_head_inn: Mapped[str | None] = mapped_column(String(12), index=True)
    suspended_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    suspended_roles: Mapped[list | None] = mapped_column(JSON)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organization: Mapped[Organization] = relationship()
    suspended_user: Mapped[User | None] = relationship(foreign_keys=[suspended_user_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == self.OPEN
