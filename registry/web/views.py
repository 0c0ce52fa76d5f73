"""Home page, health check."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template

from ..auth.services import expiry_warning
from ..core.web import public
from .proxy import TrustedProxyMiddleware
from .services import health

bp = Blueprint("web", __name__, template_folder="templates")


@bp.route("/")
def home():
    # Greets by the name in the certificate of the session (the account's name is refreshed
    # from it at sign-in), so the page needs no database query.
    return render_template("web/home.html", cert=g.certificate,
                           expiry_warning=expiry_warning(g.certificate))


def _sees_detail() -> bool:
    """The operator, or a client from REGISTRY_HEALTH_DETAIL_FROM (monitoring, the node itself)."""
    from flask import current_app, request
    from flask_login import current_user

    from ..config import parse_networks

    if getattr(current_user, "is_operator", False) and not getattr(current_user, "blocked_reason", None):
        return True
    networks = parse_networks(str(current_app.config.get("REGISTRY_HEALTH_DETAIL_FROM") or ""))
    return TrustedProxyMiddleware(None, networks).is_trusted(request.remote_addr)


@bp.route("/healthz")
@public
def healthz():
    """Public: only up or down (for load balancers); the detail for the operator and the
    configured addresses."""
    report, healthy = health()
    code = 200 if healthy else 503
    if not _sees_detail():
        return jsonify({"status": "up" if healthy else "down"}), code
    return jsonify(report), code


@bp.route("/favicon.ico")
@public
def favicon():
    return "", 204
