"""People, the certificates they signed in with, and the visit journal."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import UTCDateTime, db, utcnow


class User(UserMixin, db.Model):
    """A person's account. Found by СНИЛС, then personal ИНН, then by a certificate they used."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    snils: Mapped[str | None] = mapped_column(String(11), unique=True)
    inn: Mapped[str | None] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(300))
    surname: Mapped[str | None] = mapped_column(String(150))
    given_names: Mapped[str | None] = mapped_column(String(150))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    position: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Granted from the command line only (`registry operator grant`), never from the web.
    is_operator: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set by the registry operator: the person cannot sign in and is told why.
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    certificates: Mapped[list[UserCertificate]] = relationship(
        back_populates="user", order_by="UserCertificate.last_used_at.desc()")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.full_name!r}>"


class StoredCertificate:
    """Columns of a certificate kept in the database (people's and information systems')."""

    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    serial: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(Text)
    algorithm: Mapped[str] = mapped_column(String(100))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    pem: Mapped[str] = mapped_column(Text)


class UserCertificate(StoredCertificate, db.Model):
    """A certificate a person has signed in with (renewals add rows to the same account)."""

    __tablename__ = "user_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="certificates")


class VisitJournalEntry(db.Model):
    """One sign-in, refused attempt or sign-out («журнал посещений»).

    ``user_id`` is empty for a refused certificate that belongs to no account yet; the account
    key of such a certificate is kept so the entry joins the person's journal once they have an
    account.
    """

    __tablename__ = "visit_journal"
    __table_args__ = (
        Index("ix_visit_journal_user_id_created_at", "user_id", "created_at"),
        Index("ix_visit_journal_account_key", "key_kind", "key_value"),
    )

    EVENT_SIGN_IN = "sign_in"
    EVENT_REFUSED = "refused"
    EVENT_SIGN_OUT = "sign_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(20))
    # "ok" for a sign-in, the registry.pki reason code for a refusal, the reason of a sign-out.
    result: Mapped[str] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    cert_serial: Mapped[str | None] = mapped_column(String(80))
    cert_issuer: Mapped[str | None] = mapped_column(Text)
    cert_subject: Mapped[str | None] = mapped_column(Text)
    cert_fingerprint: Mapped[str | None] = mapped_column(String(64))
    key_kind: Mapped[str | None] = mapped_column(String(10))
    key_value: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User | None] = relationship()


class AuthSession(db.Model):
    """A signed-in session, kept on the server and bound to one certificate.

    The browser's cookie carries only a random token whose SHA-256 is ``token_hash``; «Выход»,
    the idle timeout, the absolute lifetime and a certificate change set ``ended_at``, after
    which the same cookie opens nothing.
    """

    __tablename__ = "auth_sessions"

    METHOD_TLS = "tls"
    METHOD_SIGNATURE = "signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cert_fingerprint: Mapped[str] = mapped_column(String(64))
    # How the session was opened: "tls" (client certificate) or "signature" (signed challenge).
    method: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "sign_out", "idle", "lifetime", "changed", "refused", "blocked"
    end_reason: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship()


class SignInChallenge(db.Model):
    """A spent challenge of sign-in by signature: written when a signature over it is posted
    (issuing one writes nothing, see ``auth.signature``), removed once it could no longer be
    used anyway."""

    __tablename__ = "sign_in_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    origin: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
