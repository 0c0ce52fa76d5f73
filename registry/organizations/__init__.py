"""Organizations: the registration wizard, the profile, its versions."""

from __future__ import annotations

from datetime import date

from flask import Flask


def ru_date(value) -> str:
    """An ISO date (as stored in profiles) or a date as ДД.ММ.ГГГГ; anything else as is."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value.strftime("%d.%m.%Y")


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401  (tables)
    from .services.rules import split_codes
    from .views import bp

    app.register_blueprint(bp)
    app.add_template_filter(ru_date, "ru_date")
    app.add_template_global(split_codes, "split_codes")
