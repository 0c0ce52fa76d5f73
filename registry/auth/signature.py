"""Sign-in by signature: a one-time challenge signed by the person's key (CAdES-BES, detached).

For browsers without client-certificate TLS. The server issues a challenge naming this site,
a random nonce and the time; it keeps nothing: the nonce carries the time and a MAC (keyed by
``SECRET_KEY``) over the site, the random part and the time, so an anonymous page view writes
no row. The CryptoPro ЭЦП Browser plug-in signs the challenge's exact bytes; the server decides
from the signature alone: the challenge must be one it issued for this site (the MAC), fresh
and unspent (a spent nonce is recorded only when a signature is posted, and forgotten once it
could no longer be used), the CMS signature must verify over it (``registry.pki.cms``),
the signer's certificate must pass ``registry.pki.validate`` for sign-in, and, when the page
names the certificate it offered, the signer must be that certificate. Services flush, never
commit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db, utcnow
from ..pki import QualifiedCertificate, ValidationResult, cms, load_certificate
from ..pki.certificate import MalformedCertificate
from .models import SignInChallenge
from .services import CertificateChecker

CHALLENGE_TITLE = "Вход в реестр организаций по электронной подписи"

# Refusals of the signature protocol itself (before or beside the certificate's own check).
UNKNOWN_CHALLENGE = "challenge_unknown"
REPLAYED = "challenge_replayed"
EXPIRED_CHALLENGE = "challenge_expired"
OTHER_SITE = "challenge_other_site"
BAD_SIGNATURE = "signature_invalid"
OTHER_SIGNER = "signer_not_offered"

MESSAGES = {
    UNKNOWN_CHALLENGE: "Запрос на вход не найден. Обновите страницу входа и подпишите новый "
                       "запрос.",
    REPLAYED: "Этот запрос на вход уже использован. Обновите страницу входа и подпишите новый "
              "запрос.",
    EXPIRED_CHALLENGE: "Время на подписание запроса истекло. Обновите страницу входа и подпишите "
                       "запрос снова.",
    OTHER_SITE: "Запрос на вход выдан для другого адреса сайта. Откройте страницу входа по "
                "адресу реестра и подпишите запрос снова.",
    BAD_SIGNATURE: "Подпись не сходится с запросом на вход: она повреждена, сделана над другим "
                   "текстом или не является подписью CAdES-BES.",
    OTHER_SIGNER: "Запрос подписан не тем сертификатом, который был выбран на странице входа.",
}
TITLES = {
    UNKNOWN_CHALLENGE: "Запрос на вход не найден",
    REPLAYED: "Запрос на вход уже использован",
    EXPIRED_CHALLENGE: "Время на подписание истекло",
    OTHER_SITE: "Запрос выдан для другого сайта",
    BAD_SIGNATURE: "Подпись не принята",
    OTHER_SIGNER: "Подписан другим сертификатом",
}


def challenge_text(origin: str, nonce: str, issued: datetime) -> str:
    """The exact text the person signs: what it is for, this site, the nonce and the time."""
    return (f"{CHALLENGE_TITLE}\n"
            f"Сайт: {origin}\n"
            f"Одноразовый код: {nonce}\n"
            f"Время (UTC): {issued.strftime('%Y-%m-%dT%H:%M:%SZ')}\n")


@dataclass(frozen=True)
class Challenge:
    """A challenge as the page shows it: its nonce and the exact text to sign."""

    nonce: str
    origin: str
    issued_at: datetime
    expires_at: datetime

    @property
    def text(self) -> str:
        return challenge_text(self.origin, self.nonce, self.issued_at)


# nonce = 24 hex random, 8 hex issue time (Unix seconds), 32 hex MAC: 64 lowercase hex digits.
_NONCE = re.compile(r"[0-9a-f]{64}")


def _mac(key: bytes, origin: str, random_part: str, issued_hex: str) -> str:
    message = f"registry sign-in challenge\n{origin}\n{random_part}\n{issued_hex}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def issue_challenge(origin: str, lifetime: timedelta, key: bytes,
                    now: datetime | None = None) -> Challenge:
    """A new one-time challenge for ``origin`` (e.g. https://registry.ru); nothing is stored."""
    issued = (now or utcnow()).replace(microsecond=0)
    random_part = secrets.token_hex(12)
    issued_hex = f"{int(issued.timestamp()):08x}"
    nonce = random_part + issued_hex + _mac(key, origin, random_part, issued_hex)
    return Challenge(nonce, origin, issued, issued + lifetime)


def _issued(nonce: str, origin: str, lifetime: timedelta, key: bytes) -> Challenge | None:
    """The challenge this server issued for ``origin`` with this nonce, or None (forged,
    mangled, or issued for another site)."""
    if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
        return None
    random_part, issued_hex, mac = nonce[:24], nonce[24:32], nonce[32:]
    if not hmac.compare_digest(mac, _mac(key, origin, random_part, issued_hex)):
        return None
    issued = datetime.fromtimestamp(int(issued_hex, 16), timezone.utc)
    return Challenge(nonce, origin, issued, issued + lifetime)


def purge_challenges(now: datetime | None = None) -> None:
    """Forget spent nonces that could no longer be used anyway (expired an hour ago)."""
    now = now or utcnow()
    db.session.execute(
        SignInChallenge.__table__.delete().where(
            SignInChallenge.expires_at < now - timedelta(hours=1)))


@dataclass
class SignatureVerdict:
    """The outcome of a posted signature: ``code`` is "ok", a protocol code or a pki code."""

    code: str
    message: str
    title: str
    certificate: QualifiedCertificate | None = None
    validation: ValidationResult | None = None

    @property
    def valid(self) -> bool:
        return self.code == "ok"


def _refused(code: str, cert: QualifiedCertificate | None = None) -> SignatureVerdict:
    return SignatureVerdict(code, MESSAGES[code], TITLES[code], cert)


def _decode_base64(value: str) -> bytes | None:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _spend(challenge: Challenge, now: datetime) -> bool:
    """Record the nonce as spent (whatever the signature turns out to be); False when it
    already was. One INSERT decides between two simultaneous posts of the same challenge."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    spent = db.session.execute(
        insert(SignInChallenge).values(
            nonce=challenge.nonce, origin=challenge.origin, text=challenge.text,
            created_at=challenge.issued_at, expires_at=challenge.expires_at, used_at=now)
        .on_conflict_do_nothing(index_elements=["nonce"])
        .returning(SignInChallenge.id))
    return spent.first() is not None


def verify_signed_challenge(*, nonce: str, signature_b64: str, offered_b64: str | None,
                            origin: str, key: bytes, lifetime: timedelta,
                            checker: CertificateChecker,
                            now: datetime | None = None) -> SignatureVerdict:
    """Decide a sign-in by signature from what was posted; spends the challenge."""
    now = now or utcnow()
    purge_challenges(now)
    challenge = _issued(nonce, origin, lifetime, key)
    if challenge is None or challenge.issued_at > now + timedelta(minutes=1):
        return _refused(UNKNOWN_CHALLENGE)
    if challenge.expires_at < now:
        return _refused(EXPIRED_CHALLENGE)
    if not _spend(challenge, now):
        return _refused(REPLAYED)
    signature = _decode_base64(signature_b64)
    if signature is None:
        return _refused(BAD_SIGNATURE)
    check = cms.check_detached(signature, challenge.text.encode("utf-8"))
    if not check.intact or check.signer is None:
        return _refused(BAD_SIGNATURE, check.signer)
    signer = check.signer
    if offered_b64:
        offered_der = _decode_base64(offered_b64)
        try:
            offered = load_certificate(offered_der) if offered_der else None
        except MalformedCertificate:
            offered = None
        if offered is None or offered.fingerprint != signer.fingerprint:
            return _refused(OTHER_SIGNER, signer)
    result = checker.check(signer.pem)
    if not result.valid:
        return SignatureVerdict(result.code, result.message, result.title, signer, result)
    return SignatureVerdict("ok", "", "", result.certificate or signer, result)
