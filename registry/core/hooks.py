"""Providers a lower part of the package asks a domain above it for (one provider each), and
the organization's tabs. Events and contributions of several domains are signals
(``core.signals``).

- organization links: a tab of the organization page, shown to those with the permission;
- pending memberships, current organization: ``provider(user)`` (members), asked by the
  organizations domain, which members depends on;
- acting authority: ``provider(user, organization)`` -> the МЧД number a person acts by
  (mchd), asked by the core's journal;
- ЕГРЮЛ watch: the newer extract records of registered organizations, after an import
  (members; refdata imports).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

LINKS_KEY = "registry.org_links"


def add_org_link(app: Flask, label: str, endpoint: str, permission: Any, key: str | None = None,
                 order: int = 100) -> None:
    """A tab of the organization (``endpoint`` takes ``org_id``), shown to those who may;
    ``key`` names the tab for the page that is open, ``order`` places it."""
    placed = app.extensions.setdefault(LINKS_KEY + ".placed", {})
    placed[endpoint] = (order, key or endpoint.split(".")[0])
    links = app.extensions.setdefault(LINKS_KEY, [])
    links.append((label, endpoint, permission))
    links.sort(key=lambda link: placed.get(link[1], (100, ""))[0])


def org_link_key(endpoint: str) -> str:
    return current_app.extensions.get(LINKS_KEY + ".placed", {}).get(endpoint, (100, endpoint.split(".")[0]))[1]


def org_links() -> list[tuple[str, str, Any]]:
    return list(current_app.extensions.get(LINKS_KEY, []))


PENDING_KEY = "registry.pending_memberships"


def set_pending_memberships(app: Flask, provider: Callable[[Any], list[Any]]) -> None:
    """Install ``provider(user)``: the person's memberships that are not active (members)."""
    app.extensions[PENDING_KEY] = provider


def pending_memberships(user: Any) -> list[Any]:
    """The person's memberships waiting for roles, removed or blocked (empty without members)."""
    provider = current_app.extensions.get(PENDING_KEY)
    return provider(user) if provider is not None else []


AUTHORITY_KEY = "registry.acting_authority"


def set_authority_provider(app: Flask, provider: Callable[[Any, Any], str | None]) -> None:
    """Install ``provider(user, organization)``: the number of the power of attorney (МЧД) the
    person acts by in that organization, or None (installed by the МЧД domain)."""
    app.extensions[AUTHORITY_KEY] = provider


def acting_authority(user: Any, organization: Any) -> str | None:
    """The МЧД number ``user`` acts by in ``organization`` (None: own right or no МЧД domain)."""
    provider = current_app.extensions.get(AUTHORITY_KEY)
    return provider(user, organization) if provider is not None and user is not None else None


EGRUL_WATCH_KEY = "registry.egrul_watch"


def set_egrul_watch(app: Flask, registered_ogrn: Any, handler: Callable[[list[dict]], None]) -> None:
    """Watch ЕГРЮЛ imports for registered organizations: ``registered_ogrn`` is the ОГРН
    column of the registered organizations (the import joins it per batch, so only they are
    looked at), ``handler(changes)`` gets, once the import has written everything, a dict per
    newer record of a registered organization: ``ogrn``, ``old`` (the record it replaced, or
    None) and ``new`` (what the import wrote)."""
    app.extensions[EGRUL_WATCH_KEY] = (registered_ogrn, handler)


def egrul_watch() -> tuple[Any, Callable[[list[dict]], None]] | None:
    return current_app.extensions.get(EGRUL_WATCH_KEY)


CURRENT_ORG_KEY = "registry.current_organization"


def set_current_organization(app: Flask, provider: Callable[[Any], Any]) -> None:
    """Install ``provider(user)``: the organization the person works in now (members)."""
    app.extensions[CURRENT_ORG_KEY] = provider


def current_organization(user: Any) -> Any:
    """The person's current organization (of several), or None (none, or no members domain)."""
    provider = current_app.extensions.get(CURRENT_ORG_KEY)
    return provider(user) if provider is not None and user is not None else None
