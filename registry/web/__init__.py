"""Application-wide web plumbing: menu, security headers, proxy handling, template helpers.

Domains add menu items with :func:`add_menu_item` and mark pages that need no signed-in
person with :func:`public`; every other page requires a certificate sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .. import text
from ..config import parse_networks
from ..refdata.identifiers import format_snils
from .proxy import TrustedProxyMiddleware

MENU_KEY = "registry.menu"


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: only values an integer primary key can hold, so a larger
    number in a URL is an ordinary 404 instead of a database error."""

    def __init__(self, map, fixed_digits=0, min=1, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def public(view: Callable) -> Callable:
    """Mark a view as reachable without a signed-in person (health check, sign-in pages)."""
    view.registry_public = True
    return view


def is_public_endpoint(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None:  # no route matched: let the 404 handler answer
        return True
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    return getattr(app.view_functions.get(endpoint), "registry_public", False)


@dataclass(frozen=True)
class MenuItem:
    label: str
    endpoint: str
    order: int = 100
    visible: Callable[[], bool] | None = None  # e.g. lambda: can(current_user, ...)


def add_menu_item(app: Flask, label: str, endpoint: str, *, order: int = 100,
                  visible: Callable[[], bool] | None = None) -> None:
    """Add an entry to the top menu of signed-in people (sorted by ``order``)."""
    items = app.extensions.setdefault(MENU_KEY, [])
    items.append(MenuItem(label, endpoint, order, visible))
    items.sort(key=lambda item: item.order)


def signed_in() -> bool:
    """Whether this request belongs to a signed-in session (set by auth.views.authenticate)."""
    return g.get("certificate") is not None


def _menu_context():
    if not signed_in():
        return {"menu": []}
    items = [item for item in current_app.extensions.get(MENU_KEY, [])
             if item.visible is None or item.visible()]
    return {"menu": items}


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        # Pages show personal data; do not let shared caches or the back button keep them.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _local_datetime(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(current_app.extensions["registry.tz"]).strftime(fmt)


JSON_AREAS = "registry.json_areas"


def add_json_area(app: Flask, prefix: str, respond: Callable) -> None:
    """Errors under ``prefix`` (an API) are answered by ``respond(error)`` instead of an HTML
    page — including the ones raised before any view of the area runs (an unmatched URL)."""
    app.extensions.setdefault(JSON_AREAS, []).append((prefix, respond))


def render_error(error, code: int, title: str, text: str, **context):
    """The styled Russian error page (or the JSON of an API area) for an HTTP error."""
    for prefix, respond in current_app.extensions.get(JSON_AREAS, []):
        if request.path.startswith(prefix):
            return respond(error)
    return render_template("error.html", code=code, title=title, text=text, **context), code


def _error_page(code: int, title: str, text: str):
    def handler(error):
        return render_error(error, code, title, text)
    return handler


ERROR_PAGES: dict[int, tuple[str, str]] = {
    400: ("Некорректный запрос", "Форма пришла неполной или повреждённой. Вернитесь на предыдущую "
                                 "страницу, обновите её и повторите действие."),
    401: ("Требуется вход", "Войдите в реестр с сертификатом электронной подписи."),
    403: ("Недостаточно прав", "У вас нет права на это действие. Права в организации назначает её "
                               "администратор в разделе «Профили организации»; права оператора "
                               "реестра выдаются командой registry operator grant."),
    404: ("Страница не найдена", "Проверьте адрес или вернитесь на главную страницу."),
    405: ("Действие недоступно", "Так эту страницу открыть нельзя: вернитесь на предыдущую "
                                 "страницу и воспользуйтесь кнопкой на ней."),
    409: ("Конфликт изменений", "Данные только что изменил кто-то другой. Обновите страницу и "
                                "повторите."),
    413: ("Слишком большой запрос", "Файл или форма больше допустимого размера. Уменьшите размер "
                                    "файла и повторите."),
    429: ("Слишком много запросов", "Подождите минуту и повторите."),
    500: ("Внутренняя ошибка", "Мы уже знаем о проблеме. Повторите попытку позже; если ошибка "
                               "повторяется, обратитесь к оператору реестра."),
}


def _any_http_error(error: HTTPException):
    code = error.code or 500
    if code < 400 or error.response is not None:
        return error
    title, text = ERROR_PAGES.get(code, ERROR_PAGES[500 if code >= 500 else 400])
    return render_error(error, code, title, text)


def init_app(app: Flask) -> None:
    """Install the proxy middleware, security headers, menu and template helpers."""
    app.wsgi_app = TrustedProxyMiddleware(
        app.wsgi_app, parse_networks(app.config["REGISTRY_TRUSTED_PROXIES"]))
    app.extensions["registry.tz"] = ZoneInfo(app.config["REGISTRY_TIMEZONE"])
    app.json.ensure_ascii = False  # every JSON body (API answers and errors alike) in plain UTF-8
    from ..pki import reasons
    reasons.DISPLAY_TIMEZONE = app.extensions["registry.tz"]  # dates in refusal messages
    app.extensions.setdefault(MENU_KEY, [])
    app.context_processor(_menu_context)
    app.context_processor(lambda: {"current_user": current_user})
    app.after_request(_security_headers)
    app.add_template_filter(_local_datetime, "local_dt")
    app.add_template_filter(lambda v: format_snils(v) if v else "", "snils")
    app.add_template_filter(text.format_phone, "phone")
    app.add_template_filter(text.quoted, "q")
    app.add_template_filter(text.genitive, "genitive")
    app.add_template_filter(text.dative, "dative")

    app.register_error_handler(HTTPException, _any_http_error)
    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, _error_page(code, *ERROR_PAGES[code]))
    app.register_error_handler(CSRFError, _error_page(
        400, "Форма устарела",
        "Страница была открыта слишком давно или сеанс сменился. Обновите страницу и повторите действие."))

    from .views import bp
    app.register_blueprint(bp)
