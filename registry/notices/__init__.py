"""Notices to people: kept in the product, and sent by e-mail to a confirmed address."""

from __future__ import annotations

from flask import Flask


def _unread() -> int:
    from ..core.web import current_person
    from .services import unread_count

    return unread_count(current_person())


def init_app(app: Flask) -> None:
    from ..core.hooks import add_profile_section, on_profile_saved
    from ..core.web import add_header_link
    from ..jobs.tasks import register_expiry_notifier
    from . import models, tasks  # noqa: F401  (tables, jobs)
    from .services import email_changed
    from .views import bp, profile_section

    app.register_blueprint(bp)
    add_header_link(app, "Уведомления", "notices.index", "bell.svg", count=_unread)
    add_profile_section(app, profile_section)
    on_profile_saved(app, email_changed)
    register_expiry_notifier(tasks.certificate_expiry_round)
