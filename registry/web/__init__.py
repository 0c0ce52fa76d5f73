"""The web application's shell: security headers, proxy handling, error pages, template
helpers, the home page. The plumbing domains register with (menu, public pages, JSON areas)
lives in :mod:`registry.core.web`; it is re-exported here for older imports.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.routing import IntegerConverter

from ..config import parse_networks
from ..core.web import (  # noqa: F401  (re-exported)
    CONTENT_SECURITY_POLICY,
    JSON_AREAS,
    MENU_KEY,
    TZ_KEY,
    MenuItem,
    add_json_area,
    add_menu_item,
    is_public_endpoint,
    json_areas,
    menu_items,
    public,
    set_health_check,
    signed_in,
)
from ..core.web import local_datetime as _local_datetime
from ..identifiers import format_snils
from .proxy import TrustedProxyMiddleware, wants_unix_channel


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: only values an integer primary key can hold, so a larger
    number in a URL is an ordinary 404 instead of a database error."""

    def __init__(self, map, fixed_digits=0, min=1, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)



SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _menu_context():
    return {"menu": menu_items() if signed_in() else []}


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        # Pages show personal data; do not let shared caches or the back button keep them.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(code: int, title: str, text: str):
    def handler(error):
        for prefix, respond in json_areas():
            if request.path.startswith(prefix):
                return respond(error)
        return render_template("error.html", code=code, title=title, text=text), code
    return handler


def init_app(app: Flask) -> None:
    """Install the proxy middleware, security headers, menu and template helpers."""
    proxies = app.config["REGISTRY_TRUSTED_PROXIES"]
    app.wsgi_app = TrustedProxyMiddleware(
        app.wsgi_app, parse_networks(proxies), unix=wants_unix_channel(proxies),
        secret=app.config.get("REGISTRY_PROXY_SECRET") or "")
    app.extensions[TZ_KEY] = ZoneInfo(app.config["REGISTRY_TIMEZONE"])
    app.extensions.setdefault(MENU_KEY, [])
    app.context_processor(_menu_context)
    app.context_processor(lambda: {"current_user": current_user})
    app.after_request(_security_headers)
    app.add_template_filter(_local_datetime, "local_dt")
    app.add_template_filter(lambda v: format_snils(v) if v else "", "snils")

    app.register_error_handler(404, _error_page(
        404, "Страница не найдена", "Проверьте адрес или вернитесь на главную страницу."))
    app.register_error_handler(405, _error_page(
        405, "Действие недоступно", "Вернитесь на предыдущую страницу и повторите."))
    app.register_error_handler(413, _error_page(
        413, "Слишком большой запрос", "Уменьшите размер файла и повторите."))
    app.register_error_handler(CSRFError, _error_page(
        400, "Форма устарела",
        "Страница была открыта слишком давно или сеанс сменился. Обновите страницу и повторите действие."))
    app.register_error_handler(500, _error_page(
        500, "Внутренняя ошибка",
        "Мы уже знаем о проблеме. Повторите попытку позже; если ошибка повторяется, обратитесь к оператору реестра."))

    from .services import health
    from .views import bp
    set_health_check(app, health)
    app.register_blueprint(bp)
