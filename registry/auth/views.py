"""Certificate sign-in on every request, «Мой профиль», «Журнал посещений», «Выход»."""

from __future__ import annotations

import hashlib
import time

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from flask_login import current_user, login_user, logout_user

from ..config import session_timeouts
from ..core import uow
from ..extensions import db
from ..pki import reason_title
from ..web import is_public_endpoint, public
from ..web.proxy import CERT_ENVIRON_KEY
from . import services
from .forms import ProfileForm, SignInForm, SignOutForm
from .services import (SESSION_ENDED, SESSION_ENDED_FP, SESSION_FINGERPRINT, SESSION_LOGIN_AT,
                       SESSION_REFUSED, SESSION_SEEN_AT)

bp = Blueprint("auth", __name__, template_folder="templates")

CHECKER_KEY = "registry.auth.checker"

ENDED_REASONS = {
    "sign_out": "Вы вышли из реестра.",
    "idle": "Сеанс завершён: вы не работали в реестре {idle} мин.",
    "lifetime": "Сеанс завершён: истёк максимальный срок сеанса ({lifetime} ч).",
}


def checker() -> services.CertificateChecker:
    return current_app.extensions[CHECKER_KEY]


def _client():
    return {"remote_addr": request.remote_addr,
            "user_agent": request.user_agent.string or None}


def _end_session(ended: str | None = None, fingerprint: str | None = None) -> None:
    logout_user()
    session.clear()
    if ended:
        session[SESSION_ENDED] = ended
        session[SESSION_ENDED_FP] = fingerprint


def _start_session(user, fingerprint: str) -> None:
    session.clear()  # nothing from before the sign-in survives it
    login_user(user)
    now = time.time()
    session[SESSION_FINGERPRINT] = fingerprint
    session[SESSION_LOGIN_AT] = now
    session[SESSION_SEEN_AT] = now


@bp.before_app_request
def authenticate():
    """Sign the person in from their client certificate, or answer with a page saying why not.

    Runs before every non-public page. The session is bound to the certificate fingerprint:
    another certificate ends it, so does idleness or the absolute lifetime.
    """
    if is_public_endpoint(current_app, request.endpoint):
        return None
    raw = request.environ.get(CERT_ENVIRON_KEY)
    if not raw:
        if SESSION_FINGERPRINT in session:
            _end_session()
        return render_template("auth/no_certificate.html"), 403

    result = checker().check(raw)
    if not result.valid:
        return _refuse(raw, result)

    cert = result.certificate
    idle, lifetime = session_timeouts(current_app.config)
    verdict = services.check_session(session, cert.fingerprint, idle=idle, lifetime=lifetime)
    if verdict.state == "ok":
        # The account itself is loaded only by pages that use it (current_user).
        if verdict.touch:
            session[SESSION_SEEN_AT] = time.time()
        g.certificate = cert
        return None

    if verdict.state in ("idle", "lifetime"):
        services.record_sign_out(current_user._get_current_object(), cert.fingerprint,
                                 verdict.state, **_client())
        _end_session(verdict.state, cert.fingerprint)
        return redirect(url_for("auth.session_ended"))

    changed = verdict.state == "changed"
    if changed:
        services.record_sign_out(current_user._get_current_object(),
                                 session[SESSION_FINGERPRINT], "changed", **_client())
    elif (session.get(SESSION_ENDED) and session.get(SESSION_ENDED_FP) == cert.fingerprint):
        # Signed out or timed out with this certificate: wait for «Войти» rather than sign
        # the person straight back in.
        return redirect(url_for("auth.session_ended"))

    account = services.find_account(cert)
    if account is not None and account.blocked_reason:
        return _blocked(account, cert)
    user = services.sign_in(cert, **_client())
    for hook in current_app.extensions.get(SIGN_IN_HOOKS, []):
        hook(user, request.remote_addr)
    uow.keep()  # the sign-in stands even if the page itself answers with an error
    _start_session(user, cert.fingerprint)
    if changed:
        flash("Выбран другой сертификат: предыдущий сеанс завершён, выполнен вход с новым "
              "сертификатом.", "info")
    g.certificate = cert
    return None


SIGN_IN_HOOKS = "registry.sign_in_hooks"


def add_sign_in_hook(app, hook) -> None:
    """Call ``hook(user, remote_addr)`` at every sign-in (before the request commits)."""
    app.extensions.setdefault(SIGN_IN_HOOKS, []).append(hook)


def _blocked(account, cert):
    """A person blocked by the registry operator: no session, the reason, a journal entry."""
    if SESSION_FINGERPRINT in session:
        _end_session()
    marker = f"blocked:{cert.fingerprint}"
    if session.get(SESSION_REFUSED) != marker:
        services.record_blocked(account, cert, **_client())
        session[SESSION_REFUSED] = marker
    uow.keep()  # the journal entry outlives the 403 answer
    return render_template("auth/blocked.html", account=account, cert=cert), 403


def _refuse(raw: str, result):
    """End any session, journal the refusal (once per browser session) and explain it."""
    if SESSION_FINGERPRINT in session:
        if current_user.is_authenticated:
            services.record_sign_out(current_user._get_current_object(),
                                     session[SESSION_FINGERPRINT], "changed", **_client())
        _end_session()
    marker = f"{hashlib.sha256(raw.encode('utf-8', 'surrogateescape')).hexdigest()[:32]}:{result.code}"
    if session.get(SESSION_REFUSED) != marker:
        services.record_refusal(result, **_client())
        session[SESSION_REFUSED] = marker
    uow.keep()  # the journal entry outlives the 403 answer
    return render_template("auth/refused.html", result=result,
                           cert=result.certificate), 403


@bp.route("/session-ended")
@public
def session_ended():
    reason = session.get(SESSION_ENDED)
    if reason not in ENDED_REASONS:
        return redirect(url_for("web.home"))
    idle, lifetime = session_timeouts(current_app.config)
    text = ENDED_REASONS[reason].format(idle=int(idle.total_seconds() // 60),
                                        lifetime=int(lifetime.total_seconds() // 3600))
    return render_template("auth/session_ended.html", reason=reason, text=text,
                           form=SignInForm())


@bp.route("/login", methods=["POST"])
@public
def login():
    form = SignInForm()
    if not form.validate_on_submit():
        abort(400)
    session.pop(SESSION_ENDED, None)
    session.pop(SESSION_ENDED_FP, None)
    return redirect(url_for("web.home"))


@bp.route("/logout", methods=["POST"])
def logout():
    form = SignOutForm()
    if not form.validate_on_submit():
        abort(400)
    services.record_sign_out(current_user._get_current_object(), g.certificate.fingerprint,
                             "sign_out", **_client())
    _end_session("sign_out", g.certificate.fingerprint)
    return redirect(url_for("auth.session_ended"))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if request.method == "GET" and not user.email and g.certificate.email:
        form.email.data = g.certificate.email  # prefilled from the certificate; saved on «Сохранить»
    if form.validate_on_submit():
        services.update_profile(user, email=form.email.data, phone=form.phone.data,
                                position=form.position.data, department=form.department.data)
        flash("Профиль сохранён.", "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form, user=user, cert=g.certificate,
                           days_left=g.certificate.days_left(),
                           expiry_warning=services.expiry_warning(g.certificate),
                           certificates=user.certificates)


JOURNAL_PAGE_SIZE = 50

SIGN_OUT_LABELS = {
    "sign_out": "Выход",
    "idle": "Сеанс завершён: бездействие",
    "lifetime": "Сеанс завершён: истёк срок сеанса",
    "changed": "Сеанс завершён: выбран другой сертификат",
}


@bp.app_template_filter("journal_result")
def journal_result(entry) -> str:
    """Russian label of a journal entry's result."""
    if entry.event == entry.EVENT_SIGN_IN:
        return "Вход выполнен"
    if entry.event == entry.EVENT_REFUSED and entry.result == services.BLOCKED:
        return "Отказ: учётная запись заблокирована оператором реестра"
    if entry.event == entry.EVENT_REFUSED:
        return "Отказ: " + reason_title(entry.result)
    return SIGN_OUT_LABELS.get(entry.result, entry.result)


_BROWSERS = (("YaBrowser/", "Яндекс Браузер"), ("Edg/", "Edge"), ("OPR/", "Opera"),
             ("Firefox/", "Firefox"), ("Chromium/", "Chromium"), ("Chrome/", "Chrome"),
             ("Version/", "Safari"))


@bp.app_template_filter("browser_name")
def browser_name(user_agent: str | None) -> str:
    """A short browser name and major version from a User-Agent string."""
    if not user_agent:
        return "—"
    for token, name in _BROWSERS:
        if token in user_agent:
            version = user_agent.split(token, 1)[1].split(" ", 1)[0].split(".", 1)[0]
            return f"{name} {version}".strip()
    return user_agent[:40]


bp.add_app_template_filter(services.plural_days, "plural_days")


@bp.route("/journal")
def journal():
    page = db.paginate(services.journal_query([current_user.id]), per_page=JOURNAL_PAGE_SIZE,
                       max_per_page=JOURNAL_PAGE_SIZE)
    return render_template("auth/journal.html", page=page)
