"""A machine-readable power of attorney (МЧД) accepted for a member of an organization."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..extensions import UTCDateTime, db, utcnow
from ..organizations.models import Organization


class MchdStatus(str, enum.Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    REPLACED = "replaced"
    TERMINATED = "terminated"  # the principal is liquidated (ГК РФ, ст. 188)

    @property
    def title(self) -> str:
        return {"active": "Действует", "expired": "Срок истёк", "revoked": "Отозвана",
                "replaced": "Заменена новой", "terminated": "Прекращена"}[self.value]


class PowerOfAttorneyRecord(db.Model):  # type: ignore[name-defined]
    """An МЧД that passed every check: the employee acts by it in the organization.

    ``granted_roles`` are the roles it gave (taken away again when it expires or is revoked);
    ``checks`` is what each check said when it was accepted.
    """

    __tablename__ = "powers_of_attorney"
    __table_args__ = (UniqueConstraint("organization_id", "user_id", "number"),
                      Index("ix_powers_of_attorney_status_valid_until", "status", "valid_until"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"),
                                                 index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(36))
    format: Mapped[str] = mapped_column(String(3))
    file_name: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(10), default="upload")  # upload | registry
    principal_inn: Mapped[str] = mapped_column(String(12))
    principal_ogrn: Mapped[str] = mapped_column(String(15))
    principal_name: Mapped[str] = mapped_column(Text)
    representative: Mapped[dict] = mapped_column(JSON)
    signer: Mapped[dict] = mapped_column(JSON)
    powers: Mapped[list] = mapped_column(JSON, default=list)
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    redelegation: Mapped[str] = mapped_column(String(1))
    parent_number: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(10), default=MchdStatus.ACTIVE.value)
    status_reason: Mapped[str | None] = mapped_column(Text)
    granted_roles: Mapped[list] = mapped_column(JSON, default=list)
    checks: Mapped[list] = mapped_column(JSON, default=list)
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    signing_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    organization: Mapped[Organization] = relationship()

    @property
    def mchd_status(self) -> MchdStatus:
        return MchdStatus(self.status)

    @property
    def is_active(self) -> bool:
        return self.status == MchdStatus.ACTIVE.value

    @property
    def redelegation_title(self) -> str:
        from .model import REDELEGATION_TITLES

        return REDELEGATION_TITLES.get(self.redelegation, "—")

    @property
    def text_only(self) -> bool:
        return all(not p.get("code") for p in self.powers or [])

    @property
    def time_proven(self) -> bool:
        """Whether a signature time-stamp proved the signing time (the check said so)."""
        return any(c.get("name") == "time" and c.get("ok") and not c.get("warning") for c in self.checks or [])


class PowerRoleRule(db.Model):  # type: ignore[name-defined]
    """Which organization roles a machine-readable power (``КодПолн`` of the ФНС classifier of
    powers) gives: data the registry's operator keeps on «Полномочия МЧД и роли»."""

    __tablename__ = "mchd_power_roles"

    code: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()
