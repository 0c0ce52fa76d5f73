"""Machine-readable powers of attorney (МЧД): reading and checking them, and the authority
they give an employee in an organization."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .cli import mchd_cli

    app.cli.add_command(mchd_cli)
