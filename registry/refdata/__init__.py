"""Reference data: OKVED2, ЕГРЮЛ/ЕГРИП extracts and lookup, identifiers, dictionaries."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import demo_data, tasks  # noqa: F401  (register the demo step and the periodic jobs)
    from .cli import egrul_cli, refdata_cli
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(refdata_cli)
    app.cli.add_command(egrul_cli)
