"""The registry operator's console: all organizations, members, blocking, trust-store health."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_login import current_user

    from ..web import add_menu_item
    from .cli import operator_cli
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(operator_cli)
    add_menu_item(app, "Оператор реестра", "operator.index", order=90,
                  visible=lambda: bool(getattr(current_user, "is_operator", False)))
