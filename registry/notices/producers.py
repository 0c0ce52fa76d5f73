"""Notices about the person's own account: their sign-in certificate is about to expire.

(The ``auth`` layer sits below the domains, so the round that reads its certificates lives
here.) Days are counted where people are (``REGISTRY_TIMEZONE``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased, joinedload

from ..auth.models import User, UserCertificate
from ..core import clock
from ..extensions import db
from ..text import in_days
from . import kinds
from .services import notify, threshold_reached

THRESHOLDS = (30, 14, 7, 1)


def threshold(days_left: int) -> int | None:
    """The certificate threshold the days left have reached (None: not yet, or already past)."""
    return None if days_left < min(THRESHOLDS) else threshold_reached(days_left, THRESHOLDS)


def local_date(value: datetime) -> date:
    return clock.local(value).date()


def certificate_expiry(today: date | None = None) -> int:
    """Tell people whose newest certificate expires in 30, 14, 7 or 1 days (each once)."""
    today = today or clock.today()
    tz = clock.zone()
    upto = datetime.combine(today + timedelta(days=max(THRESHOLDS) + 1), time.min, tzinfo=tz)
    start = datetime.combine(today + timedelta(days=min(THRESHOLDS)), time.min, tzinfo=tz)
    newer = aliased(UserCertificate)
    rows = db.session.scalars(
        select(UserCertificate).options(joinedload(UserCertificate.user))
        .join(User, User.id == UserCertificate.user_id)
        .where(UserCertificate.not_after >= start, UserCertificate.not_after < upto,
               User.blocked_at.is_(None),
               ~exists().where(and_(newer.user_id == UserCertificate.user_id,
                                    newer.not_after > UserCertificate.not_after))))
    sent = 0
    for cert in rows:
        expires = local_date(cert.not_after)
        left = (expires - today).days
        reached = threshold(left)
        if reached is None:
            continue
        when = in_days(left)
        notice = notify(
            cert.user, kinds.CERT_EXPIRY, f"{cert.fingerprint}:{reached}",
            f"Срок действия вашего сертификата истекает {when}",
            f"Сертификат № {cert.serial} ({cert.issuer}) действует по {expires:%d.%m.%Y}. "
            "Заранее получите новый сертификат в удостоверяющем центре: вход с ним попадёт в эту "
            "же учётную запись.", url="/profile")
        sent += notice is not None
    return sent
