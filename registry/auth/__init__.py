"""Certificate sign-in, sessions, the visit journal and «Мой профиль»."""

from __future__ import annotations

import logging

from flask import Flask, abort, redirect, session, url_for

from ..core import signals
from ..core.web import add_menu_item
from ..extensions import login_manager
from ..trust import EXTENSION_KEY as TRUST_KEY

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from . import services
    from .services import CertificateChecker
    from .views import CHECKER_KEY, bp, session_record

    app.extensions[CHECKER_KEY] = CertificateChecker(app.extensions[TRUST_KEY])

    # The session is bound to the certificate (see views.authenticate); Flask-Login's own
    # IP/User-Agent binding would only add false logouts behind proxies.
    login_manager.session_protection = None

    @login_manager.user_loader
    def load_user(user_id: str):
        # Only an open server-side session of this account signs anybody in, on any page
        # (public ones included): a cookie of an ended session is nobody's.
        record = session_record()
        if record is None or record.ended_at is not None or str(record.user_id) != user_id:
            return None
        user = services.session_user(int(user_id), record.cert_fingerprint)
        if user is None:
            # The account no longer holds the session's certificate: start over.
            log.warning("session of user %s does not match its certificate; ended", user_id)
            session.clear()
            abort(redirect(url_for("web.home")))
        if user.blocked_reason:
            # Blocked by the operator while signed in: the session ends at the next step.
            session.clear()
            abort(redirect(url_for("web.home")))
        return user

    app.register_blueprint(bp)
    # a sign-in accepted on a stale CRL within the grace period says so in the visit journal
    signals.receive(signals.signed_in, app, services.journal_grace_sign_in)
    add_menu_item(app, "Главная", "web.home", order=0)
    add_menu_item(app, "Мой профиль", "auth.profile", order=10)
    add_menu_item(app, "Журнал посещений", "auth.journal", order=20)
