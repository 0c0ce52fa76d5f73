"""The notices' background jobs: one letter per notice, the confirmation letter, the sweep
that retries what is still unsent.

A notice is claimed before its letter goes out (``email_state`` from empty to ``sending``, an
UPDATE only one worker wins), the claim is committed, then the letter is sent: two workers
never send the same notice twice. A failed send puts the notice back for the next sweep, at
most ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from ..core import uow
from ..extensions import db, utcnow
from ..jobs import after_commit, job, minutes, periodic

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
SWEEP_BATCH = 200
SWEEP_MAX_AGE = timedelta(days=7)


def _claim(notice_id: int) -> bool:
    from .models import Notice

    result = db.session.execute(update(Notice).where(
        Notice.id == notice_id, Notice.email_state.is_(None)).values(
        email_state=Notice.SENDING, email_attempts=Notice.email_attempts + 1))
    return bool(getattr(result, "rowcount", 0))


@job(retries=0)
def deliver_notice(notice_id: int) -> None:
    """Send the letter of one notice, if its person gets this kind at a confirmed address."""
    from . import kinds, mail, services
    from .models import Notice

    if not mail.configured() or not _claim(notice_id):
        return
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        return
    db.session.refresh(notice)
    to = services.confirmed_email(notice.user)
    reason = ("no confirmed address" if to is None else
              "opted out" if not services.wants_email(notice.user_id, notice.kind) else None)
    if reason is not None:
        notice.email_state, notice.email_error = Notice.SKIPPED, reason
        return
    user = notice.user
    link = services.safe_url(notice.url)
    unsubscribe = mail.external_url("notices.unsubscribe",
                                    token=services.unsubscribe_token(user.id, notice.kind))
    text = mail.notice_text(user.given_names or user.full_name, notice.subject, notice.body,
                            mail.site_link(link) if link else None,
                            mail.external_url("notices.index"), unsubscribe, kinds.title(notice.kind))
    letter = mail.message(str(to), notice.subject, text, unsubscribe=unsubscribe)
    uow.on_commit(lambda: _send_claimed(notice_id, letter))


def _send_claimed(notice_id: int, letter) -> None:
    """After the claim is committed: send, then record how it went."""
    from . import mail
    from .models import Notice

    error = None
    try:
        mail.send(letter)
    except Exception as exc:  # the SMTP server's answer is kept for the operator
        log.warning("notice %s: the letter was not sent: %s", notice_id, exc)
        error = f"{type(exc).__name__}: {exc}"[:2000]
    with uow.transaction():
        notice = db.session.get(Notice, notice_id)
        if notice is None:
            return
        if error is None:
            notice.email_state, notice.emailed_at, notice.email_error = Notice.SENT, utcnow(), None
        else:
            notice.email_error = error
            notice.email_state = Notice.FAILED if notice.email_attempts >= MAX_ATTEMPTS else None


@job(retries=0)
def send_confirmation(address_id: int) -> None:
    """Send the link that confirms a person's address (a new one-time token)."""
    from . import mail, services
    from .models import NoticeAddress

    if not mail.configured():
        address = db.session.get(NoticeAddress, address_id)
        if address is not None:
            address.send_error = "Отправка почты в реестре не настроена."
        return
    claimed = db.session.execute(update(NoticeAddress).where(
        NoticeAddress.id == address_id, NoticeAddress.sent_at.is_(None),
        NoticeAddress.confirmed_at.is_(None)).values(sent_at=utcnow(), send_error=None))
    if not getattr(claimed, "rowcount", 0):
        return
    address = db.session.get(NoticeAddress, address_id)
    if address is None:
        return
    db.session.refresh(address)
    from ..auth.models import User

    user = db.session.get(User, address.user_id)
    token = services.issue_confirmation_token(address)
    text = mail.confirmation_text(user.given_names or user.full_name if user else "",
                                  mail.external_url("notices.confirm", token=token),
                                  services.confirm_hours())
    letter = mail.message(address.email, "Подтвердите адрес для уведомлений реестра", text)
    uow.on_commit(lambda: _send_confirmation_letter(address_id, letter))


def _send_confirmation_letter(address_id: int, letter) -> None:
    from . import mail
    from .models import NoticeAddress

    try:
        mail.send(letter)
    except Exception as exc:
        log.warning("address %s: the confirmation letter was not sent: %s", address_id, exc)
        with uow.transaction():
            address = db.session.get(NoticeAddress, address_id)
            if address is not None:
                address.send_error = "Письмо не отправлено: почтовый сервер недоступен. " \
                                     "Попробуйте отправить ещё раз позже."


@periodic("notice_mail", minutes("REGISTRY_NOTICE_MAIL_MINUTES"))
def notice_mail(app: Flask) -> None:
    """Queue the letters of recent notices not yet sent (new ones and failed attempts)."""
    from . import mail
    from .models import Notice

    if not mail.configured():
        return
    ids = db.session.scalars(select(Notice.id).where(
        Notice.email_state.is_(None), Notice.created_at >= utcnow() - SWEEP_MAX_AGE)
        .order_by(Notice.id).limit(SWEEP_BATCH))
    for notice_id in ids:
        after_commit(deliver_notice, notice_id)


def certificate_expiry_round(app: Flask) -> None:
    """Part of the daily expiry round (``registry.jobs.tasks.expiry_notices``)."""
    from .producers import certificate_expiry

    certificate_expiry()
