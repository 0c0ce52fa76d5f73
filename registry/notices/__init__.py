"""Notices to people: kept in the product, and sent by e-mail to a confirmed address."""

from __future__ import annotations

from flask import Flask


def _unread() -> int:
    from ..core.web import current_person
    from .services import unread_count

    return unread_count(current_person())


# These pages say it in full, with the button to send the link again.
PAGES_WITH_ADDRESS = frozenset({"auth.profile", "notices.index"})


def _address_banner():
    """«The address is not confirmed» on every signed-in page until it is (no statement of its
    own: the bell's query reads the confirmation too)."""
    from flask import g, request

    from ..core.web import PageBanner, current_person
    from .services import header_state

    person = current_person()
    email = person.email or getattr(g.get("certificate"), "email", None)
    if not email or request.endpoint in PAGES_WITH_ADDRESS or header_state(person).confirmed_email:
        return None
    where = "" if person.email else " из сертификата"
    return PageBanner(f"Адрес электронной почты{where} {email} не подтверждён: уведомления на него "
                      "не отправляются.", "Подтвердить в разделе «Мой профиль»", "auth.profile", "notices")


def init_app(app: Flask) -> None:
    from ..core import signals
    from ..core.web import add_header_link, add_page_banner
    from ..jobs.tasks import register_expiry_notifier
    from . import models, tasks  # noqa: F401  (tables, jobs)
    from .services import email_changed
    from .views import bp, profile_section

    app.register_blueprint(bp)
    add_header_link(app, "Уведомления", "notices.index", "bell.svg", count=_unread,
                    description="сроки сертификата, доверенностей и документов, роли, изменения "
                                "по ЕГРЮЛ; по почте — на подтверждённый адрес.")
    add_page_banner(app, _address_banner)
    signals.receive(signals.profile_sections, app, profile_section)
    signals.receive(signals.profile_saved, app, email_changed)
    register_expiry_notifier(tasks.certificate_expiry_round)
