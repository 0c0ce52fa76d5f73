"""Reference data: OKVED2, ЕГРЮЛ/ЕГРИП extracts and lookup, identifiers, dictionaries."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import demo  # noqa: F401  (registers the demo step)
    from .cli import egrul_cli, refdata_cli
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(refdata_cli)
    app.cli.add_command(egrul_cli)
