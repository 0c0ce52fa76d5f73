"""A member's position and e-mail address as others see them: the profile's, else those of the
certificate the person last signed in with (what «Мой профиль» shows them prefilled with)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..auth.models import User, UserCertificate
from ..extensions import db
from ..pki.certificate import load_certificate


@dataclass(frozen=True)
class Contact:
    position: str | None
    email: str | None
    position_from_certificate: bool = False
    email_from_certificate: bool = False


def contacts(users: list[User]) -> dict[int, Contact]:
    """The contact of each person, by account id; one statement, and only when a profile lacks
    its position or e-mail address."""
    lacking = [u.id for u in users if not (u.position and u.email)]
    titles: dict[int, tuple[str | None, str | None]] = {}
    if lacking:
        rows = db.session.execute(
            select(UserCertificate.user_id, UserCertificate.pem)
            .where(UserCertificate.user_id.in_(lacking))
            .order_by(UserCertificate.user_id, UserCertificate.last_used_at.desc(), UserCertificate.id.desc()))
        for user_id, pem in rows:
            if user_id in titles:
                continue  # an older certificate of the same person
            try:
                cert = load_certificate(pem)
            except ValueError:
                continue
            titles[user_id] = (cert.title, cert.email)
    found = {}
    for user in users:
        title, email = titles.get(user.id, (None, None))
        found[user.id] = Contact(position=user.position or title, email=user.email or email,
                                 position_from_certificate=not user.position and bool(title),
                                 email_from_certificate=not user.email and bool(email))
    return found
