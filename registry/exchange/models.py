"""Information-exchange profiles: an information system of the organization (or of one of its
ТОП) and the certificates it presents to the JSON API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import StoredCertificate, User
from ..extensions import UTCDateTime, db, utcnow
from ..organizations.models import Organization


class ExchangeProfile(db.Model):
    """«Профиль информационного обмена»."""

    __tablename__ = "exchange_profiles"
    __table_args__ = (UniqueConstraint("organization_id", "system_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    # The ТОП the system works for: the id of an item of the profile's "branches"; None: the
    # organization itself.
    branch_id: Mapped[str | None] = mapped_column(String(20))
    system_name: Mapped[str] = mapped_column(String(300))
    system_code: Mapped[str] = mapped_column(String(50))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()
    certificates: Mapped[list[ExchangeCertificate]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="ExchangeCertificate.id")


class ExchangeCertificate(StoredCertificate, db.Model):
    """A certificate an exchange profile's system authenticates with (one profile per certificate)."""

    __tablename__ = "exchange_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("exchange_profiles.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    profile: Mapped[ExchangeProfile] = relationship(back_populates="certificates")
