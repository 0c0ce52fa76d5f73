"""Home page, health check."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template

from ..auth.services import expiry_warning
from . import public
from .services import health

bp = Blueprint("web", __name__, template_folder="templates")


@bp.route("/")
def home():
    # Greets by the name in the certificate of the session (the account's name is refreshed
    # from it at sign-in), so the page needs no database query.
    return render_template("web/home.html", cert=g.certificate,
                           expiry_warning=expiry_warning(g.certificate))


@bp.route("/healthz")
@public
def healthz():
    report, healthy = health()
    return jsonify(report), 200 if healthy else 503


@bp.route("/favicon.ico")
@public
def favicon():
    return "", 204
