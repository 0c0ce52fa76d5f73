"""Certificate sign-in on every request, «Мой профиль», «Журнал посещений», «Выход»."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from ..config import session_timeouts
from ..core import signals, uow
from ..core.web import (
    CERT_ENVIRON_KEY,
    CONTENT_SECURITY_POLICY,
    current_person,
    is_public_endpoint,
    public,
)
from ..extensions import csrf, db
from ..pki import reason_title
from ..pki.reasons import is_ca_fault
from . import services, signature
from .forms import ProfileForm, SignatureSignInForm, SignInForm, SignOutForm
from .models import AuthSession
from .services import (
    SESSION_ENDED,
    SESSION_ENDED_FP,
    SESSION_FINGERPRINT,
    SESSION_RECORD,
    SESSION_REFUSED,
    SESSION_TOKEN,
)

bp = Blueprint("auth", __name__, template_folder="templates")
log = logging.getLogger(__name__)

CHECKER_KEY = services.CHECKER_KEY
checker = services.checker

SESSION_ENDED_WHO = "ended_who"  # the holder and serial of that certificate, to name it

ENDED_REASONS = {
    "sign_out": "Вы вышли из реестра.",
    "idle": "Сеанс завершён: вы не работали в реестре {idle} мин.",
    "lifetime": "Сеанс завершён: истёк максимальный срок сеанса ({lifetime} ч).",
}


def _client():
    return {"remote_addr": request.remote_addr,
            "user_agent": request.user_agent.string or None}


def _end_session(ended: str | None = None, cert=None, *, reason: str | None = None) -> None:
    """End the session on the server (``reason``, default ``ended``) and clear the cookie;
    ``ended``: the page «Сеанс завершён» says why, and names ``cert``."""
    services.end_session(session_record(), reason or ended or "changed")
    logout_user()
    g.pop("user", None)
    session.clear()
    if ended:
        session[SESSION_ENDED] = ended
        session[SESSION_ENDED_FP] = cert.fingerprint
        session[SESSION_ENDED_WHO] = [cert.full_name or cert.subject, cert.serial]


def session_record():
    """The server-side record of this request's session (looked up once per request)."""
    if SESSION_RECORD not in g:
        setattr(g, SESSION_RECORD, services.find_session(session.get(SESSION_TOKEN)))
    return g.get(SESSION_RECORD)


def start_session(user, fingerprint: str, method: str = AuthSession.METHOD_TLS) -> None:
    """Open a server-side session for ``user`` and point this browser's cookie at it."""
    session.clear()  # nothing from before the sign-in survives it
    login_user(user)
    session[SESSION_TOKEN] = services.open_session(user, fingerprint, method)
    session[SESSION_FINGERPRINT] = fingerprint
    g.pop(SESSION_RECORD, None)


@bp.before_app_request
def authenticate():
    """Sign the person in from their client certificate, or answer with a page saying why not.

    Runs before every non-public page. The session lives on the server and is bound to the
    certificate fingerprint: another certificate ends it, so does idleness, the absolute
    lifetime and «Выход»; a cookie of an ended session opens nothing. A session opened by a
    signature (no client certificate on the connection) is checked with the certificate it was
    opened with.
    """
    if is_public_endpoint(current_app, request.endpoint):
        return None
    record = session_record()
    raw = _presented_certificate(record)
    if not raw:
        return _no_certificate()
    result = checker().check(raw)
    if not result.valid:
        return _refuse(raw, result)
    return _by_session_verdict(record, result.certificate)


def _by_session_verdict(record, cert):
    """Go on with the session, say it timed out, or sign in anew (ended, changed, none)."""
    verdict = _session_verdict(record, cert)
    if verdict.state == "ok":
        return _continue_session(record, verdict, cert)
    if verdict.state in ("idle", "lifetime"):
        return _session_timed_out(verdict.state, cert)
    if verdict.state == "ended":
        _forget_ended_session(record, cert)
    return _sign_in_on_request(record, cert, changed=verdict.state == "changed")


def _session_verdict(record, cert):
    idle, lifetime = session_timeouts(current_app.config)
    return services.check_session(record, session.get("_user_id"), cert.fingerprint,
                                  idle=idle, lifetime=lifetime)


def _presented_certificate(record) -> str | None:
    """The connection's client certificate, or the one a signature session was opened with."""
    raw = request.environ.get(CERT_ENVIRON_KEY)
    if not raw and record is not None and record.ended_at is None \
            and record.method == AuthSession.METHOD_SIGNATURE:
        raw = services.session_certificate_pem(record)
    return raw


def _no_certificate():
    if SESSION_TOKEN in session or SESSION_FINGERPRINT in session:
        _end_session()
        uow.keep()  # the session stays ended although the answer is 403
    return render_template("auth/no_certificate.html"), 403


def _continue_session(record, verdict, cert):
    # The account came with the session; one blocked, or no longer holding the session's
    # certificate, ends the session in the account loader (auth.init_app's load_user).
    g.user = current_person()
    if verdict.touch and services.claim_touch(record.id):
        uow.will_write()
        services.touch_session(record)
        uow.keep()  # activity counts even if the page answers with an error
    g.certificate = cert
    return None


def _session_timed_out(state: str, cert):
    services.record_sign_out(current_person(), cert.fingerprint, state, **_client())
    _end_session(state, cert)
    return redirect(url_for("auth.session_ended"))


def _forget_ended_session(record, cert) -> None:
    """A cookie of a session that already ended (e.g. kept from before «Выход»): it opens
    nothing; a certificate on the connection may start a new session."""
    log.warning("cookie of an ended session (%s) presented from %s", record.end_reason,
                request.remote_addr)
    ended = record.end_reason if record.end_reason in ENDED_REASONS else None
    logout_user()
    g.pop("user", None)
    session.clear()
    if ended and record.cert_fingerprint == cert.fingerprint:
        session[SESSION_ENDED] = ended
        session[SESSION_ENDED_FP] = cert.fingerprint
        session[SESSION_ENDED_WHO] = [cert.full_name or cert.subject, cert.serial]


def _sign_in_on_request(record, cert, *, changed: bool):
    """Sign in with the connection's certificate (ending the session of another one)."""
    if changed:
        uow.will_write()
        services.record_sign_out(current_person(),
                                 record.cert_fingerprint, "changed", **_client())
        services.end_session(record, "changed")
    elif (session.get(SESSION_ENDED) and session.get(SESSION_ENDED_FP) == cert.fingerprint):
        # Signed out or timed out with this certificate: wait for «Войти» rather than sign
        # the person straight back in.
        return redirect(url_for("auth.session_ended"))
    uow.will_write()
    blocked = _sign_in(cert)
    if blocked is not None:
        return blocked
    uow.keep()  # the sign-in stands even if the page itself answers with an error
    if changed:
        flash("Выбран другой сертификат: предыдущий сеанс завершён, выполнен вход с новым "
              "сертификатом.", "info")
    g.certificate = cert
    return None


def _sign_in(cert, method: str = AuthSession.METHOD_TLS, *, replacing: bool = False):
    """Open a session for the holder of ``cert`` (None), or answer that they are blocked.

    ``replacing``: a person signed in already has that session ended as "changed".
    """
    account = services.find_account(cert)
    if account is not None and account.blocked_reason:
        return _blocked(account, cert)
    if replacing and current_user.is_authenticated:
        services.record_sign_out(current_user._get_current_object(),
                                 session.get(SESSION_FINGERPRINT), "changed", **_client())
        _end_session(reason="changed")
    user = services.sign_in(cert, **_client())
    start_session(user, cert.fingerprint, method)
    g.user = user
    g.certificate = cert  # the hooks' journal entries name the certificate signed in with
    signals.send(signals.signed_in, user=user, remote_addr=request.remote_addr)
    return None


def _blocked(account, cert):
    """A person blocked by the registry operator: no session, the reason, a journal entry."""
    if SESSION_TOKEN in session or SESSION_FINGERPRINT in session:
        _end_session(reason="blocked")
    marker = f"blocked:{cert.fingerprint}"
    if session.get(SESSION_REFUSED) != marker:
        services.record_blocked(account, cert, **_client())
        session[SESSION_REFUSED] = marker
    uow.keep()  # the journal entry outlives the 403 answer
    return render_template("auth/blocked.html", account=account, cert=cert), 403


def _refuse(raw: str, result):
    """End any session, journal the refusal (once per browser session) and explain it."""
    if SESSION_TOKEN in session or SESSION_FINGERPRINT in session:
        record = session_record()
        if record is not None and record.ended_at is None and current_user.is_authenticated:
            services.record_sign_out(current_person(),
                                     record.cert_fingerprint, "changed", **_client())
        _end_session(reason="refused")
    marker = f"{hashlib.sha256(raw.encode('utf-8', 'surrogateescape')).hexdigest()[:32]}:{result.code}"
    if session.get(SESSION_REFUSED) != marker:
        services.record_refusal(result, **_client())
        session[SESSION_REFUSED] = marker
    uow.keep()  # the journal entry outlives the 403 answer
    return render_template("auth/refused.html", result=result, cert=result.certificate,
                           ca_fault=is_ca_fault(result.code)), 403


@bp.route("/session-ended")
@public
def session_ended():
    reason = session.get(SESSION_ENDED)
    if reason not in ENDED_REASONS:
        return redirect(url_for("web.home"))
    idle, lifetime = session_timeouts(current_app.config)
    text = ENDED_REASONS[reason].format(idle=int(idle.total_seconds() // 60),
                                        lifetime=int(lifetime.total_seconds() // 3600))
    who = session.get(SESSION_ENDED_WHO)
    return render_template("auth/session_ended.html", reason=reason, text=text,
                           form=SignInForm(), who=who if isinstance(who, list) else None)


@bp.route("/login", methods=["GET", "POST"])
@public
@csrf.exempt  # the token is checked here: a stale page is shown afresh, not refused
def login():
    """«Войти снова» after «Выход» or a timeout: the next page signs in anew with the
    certificate the browser presents (a new session, journaled). A page kept from before, whose
    token is no longer this browser's, and an address typed by hand lead back to «Сеанс
    завершён» with a fresh button rather than to an error."""
    form = SignInForm()
    if request.method == "GET" or not form.validate_on_submit():
        if request.method == "POST" and session.get(SESSION_ENDED):
            flash("Страница входа устарела: нажмите «Войти снова» ещё раз.", "info")
        return redirect(url_for("auth.session_ended"))
    for key in (SESSION_ENDED, SESSION_ENDED_FP, SESSION_ENDED_WHO):
        session.pop(key, None)
    return redirect(url_for("web.home"))


# --- sign-in by signature ------------------------------------------------------------------

def site_origin() -> str:
    """This site's origin as challenges name it: ``REGISTRY_SITE_ORIGIN`` ("" when unset).

    Never the request's own Host: a relaying site would get challenges naming itself.
    """
    return str(current_app.config.get("REGISTRY_SITE_ORIGIN") or "").rstrip("/")


def _not_this_site():
    """Why sign-in by signature is not offered on this request, as a page, or None.

    Without a configured origin it is not offered at all; a request naming another host (a
    relaying site, a forged Host header) gets neither a challenge nor a session.
    """
    origin = site_origin()
    if not origin:
        log.warning("sign-in by signature refused: REGISTRY_SITE_ORIGIN is not set")
        return render_template(
            "auth/signature_refused.html", title="Вход по подписи не настроен", retry=False,
            message="Оператор реестра не указал адрес сайта для входа по электронной подписи. "
                    "Войдите по сертификату через браузер с поддержкой ГОСТ TLS."), 503
    expected = (urlsplit(origin).hostname or "").lower()
    if (urlsplit("//" + request.host).hostname or "").lower() != expected:
        log.warning("sign-in by signature refused: request for host %r, the site is %s",
                    request.host, origin)
        return render_template(
            "auth/signature_refused.html", title=signature.TITLES[signature.OTHER_SITE],
            retry=False, origin=origin,
            message="Эта страница открыта не по адресу реестра. Вход по подписи возможен только "
                    f"на сайте {origin}: откройте его сами, не по ссылке из письма."), 403
    return None


def _with_plugin_csp(response, plugin_url: str):
    """Allow the configured plug-in script's origin on this page only."""
    parts = urlsplit(plugin_url)
    if parts.scheme in ("https", "http") and parts.netloc:
        source = f"{parts.scheme}://{parts.netloc}"
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "script-src 'self'", f"script-src 'self' {source}")
    return response


@bp.route("/login/signature")
@public
def signature_page():
    refused = _not_this_site()
    if refused is not None:
        return refused
    challenge = signature.issue_challenge(site_origin(), _challenge_lifetime(), _challenge_key())
    plugin_url = current_app.config.get("REGISTRY_CADESPLUGIN_URL") or ""
    response = make_response(render_template("auth/signature.html", challenge=challenge,
                                             form=SignatureSignInForm(), plugin_url=plugin_url))
    return _with_plugin_csp(response, plugin_url)


def _challenge_lifetime() -> timedelta:
    return timedelta(seconds=int(current_app.config["REGISTRY_SIGNIN_CHALLENGE_SECONDS"]))


def _challenge_key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    return (secret if isinstance(secret, bytes) else str(secret).encode()) + b"/sign-in-challenge"


@bp.route("/login/signature", methods=["POST"])
@public
def signature_login():
    refused = _not_this_site()
    if refused is not None:
        return refused
    form = SignatureSignInForm()
    if not form.validate_on_submit():
        return render_template("auth/signature_refused.html", title="Подпись не получена",
                               message="Страница входа не передала подпись. Обновите страницу "
                                       "и подпишите запрос снова."), 400
    verdict = _verdict(form)
    if not verdict.valid:
        return _signature_refused(verdict)
    return _sign_in(verdict.certificate, AuthSession.METHOD_SIGNATURE, replacing=True) \
        or redirect(url_for("web.home"))


def _verdict(form: SignatureSignInForm) -> signature.SignatureVerdict:
    """What the posted signature amounts to, for this site's challenges."""
    return signature.verify_signed_challenge(
        nonce=form.nonce.data, signature_b64=form.signature.data,
        offered_b64=form.certificate.data, origin=site_origin(), key=_challenge_key(),
        lifetime=_challenge_lifetime(), checker=checker())


def _signature_refused(verdict):
    """End any session, journal the refused signature sign-in and explain it."""
    if SESSION_TOKEN in session or SESSION_FINGERPRINT in session:
        _end_session(reason="refused")
    if verdict.validation is not None:
        services.record_refusal(verdict.validation, **_client())
    else:
        services.record_signature_refusal(verdict.code, verdict.message, verdict.certificate,
                                          **_client())
    uow.keep()  # the spent challenge and the journal entry outlive the 403 answer
    return render_template("auth/signature_refused.html", title=verdict.title,
                           message=verdict.message, cert=verdict.certificate), 403


@bp.route("/logout", methods=["POST"])
def logout():
    form = SignOutForm()
    if not form.validate_on_submit():
        abort(400)
    services.record_sign_out(current_person(), g.certificate.fingerprint,
                             "sign_out", **_client())
    _end_session("sign_out", g.certificate)
    return redirect(url_for("auth.session_ended"))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    user = current_person()
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
                           certificates=user.certificates, sections=signals.send(signals.profile_sections, user=user))


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
    if entry.event == entry.EVENT_REFUSED and entry.result in signature.TITLES:
        return "Отказ (вход по подписи): " + signature.TITLES[entry.result]
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
