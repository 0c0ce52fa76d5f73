"""Request plumbing every domain uses: public pages, the top menu, JSON areas, the signed-in
person, local time for people.

Domains register with these functions in their ``init_app``; the ``web`` package installs them
(error pages, template helpers) and serves the home page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, g, render_template, request
from flask_login import current_user

from . import signals

# The WSGI environ key carrying the client certificate (PEM, or nginx's URL-escaped PEM). The
# built-in HTTPS server sets it from the TLS connection; the trusted-proxy middleware sets it
# from X-SSL-Client-Cert. Nothing else does: request headers never reach this key.
CERT_ENVIRON_KEY = "SSL_CLIENT_CERT"

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

TZ_KEY = "registry.tz"
HEALTH_KEY = "registry.health"


def public(view: Callable) -> Callable:
    """Mark a view as reachable without a signed-in person (health check, sign-in pages)."""
    view.registry_public = True  # type: ignore[attr-defined]
    return view


def is_public_endpoint(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None:  # no route matched: let the 404 handler answer
        return True
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    return getattr(app.view_functions.get(endpoint), "registry_public", False)


@dataclass(frozen=True)
class MenuItem:
    label: str
    endpoint: str
    order: int = 100


def add_menu_item(app: Flask, label: str, endpoint: str, *, order: int = 100,
                  visible: Callable[[], bool] | None = None) -> None:
    """Answer ``signals.menu`` with an entry of the top menu (sorted by ``order``);
    ``visible()`` is asked on every page (memoise what it reads on ``flask.g``)."""
    item = MenuItem(label, endpoint, order)
    signals.receive(signals.menu, app, lambda: [item] if visible is None or visible() else [])


def menu_items() -> list[MenuItem]:
    """The top menu of this request (``signals.menu``)."""
    return sorted(signals.collect(signals.menu), key=lambda item: item.order)


@dataclass(frozen=True)
class HeaderLink:
    """A compact link in the page header beside the person's name (an icon and a number)."""

    label: str  # read by screen readers and shown as the tooltip
    endpoint: str
    icon: str  # a file under static/
    count: Callable[[], int] | None = None  # shown on the icon when not zero
    description: str | None = None  # what the home page says of it


def add_header_link(app: Flask, label: str, endpoint: str, icon: str, *,
                    count: Callable[[], int] | None = None, description: str | None = None) -> None:
    """Answer ``signals.header_icons`` with a compact link of the header (e.g. «Уведомления»
    with the number of unread ones); the home page lists it too, with ``description``."""
    link = HeaderLink(label, endpoint, icon, count, description)
    signals.receive(signals.header_icons, app, lambda: [link])


def header_links() -> list[HeaderLink]:
    """The header's compact links of this request (``signals.header_icons``)."""
    return signals.collect(signals.header_icons)


@dataclass(frozen=True)
class PageBanner:
    """A short warning at the top of every signed-in page, with a link to where it is fixed."""

    text: str
    link_label: str
    endpoint: str
    anchor: str | None = None  # a section of the linked page


def add_page_banner(app: Flask, banner: Callable[[], PageBanner | None]) -> None:
    """Answer ``signals.page_banners`` with ``banner()`` (None: nothing) on every page of
    signed-in people (e.g. «the e-mail address is not confirmed»)."""
    signals.receive(signals.page_banners, app, lambda: [b] if (b := banner()) is not None else [])


def page_banners() -> list[PageBanner]:
    """This request's banners (``signals.page_banners``)."""
    return signals.collect(signals.page_banners)


@dataclass(frozen=True)
class OrgTab:
    """A tab of the organization page: ``endpoint`` takes ``org_id``; shown to those with
    ``permission``; ``key`` names it for the page that is open; ``order`` places it."""

    label: str
    endpoint: str
    permission: Any
    key: str
    order: int = 100


def add_org_tab(app: Flask, label: str, endpoint: str, permission: Any, key: str | None = None,
                order: int = 100) -> None:
    """Answer ``signals.organization_tabs`` with a tab of the organization."""
    tab = OrgTab(label, endpoint, permission, key or endpoint.split(".")[0], order)
    signals.receive(signals.organization_tabs, app, lambda: [tab])


def org_tabs() -> list[OrgTab]:
    """The organization page's tabs (``signals.organization_tabs``), in their order."""
    return sorted(signals.collect(signals.organization_tabs), key=lambda tab: tab.order)


def add_json_area(app: Flask, prefix: str, respond: Callable) -> None:
    """Errors under ``prefix`` (an API) are answered by ``respond(error)`` instead of an HTML
    page — including the ones raised before any view of the area runs (an unmatched URL);
    answers ``signals.json_areas``."""
    signals.receive(signals.json_areas, app, lambda: [(prefix, respond)])


def json_areas() -> list[tuple[str, Callable]]:
    """The API areas' prefixes and error answers (``signals.json_areas``)."""
    return signals.collect(signals.json_areas)


def signed_in() -> bool:
    """Whether this request belongs to a signed-in session (set by the sign-in hook)."""
    return g.get("certificate") is not None


def current_person() -> Any:
    """The signed-in person's account (``g.user``, the ORM ``User``; before the sign-in check has
    run, Flask-Login's anonymous user or the account it loads)."""
    user = g.get("user")
    return user if user is not None else current_user._get_current_object()


def local_datetime(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A stored (UTC) time as people read it, in ``REGISTRY_TIMEZONE``."""
    if value is None:
        return ""
    return value.astimezone(current_app.extensions[TZ_KEY]).strftime(fmt)


def set_health_check(app: Flask, check: Callable[[], tuple[dict, bool]]) -> None:
    """Install the instance's health check (the ``web`` package does: /healthz)."""
    app.extensions[HEALTH_KEY] = check


def health() -> tuple[dict, bool]:
    """The health report and whether the instance can serve requests."""
    return current_app.extensions[HEALTH_KEY]()


def render_error(error, code: int, title: str, text: str, **context):
    """The styled Russian error page (or the JSON of an API area) for an HTTP error."""
    for prefix, respond in json_areas():
        if request.path.startswith(prefix):
            return respond(error)
    return render_template("error.html", code=code, title=title, text=text, **context), code
