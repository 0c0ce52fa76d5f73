"""Information-exchange profiles and the certificate-authenticated JSON API (``/api/v1/``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..members.models import Permission
    from ..organizations.views import add_org_link
    from . import models  # noqa: F401  (tables)
    from .api import bp as api_bp
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    add_org_link(app, "Профили информационного обмена", "exchange.index", Permission.MANAGE_EXCHANGE)
