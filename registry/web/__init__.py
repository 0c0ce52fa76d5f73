"""The web application's shell: security headers, proxy handling, error pages, template
helpers, the home page. The plumbing domains register with (menu, public pages, JSON areas)
lives in :mod:`registry.core.web` (import it from there).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Flask, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .. import text
from ..config import parse_networks
from ..core.web import (
    CONTENT_SECURITY_POLICY,
    TZ_KEY,
    header_links,
    render_error,
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
    # The header and banners are web.frame's; pages list the header links too.
    return {"header_links": header_links() if signed_in() else []}


_LOWER = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS.items())


def _security_headers(response):
    # A view may have set its own (a download's Content-Security-Policy, say): those stay.
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    wanted = [(name, value) for lower, name, value in _LOWER if lower not in present]
    if request.is_secure and "strict-transport-security" not in present:
        wanted.append(("Strict-Transport-Security", "max-age=31536000"))
    if request.endpoint != "static" and "cache-control" not in present:
        # Pages show personal data; do not let shared caches or the back button keep them.
        wanted.append(("Cache-Control", "no-store"))
    headers.extend(wanted)
    return response


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


def _memoized_url_for(app: Flask):
    """Templates' ``url_for``: the URLs every page repeats (static files, pages without
    arguments) are built once per mount point; the rest as Flask builds them."""
    build = app.url_for
    built: dict[tuple, str] = {}

    def url_for(endpoint: str, **values):
        if endpoint.startswith(".") or any(key.startswith("_") for key in values) \
                or (values and endpoint != "static"):
            return build(endpoint, **values)
        key = (request.script_root, endpoint, values.get("filename"))
        url = built.get(key)
        if url is None:
            url = build(endpoint, **values)
            if len(built) < 1024:  # bounded: static names and pages are a few dozen
                built[key] = url
        return url

    return url_for


def init_app(app: Flask) -> None:
    """Install the proxy middleware, security headers, menu and template helpers."""
    proxies = app.config["REGISTRY_TRUSTED_PROXIES"]
    app.wsgi_app = TrustedProxyMiddleware(
        app.wsgi_app, parse_networks(proxies), unix=wants_unix_channel(proxies),
        secret=app.config.get("REGISTRY_PROXY_SECRET") or "")
    app.extensions[TZ_KEY] = ZoneInfo(app.config["REGISTRY_TIMEZONE"])
    app.json.ensure_ascii = False  # every JSON body (API answers and errors alike) in plain UTF-8
    app.context_processor(_menu_context)
    from . import frame
    frame.init_app(app)
    app.jinja_env.globals["url_for"] = _memoized_url_for(app)
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

    from .services import health
    from .views import bp
    set_health_check(app, health)
    app.register_blueprint(bp)
