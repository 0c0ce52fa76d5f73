"""The operator's review of submitted applications, the special-registration record and the
register of organizations on special registration."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401  (tables)
