"""Sign-in by signature: a one-time challenge signed by the person's key (CAdES-BES, detached).

For browsers without client-certificate TLS. The server issues a challenge naming this site,
a random nonce and the time, and keeps it; the CryptoPro ЭЦП Browser plug-in signs its exact
bytes; the server decides from the signature alone: the challenge must be one it issued for
this site, unspent and fresh, the CMS signature must verify over it (``registry.pki.cms``),
the signer's certificate must pass ``registry.pki.validate`` for sign-in, and, when the page
names the certificate it offered, the signer must be that certificate. Services flush, never
commit.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

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


def issue_challenge(origin: str, lifetime: timedelta) -> SignInChallenge:
    """Create and keep a new one-time challenge for ``origin`` (e.g. https://registry.ru)."""
    now = utcnow().replace(microsecond=0)
    nonce = secrets.token_hex(32)
    challenge = SignInChallenge(nonce=nonce, origin=origin, created_at=now,
                                expires_at=now + lifetime,
                                text=challenge_text(origin, nonce, now))
    db.session.add(challenge)
    db.session.flush()
    return challenge


def purge_challenges(now: datetime | None = None) -> None:
    """Forget challenges that can no longer be used (expired an hour ago)."""
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


def _spend(nonce: str, now: datetime) -> SignInChallenge | str:
    """Take the challenge out of use (whatever the signature turns out to be) or say why not."""
    challenge = db.session.scalar(select(SignInChallenge).where(SignInChallenge.nonce == nonce))
    if challenge is None:
        return UNKNOWN_CHALLENGE
    # One UPDATE decides between two simultaneous posts of the same challenge.
    spent = db.session.execute(
        update(SignInChallenge)
        .where(SignInChallenge.id == challenge.id, SignInChallenge.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        return REPLAYED
    if challenge.expires_at < now:
        return EXPIRED_CHALLENGE
    return challenge


def verify_signed_challenge(*, nonce: str, signature_b64: str, offered_b64: str | None,
                            origin: str, checker: CertificateChecker,
                            now: datetime | None = None) -> SignatureVerdict:
    """Decide a sign-in by signature from what was posted; spends the challenge."""
    now = now or utcnow()
    spent = _spend(nonce, now)
    if isinstance(spent, str):
        return _refused(spent)
    challenge = spent
    if challenge.origin != origin:
        return _refused(OTHER_SITE)
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
