"""Information-exchange profiles and the certificate-authenticated JSON API (``/api/v1/``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..core.access import Permission
    from ..core.web import add_json_area, add_org_tab
    from . import models  # noqa: F401  (tables)
    from .api import bp as api_bp
    from .api import http_error
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    add_json_area(app, "/api/v1/", http_error)
    add_org_tab(app, "Профили информационного обмена", "exchange.index", Permission.MANAGE_EXCHANGE, order=40)
