"""Organization documents, their detached signatures, and the application built from them.

Files live in the file store (:mod:`.storage`), addressed by opaque keys; rows keep the
metadata, the original (cleaned) name and the last signature verdict, so lists need no file
access and a re-check is an explicit action.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..core import clock
from ..extensions import UTCDateTime, db, utcnow
from ..organizations.models import Organization
from ..refdata.dictionaries import DOCUMENT_TYPES, title

application_documents = Table(
    "application_documents", db.metadata,
    Column("application_id", ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True),
    # RESTRICT: a document attached to an application is never deleted under it.
    Column("document_id", ForeignKey("documents.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class Document(db.Model):
    """One uploaded organization document («Документы организации»)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    doc_type: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(100))
    doc_date: Mapped[date] = mapped_column(Date)
    # None: open-ended («Бессрочно», a type of OPEN_ENDED_DOCUMENT_TYPES).
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The file itself.
    file_key: Mapped[str] = mapped_column(String(40), unique=True)
    file_name: Mapped[str] = mapped_column(String(200))
    file_size: Mapped[int] = mapped_column(BigInteger)
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_kind: Mapped[str] = mapped_column(String(10))
    media_type: Mapped[str] = mapped_column(String(100))
    # A detached CMS signature uploaded alongside (.sig/.p7s), if any.
    signature_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    signature_name: Mapped[str | None] = mapped_column(String(200))
    signature_size: Mapped[int | None] = mapped_column(BigInteger)
    # The last verdict: a list of SignatureCheck.to_dict() (empty: nothing to verify).
    checks: Mapped[list] = mapped_column(JSON, default=list)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
    applications: Mapped[list[Application]] = relationship(
        secondary=application_documents, back_populates="documents", order_by="Application.number")

    @property
    def type_title(self) -> str:
        return title(DOCUMENT_TYPES, self.doc_type) or self.doc_type

    @property
    def title(self) -> str:
        return f"{self.type_title} № {self.number} от {self.doc_date:%d.%m.%Y}"

    @property
    def expires_text(self) -> str:
        """«Действует до» as shown: the date, or «Бессрочно»."""
        return "Бессрочно" if self.expires_on is None else f"{self.expires_on:%d.%m.%Y}"

    def days_left(self, today: date | None = None) -> int | None:
        """Days until the document expires (None: it does not)."""
        if self.expires_on is None:
            return None
        return (self.expires_on - (today or clock.today())).days

    @property
    def signed(self) -> bool:
        return any(c.get("code") != "not_signed" for c in self.checks or [])

    @property
    def signature_state(self) -> str:
        """"none", "valid" or "invalid" — for the list's badge."""
        checks = [c for c in self.checks or [] if c.get("code") != "not_signed"]
        if not checks:
            return "none"
        if any(c.get("code") == "pending" for c in checks):
            return "pending"
        return "valid" if all(c.get("valid") for c in checks) else "invalid"


class Application(db.Model):
    """«Заявление о постановке на специальный учет»: a frozen PDF of the profile and documents.

    The PDF is rendered once, when the application is formed, and kept byte for byte: the
    head signs exactly those bytes and the signature is verified against them.
    """

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    DRAFT = "draft"
    SIGNED = "signed"
    SUBMITTED = "submitted"
    STATUS_TITLES = {DRAFT: "Черновик", SIGNED: "Подписано", SUBMITTED: "Подано"}

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    # The profile, ЕГРЮЛ data and attached documents' metadata the PDF was built from.
    data: Mapped[dict] = mapped_column(JSON)
    profile_version: Mapped[int] = mapped_column(Integer)
    pdf_key: Mapped[str] = mapped_column(String(40), unique=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int] = mapped_column(BigInteger)
    # The head's signature: a detached CMS over the PDF ("cms"), or the PDF signed ("pdf").
    signature_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    signature_kind: Mapped[str | None] = mapped_column(String(10))
    signature_name: Mapped[str | None] = mapped_column(String(200))
    check: Mapped[dict | None] = mapped_column(JSON)
    signer_name: Mapped[str | None] = mapped_column(String(300))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()
    documents: Mapped[list[Document]] = relationship(
        secondary=application_documents, back_populates="applications", order_by="Document.id")

    @property
    def status_title(self) -> str:
        return self.STATUS_TITLES.get(self.status, self.status)

    @property
    def title(self) -> str:
        return f"Заявление № {self.number} от {self.created_at:%d.%m.%Y}"
