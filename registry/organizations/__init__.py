"""Organizations: the registration wizard, the profile, its versions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..web import add_menu_item
    from . import models  # noqa: F401  (tables)
    from .views import bp

    app.register_blueprint(bp)
    add_menu_item(app, "Моя организация", "organizations.index", order=30)
