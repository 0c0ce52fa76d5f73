"""Signals between domains (blinker, as Flask's own): a domain sends one, others connect a
receiver in their ``init_app``, and neither imports the other's views.

Every signal is sent by the application (``current_app``) as its sender, and receivers connect
for their application (``receive(signal, app, receiver)``), so that several applications in one
process (the tests) never hear each other. Each signal says what it is sent with; a receiver is
called with exactly those keyword arguments.

A new extension point is a signal here, sent where the event happens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from blinker import NamedSignal, Namespace
from flask import Flask, current_app

_signals = Namespace()

signed_in = _signals.signal("signed-in")
"""A person signed in (in the request's unit of work): ``user``, ``remote_addr``."""

organization_registered = _signals.signal("organization-registered")
"""``user`` registered ``organization`` (the head becomes its administrator)."""

profile_saved = _signals.signal("profile-saved")
"""«Мой профиль» fields changed (in the unit of work): ``user``, ``changed`` (name -> old value)."""

organization_notices = _signals.signal("organization-notices")
"""The organization page asks for warnings: ``organization``; a receiver returns a list of
``(category, text)`` (e.g. documents about to expire)."""

member_facts = _signals.signal("member-facts")
"""A member's card asks for sections: ``member``; a receiver returns
``[(title, [(label, value), ...]), ...]`` (e.g. the МЧД the member acts by)."""

application_submitted = _signals.signal("application-submitted")
"""An application was submitted (in the unit of work): ``application``, ``actor`` (the
operator's review takes it into the queue)."""

egrul_changes_found = _signals.signal("egrul-changes-found")
"""An ЕГРЮЛ import showed registered organizations' changes, now recorded (in the import's
unit of work): ``changes`` (the new ``EgrulChange`` rows: a new head, a liquidation, …)."""

application_outcomes = _signals.signal("application-outcomes")
"""The organization's applications' pages ask what became of submitted applications:
``applications`` (the page's rows), ``verify`` (also check the decisions' signatures); a receiver
returns ``{application id: outcome dict}`` (one statement for all the rows), the keys
``status_title``, ``detail``, ``links`` (``[(text, url)]``), ``checks`` (signature verdicts)."""

profile_sections = _signals.signal("profile-sections")
"""«Мой профиль» asks for sections: ``user``; a receiver returns rendered HTML."""


menu = _signals.signal("menu")
"""Every signed-in page asks for the top menu (no arguments); a receiver returns a list of
``core.web.MenuItem`` the person may see (the page sorts them by ``order``)."""

header_icons = _signals.signal("header-icons")
"""Every signed-in page asks for the compact links beside the person's name (no arguments); a
receiver returns a list of ``core.web.HeaderLink``."""

page_banners = _signals.signal("page-banners")
"""Every signed-in page asks for warnings at its top (no arguments); a receiver returns a list
of ``core.web.PageBanner`` (empty: nothing to say)."""

organization_tabs = _signals.signal("organization-tabs")
"""The organization page asks for its tabs (no arguments); a receiver returns a list of
``core.web.OrgTab`` (the page shows those the person may open, sorted by ``order``)."""

json_areas = _signals.signal("json-areas")
"""An error page is being rendered (no arguments); a receiver returns a list of
``(path prefix, respond(error))`` for its API, whose errors are answered in JSON."""

acting_authority = _signals.signal("acting-authority")
"""The journal asks what power of attorney (МЧД) ``user`` acts by in ``organization``; a
receiver returns its number or None (the core cannot import the МЧД domain above it)."""


def receive(signal: NamedSignal, app: Flask, receiver: Callable[..., Any]) -> None:
    """Call ``receiver(**what the signal is sent with)`` whenever ``app`` sends ``signal``."""
    signal.connect(lambda _sender, **kwargs: receiver(**kwargs), sender=app, weak=False)


def send(signal: NamedSignal, **kwargs: Any) -> list[Any]:
    """Send ``signal`` from the current application; the receivers' return values."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return [value for _receiver, value in signal.send(app, **kwargs)]


def collect(signal: NamedSignal, **kwargs: Any) -> list[Any]:
    """Send ``signal`` and join the lists its receivers return."""
    return [item for found in send(signal, **kwargs) for item in found]
