"""Certificate sign-in, session rules, the visit journal and «Мой профиль».

Every certificate decision is made by ``registry.trust.decision.decide``; this module decides
what it means for accounts and sessions. Services flush, never commit: the request that calls them commits.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context
from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import contains_eager

from ..core import signals
from ..extensions import db, utcnow
from ..pki import MalformedCertificate, QualifiedCertificate, ValidationResult, load_certificate
from ..text import plural_days
from ..trust import TrustStoreHolder
from ..trust.decision import decide
from .models import AuthSession, User, UserCertificate, VisitJournalEntry

USER_AGENT_MAX = 400


class CertificateChecker:
    """Validates sign-in certificates; remembers parsed certificates by their raw value.

    A signed-in browser presents the same certificate on every request. Parsing it once and
    keying the parse by a hash of the raw value leaves ``registry.pki``'s own result cache
    (keyed by fingerprint and trust store) to make the rest of the check cheap; validity,
    revocation and CRL freshness stay entirely pki's decision.
    """

    def __init__(self, holder: TrustStoreHolder, maxsize: int = 4096):
        self.holder = holder
        self.maxsize = maxsize
        self._parsed: OrderedDict[bytes, QualifiedCertificate] = OrderedDict()
        self._lock = threading.Lock()

    def _parse(self, raw: str) -> QualifiedCertificate | None:
        key = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).digest()
        with self._lock:
            cert = self._parsed.get(key)
            if cert is not None:
                self._parsed.move_to_end(key)
                return cert
        try:
            cert = load_certificate(raw)
        except MalformedCertificate:
            return None
        with self._lock:
            self._parsed[key] = cert
            while len(self._parsed) > self.maxsize:
                self._parsed.popitem(last=False)
        return cert

    def check(self, raw: str) -> ValidationResult:
        """Validate ``raw`` for sign-in (purpose "login") against the current trust store."""
        cert = self._parse(raw)
        # An unreadable value goes to decide() as is, which explains it as "malformed".
        # registry.trust adds the configured revocation method and the CA accreditation check.
        return decide(raw if cert is None else cert, trust_store=self.holder.get(),
                              purpose="login")


# --- sessions -------------------------------------------------------------------------------

SESSION_TOKEN = "sid"            # the random token naming the server-side session record
SESSION_FINGERPRINT = "cert_fp"
SESSION_ENDED = "ended"          # why the last session ended: "sign_out", "idle", "lifetime"
SESSION_ENDED_FP = "ended_fp"    # ... and for which certificate
SESSION_REFUSED = "refused"      # last refusal recorded in the journal, to record it once

# How stale the stored "last seen" time may get before it is rewritten; saves a database write
# on most requests at the cost of this much imprecision in the idle timeout.
SEEN_AT_RESOLUTION = 60


@dataclass(frozen=True)
class SessionCheck:
    """Verdict on a signed-in session for the certificate presented with this request."""

    state: str          # "none", "ended", "ok", "changed", "idle", "lifetime"
    touch: bool = False  # whether the "last seen" time should be rewritten


CHECKER_KEY = "registry.auth.checker"


def checker() -> CertificateChecker:
    """The application's certificate checker (installed by ``auth.init_app``)."""
    return current_app.extensions[CHECKER_KEY]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


SESSION_RECORD = "auth_session"  # where this request's session record is kept in g (views)
_HOLDS = "auth_session_holds_certificate"  # whether its account still holds its certificate

# Built once: SQLAlchemy keeps its cache key. The session with its account, and whether the
# account still holds the session's certificate (what session_user checks).
_SESSION = (
    select(AuthSession, UserCertificate.id)
    .join(AuthSession.user)
    .outerjoin(UserCertificate, and_(UserCertificate.user_id == AuthSession.user_id,
                                     UserCertificate.fingerprint == AuthSession.cert_fingerprint))
    .options(contains_eager(AuthSession.user))
    .where(AuthSession.token_hash == bindparam("token_hash")))


def find_session(token: object) -> AuthSession | None:
    """The server-side session a cookie's token names (ended or not) with its account, or None:
    one statement."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    row = db.session.execute(_SESSION, {"token_hash": _token_hash(token)}).first()
    if row is None:
        return None
    record, held = row
    if has_request_context():
        g.setdefault(_HOLDS, {})[record.id] = held is not None
    return record


def open_session(user: User, fingerprint: str, method: str = AuthSession.METHOD_TLS) -> str:
    """Record a new session of ``user`` bound to the certificate; returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(AuthSession(token_hash=_token_hash(token), user=user,
                               cert_fingerprint=fingerprint, method=method, created_at=now,
                               last_seen_at=now))
    db.session.flush()
    return token


def end_session(record: AuthSession | None, reason: str) -> None:
    """End a session on the server: its cookie opens nothing from now on."""
    if record is not None and record.ended_at is None:
        record.ended_at, record.end_reason = utcnow(), reason
        db.session.flush()


def end_user_sessions(user_id: int, reason: str) -> None:
    """End every open session of a person (e.g. when the operator blocks them)."""
    db.session.execute(
        update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
        .execution_options(synchronize_session=False))


def check_session(record: AuthSession | None, user_id: object, fingerprint: str, *,
                  idle: timedelta, lifetime: timedelta,
                  now: datetime | None = None) -> SessionCheck:
    """Decide whether a session is still good for the presented certificate.

    ``record`` is the server-side session the cookie names, ``user_id`` the account the cookie
    says; the record alone decides (an ended record is "ended" whatever the cookie holds).
    """
    if record is None or user_id is None or str(record.user_id) != str(user_id):
        return SessionCheck("none")
    if record.ended_at is not None:
        return SessionCheck("ended")
    if record.cert_fingerprint != fingerprint:
        return SessionCheck("changed")
    now = utcnow() if now is None else now
    if now - record.created_at > lifetime:
        return SessionCheck("lifetime")
    if now - record.last_seen_at > idle:
        return SessionCheck("idle")
    return SessionCheck("ok", touch=(now - record.last_seen_at).total_seconds()
                        >= SEEN_AT_RESOLUTION)


def session_certificate_pem(record: AuthSession) -> str | None:
    """The certificate a session was opened with, as stored among the person's certificates."""
    return db.session.scalar(select(UserCertificate.pem).where(
        UserCertificate.fingerprint == record.cert_fingerprint,
        UserCertificate.user_id == record.user_id))


_TOUCHING: dict[int, float] = {}
_TOUCHING_LOCK = threading.Lock()


def claim_touch(session_id: int) -> bool:
    """Whether this request rewrites the session's last activity: one of a session's parallel
    requests in this process does, the others do not queue for the database's write lock (on
    SQLite one at a time) to write the same minute again."""
    now = time.monotonic()
    with _TOUCHING_LOCK:
        last = _TOUCHING.get(session_id)
        if last is not None and now - last < SEEN_AT_RESOLUTION / 2:
            return False
        if len(_TOUCHING) >= 10_000:  # bounded: sessions touched in the last half minute
            _TOUCHING.clear()
        _TOUCHING[session_id] = now
    return True


def touch_session(record: AuthSession, now: datetime | None = None) -> None:
    """Rewrite the session's last activity (every SEEN_AT_RESOLUTION seconds at most)."""
    record.last_seen_at = utcnow() if now is None else now
    db.session.flush()


# --- accounts -------------------------------------------------------------------------------

def identifiers(cert: QualifiedCertificate) -> tuple[str | None, str | None]:
    """СНИЛС and personal ИНН of a certificate, each only if its checksum is right."""
    snils = cert.snils if "СНИЛС" not in cert.checksum_errors else None
    inn = cert.personal_inn if "ИНН" not in cert.checksum_errors else None
    return snils, inn


def find_account(cert: QualifiedCertificate) -> User | None:
    """The account a certificate signs in to: by СНИЛС, then personal ИНН, then the certificate.

    A renewed certificate carries the same СНИЛС/ИНН and so reaches the same account.
    """
    snils, inn = identifiers(cert)
    if snils:
        user = db.session.scalar(select(User).where(User.snils == snils))
        if user is not None:
            return user
    if inn:
        # Two different СНИЛС under one ИНН means bad data, not one person: do not merge.
        user = db.session.scalar(select(User).where(User.inn == inn))
        if user is not None and (user.snils is None or snils is None):
            return user
    return db.session.scalar(
        select(User).join(UserCertificate).where(UserCertificate.fingerprint == cert.fingerprint))


def session_user(user_id: int, fingerprint: str | None) -> User | None:
    """The signed-in account, provided the session's certificate is one of its certificates."""
    if not fingerprint:
        return None
    record = g.get(SESSION_RECORD) if has_request_context() else None
    if record is not None and record.user_id == user_id and record.cert_fingerprint == fingerprint \
            and record.id in g.get(_HOLDS, {}):  # looked up with the session (find_session)
        return record.user if g.get(_HOLDS)[record.id] else None
    return db.session.scalar(
        select(User).join(UserCertificate)
        .where(User.id == user_id, UserCertificate.fingerprint == fingerprint))


def _claim_identifiers(user: User, cert: QualifiedCertificate) -> None:
    # Record СНИЛС/ИНН the account lacks, unless another account already holds them.
    for attr, value in zip(("snils", "inn"), identifiers(cert), strict=True):
        if value and getattr(user, attr) is None:
            taken = db.session.scalar(select(User.id).where(getattr(User, attr) == value))
            if taken is None:
                setattr(user, attr, value)


def _journal(event: str, result: str, *, user: User | None, cert: QualifiedCertificate | None,
             remote_addr: str | None, user_agent: str | None,
             message: str | None = None) -> VisitJournalEntry:
    entry = VisitJournalEntry(event=event, result=result, user=user, message=message,
                              remote_addr=remote_addr,
                              user_agent=(user_agent or "")[:USER_AGENT_MAX] or None)
    if cert is not None:
        entry.cert_serial = cert.serial
        entry.cert_issuer = cert.issuer
        entry.cert_subject = cert.subject
        entry.cert_fingerprint = cert.fingerprint
        entry.key_kind, entry.key_value = cert.account_key()
    db.session.add(entry)
    return entry


def sign_in(cert: QualifiedCertificate, *, remote_addr: str | None,
            user_agent: str | None) -> User:
    """Sign a person in with a certificate ``registry.pki`` has accepted.

    Creates the account on the first visit, refreshes the name from the certificate, records
    the certificate among the person's certificates and writes the journal entry.
    """
    now = utcnow()
    user = find_account(cert)
    if user is None:
        user = User(full_name=cert.full_name or cert.common_name or cert.subject)
        db.session.add(user)
    _claim_identifiers(user, cert)
    user.full_name = cert.full_name or cert.common_name or user.full_name
    user.surname = cert.surname or user.surname
    user.given_names = cert.given_names or user.given_names
    user.last_login_at = now

    stored = db.session.scalar(
        select(UserCertificate).where(UserCertificate.fingerprint == cert.fingerprint))
    if stored is None:
        stored = UserCertificate(
            fingerprint=cert.fingerprint, serial=cert.serial, subject=cert.subject,
            issuer=cert.issuer, algorithm=cert.algorithm, not_before=cert.not_before,
            not_after=cert.not_after, pem=cert.pem, first_used_at=now)
        db.session.add(stored)
    stored.user = user
    stored.last_used_at = now

    _journal(VisitJournalEntry.EVENT_SIGN_IN, "ok", user=user, cert=cert,
             remote_addr=remote_addr, user_agent=user_agent)
    db.session.flush()
    _attach_orphan_entries(user)
    return user


def _attach_orphan_entries(user: User) -> None:
    # Refused attempts made before the account existed (or before it had these identifiers)
    # belong to the person's journal.
    keys = [and_(VisitJournalEntry.key_kind == "cert",
                 VisitJournalEntry.key_value.in_(
                     select(UserCertificate.fingerprint).where(UserCertificate.user_id == user.id)))]
    if user.snils:
        keys.append(and_(VisitJournalEntry.key_kind == "snils",
                         VisitJournalEntry.key_value == user.snils))
    if user.inn:
        keys.append(and_(VisitJournalEntry.key_kind == "inn",
                         VisitJournalEntry.key_value == user.inn))
    db.session.execute(
        update(VisitJournalEntry)
        .where(VisitJournalEntry.user_id.is_(None), or_(*keys))
        .values(user_id=user.id)
        .execution_options(synchronize_session=False))


def record_refusal(result: ValidationResult, *, remote_addr: str | None,
                   user_agent: str | None) -> VisitJournalEntry:
    """Journal a refused certificate, in the holder's journal when they have an account."""
    cert = result.certificate
    user = find_account(cert) if cert is not None else None
    entry = _journal(VisitJournalEntry.EVENT_REFUSED, result.code, user=user, cert=cert,
                     remote_addr=remote_addr, user_agent=user_agent, message=result.message)
    db.session.flush()
    return entry


def record_signature_refusal(code: str, message: str, cert: QualifiedCertificate | None, *,
                             remote_addr: str | None,
                             user_agent: str | None) -> VisitJournalEntry:
    """Journal a refused sign-in by signature (bad, replayed or stale challenge signature)."""
    user = find_account(cert) if cert is not None else None
    entry = _journal(VisitJournalEntry.EVENT_REFUSED, code, user=user, cert=cert,
                     remote_addr=remote_addr, user_agent=user_agent, message=message)
    db.session.flush()
    return entry


BLOCKED = "blocked"


def record_blocked(user: User, cert: QualifiedCertificate, *, remote_addr: str | None,
                   user_agent: str | None) -> VisitJournalEntry:
    """Journal a sign-in attempt of a person the registry operator has blocked."""
    entry = _journal(VisitJournalEntry.EVENT_REFUSED, BLOCKED, user=user, cert=cert,
                     remote_addr=remote_addr, user_agent=user_agent,
                     message=f"Учётная запись заблокирована: {user.blocked_reason}")
    db.session.flush()
    return entry


def record_sign_out(user: User, fingerprint: str | None, reason: str, *,
                    remote_addr: str | None, user_agent: str | None) -> VisitJournalEntry:
    """Journal the end of a session: "sign_out" (Выход), "idle", "lifetime" or "changed".

    ``fingerprint`` names the certificate the session was opened with.
    """
    entry = _journal(VisitJournalEntry.EVENT_SIGN_OUT, reason, user=user, cert=None,
                     remote_addr=remote_addr, user_agent=user_agent)
    stored = db.session.scalar(
        select(UserCertificate).where(UserCertificate.fingerprint == fingerprint)
    ) if fingerprint else None
    if stored is not None:
        entry.cert_serial, entry.cert_issuer = stored.serial, stored.issuer
        entry.cert_subject, entry.cert_fingerprint = stored.subject, stored.fingerprint
    db.session.flush()
    return entry


def journal_query(user_ids):
    """Journal entries of the given accounts, newest first (a select to paginate)."""
    return (select(VisitJournalEntry)
            .where(VisitJournalEntry.user_id.in_(list(user_ids)))
            .order_by(VisitJournalEntry.created_at.desc(), VisitJournalEntry.id.desc()))


# --- profile --------------------------------------------------------------------------------

PROFILE_FIELDS = ("email", "phone", "position", "department")


def update_profile(user: User, **values: str | None) -> User:
    """Save «Мой профиль» fields (already validated by the form); empty values clear them."""
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"not profile fields: {', '.join(sorted(unknown))}")
    changed = {}
    for name, value in values.items():
        new = (value or "").strip() or None
        if getattr(user, name) != new:
            changed[name] = getattr(user, name)
        setattr(user, name, new)
    db.session.flush()
    if changed:
        signals.send(signals.profile_saved, user=user, changed=changed)
    return user


EXPIRY_WARNING_DAYS = 30


def expiry_warning(cert: QualifiedCertificate, now: datetime | None = None) -> str | None:
    """A Russian warning when the certificate expires within 30 days, else None."""
    days = cert.days_left(now)
    if days > EXPIRY_WARNING_DAYS:
        return None
    if days <= 0:
        return "Срок действия сертификата истекает сегодня. Получите новый сертификат в удостоверяющем центре."
    return (f"Срок действия сертификата истекает через {days} {plural_days(days)} "
            f"({cert.not_after:%d.%m.%Y}). Заранее получите новый сертификат в удостоверяющем "
            "центре: вход с ним попадёт в эту же учётную запись.")


def journal_grace_sign_in(user, remote_addr) -> None:
    """Sign-in hook: a sign-in accepted on a grace CRL says so in the visit journal."""
    from flask import g

    from ..trust.decision import grace_message

    marked = g.get("trust_crl_grace")
    if not marked:
        return
    fingerprint, detail = marked
    db.session.flush()
    entry = db.session.scalars(
        select(VisitJournalEntry)
        .where(
            VisitJournalEntry.user_id == user.id,
            VisitJournalEntry.event == VisitJournalEntry.EVENT_SIGN_IN,
            VisitJournalEntry.cert_fingerprint == fingerprint,
        )
        .order_by(VisitJournalEntry.id.desc())
        .limit(1)
    ).first()
    if entry is not None and not entry.message:
        entry.message = grace_message(detail)
