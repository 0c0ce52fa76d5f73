"""The operator's review of a submitted application, the decisions, and the special register."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..documents.models import Application
from ..extensions import UTCDateTime, db, utcnow
from ..organizations.models import Organization


class Review(db.Model):
    """The operator's handling of one organization's application «о постановке на учет».

    ``application`` is the latest submitted version: an organization asked for information
    answers by re-signing a new application, which takes the old one's place here.
    """

    __tablename__ = "register_reviews"
    __table_args__ = (
        UniqueConstraint("application_id", name="uq_register_reviews_application_id"),
        Index("ix_register_reviews_status_submitted_at", "status", "submitted_at"),
    )

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    INFO_REQUESTED = "info_requested"
    INFO_PROVIDED = "info_provided"
    REGISTERED = "registered"
    REFUSED = "refused"
    STATUS_TITLES = {
        SUBMITTED: "Подано",
        ACCEPTED: "Принято к рассмотрению",
        INFO_REQUESTED: "Запрошены сведения",
        INFO_PROVIDED: "Сведения представлены",
        REGISTERED: "Поставлено на специальный учет",
        REFUSED: "Отказано",
    }
    OPEN = (SUBMITTED, ACCEPTED, INFO_REQUESTED, INFO_PROVIDED)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=SUBMITTED)
    # Raised by every transition; a transition updates only the version it read.
    version: Mapped[int] = mapped_column(Integer, default=1)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_info: Mapped[str | None] = mapped_column(Text)
    refusal_code: Mapped[str | None] = mapped_column(String(30))
    refusal_text: Mapped[str | None] = mapped_column(Text)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    application: Mapped[Application] = relationship()
    operator: Mapped[User | None] = relationship()

    @property
    def status_title(self) -> str:
        return self.STATUS_TITLES.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class RecordSequence(db.Model):
    """A counter of numbers (record or decision, per year): a number given is never reused."""

    __tablename__ = "register_sequences"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class SpecialRecord(db.Model):
    """An organization's entry on the special register («специальный учет»)."""

    __tablename__ = "register_records"
    __table_args__ = (
        UniqueConstraint("number", name="uq_register_records_number"),
        Index("ix_register_records_organization_id_status", "organization_id", "status"),
        Index("ix_register_records_status_registered_on", "status", "registered_on"),
    )

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REMOVED = "removed"
    STATUS_TITLES = {ACTIVE: "Состоит на учете", SUSPENDED: "Учет приостановлен", REMOVED: "Снята с учета"}

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("register_reviews.id", ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(String(40))
    registered_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the ЕГРЮЛ watch saw a new head or a liquidation: the operator should look.
    egrul_flag: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    egrul_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()

    @property
    def status_title(self) -> str:
        return self.STATUS_TITLES.get(self.status, self.status)


class Decision(db.Model):
    """The operator's signed decision (registration or refusal): a PDF and its detached CMS."""

    __tablename__ = "register_decisions"
    __table_args__ = (UniqueConstraint("number", name="uq_register_decisions_number"),)

    REGISTER = "register"
    REFUSE = "refuse"
    KIND_TITLES = {REGISTER: "Решение о постановке на специальный учет", REFUSE: "Решение об отказе"}

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("register_reviews.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(40))
    decided_on: Mapped[date] = mapped_column(Date)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    operator: Mapped[User | None] = relationship()

    @property
    def title(self) -> str:
        return f"{self.KIND_TITLES.get(self.kind, 'Решение')} № {self.number} от {self.decided_on:%d.%m.%Y}"
