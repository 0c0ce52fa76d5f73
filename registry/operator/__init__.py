"""The registry operator's console: all organizations, members, blocking, trust-store health."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..core.access import Permission, can
    from ..core.web import add_menu_item, current_person
    from . import tasks  # noqa: F401  (the trust-notices job)
    from .cli import operator_cli
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(operator_cli)
    add_menu_item(app, "Оператор реестра", "operator.index", order=90,
                  visible=lambda: can(current_person(), Permission.OPERATOR_CONSOLE))
