"""Notices to people: kept in the product, and sent by e-mail to a confirmed address."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401  (tables)
