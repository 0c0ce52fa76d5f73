"""Extension points between domains: a domain offers a hook here, others register with it in
their ``init_app``, and neither imports the other's views.

- sign-in hooks: ``hook(user, remote_addr)`` at every sign-in, in the request's unit of work;
- organization links: a link on the organization page, shown to those with the permission;
- organization notices: ``provider(organization) -> [(category, text)]`` on its page;
- organization registered: ``handler(organization, user)`` once an organization is registered;
- acting authority: ``provider(user, organization)`` -> the МЧД number a person acts by;
- member facts: ``provider(membership) -> [(title, [(label, value)])]`` on a member's card;
- profile sections: ``provider(user) -> html`` shown in «Мой профиль»; profile saved:
  ``hook(user, changed)`` after «Мой профиль» fields changed (``changed``: name -> old value);
- ЕГРЮЛ watch: the newer extract records of registered organizations, after an import;
- current organization: ``provider(user)`` -> the one of several the person works in now;
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

SIGN_IN_HOOKS = "registry.sign_in_hooks"
LINKS_KEY = "registry.org_links"
NOTICES_KEY = "registry.org_notices"
REGISTERED_KEY = "registry.org_registered"


def add_sign_in_hook(app: Flask, hook: Callable[[Any, str | None], None]) -> None:
    """Call ``hook(user, remote_addr)`` at every sign-in (before the request commits)."""
    app.extensions.setdefault(SIGN_IN_HOOKS, []).append(hook)


def signed_in(user: Any, remote_addr: str | None) -> None:
    for hook in current_app.extensions.get(SIGN_IN_HOOKS, []):
        hook(user, remote_addr)


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


def add_notice_provider(app: Flask, provider: Callable[[Any], list[tuple[str, str]]]) -> None:
    """Let another domain add warnings to the organization page: ``provider(organization)``
    returns a list of ``(category, text)`` (e.g. documents about to expire)."""
    app.extensions.setdefault(NOTICES_KEY, []).append(provider)


def org_notices(organization: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for provider in current_app.extensions.get(NOTICES_KEY, []):
        found.extend(provider(organization))
    return found


def on_organization_registered(app: Flask, handler: Callable[[Any, Any], None]) -> None:
    """Call ``handler(organization, user)`` when ``user`` has registered ``organization``."""
    app.extensions.setdefault(REGISTERED_KEY, []).append(handler)


def organization_registered(organization: Any, user: Any) -> None:
    for handler in current_app.extensions.get(REGISTERED_KEY, []):
        handler(organization, user)


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


MEMBER_FACTS_KEY = "registry.member_facts"


def add_member_facts(app: Flask, provider: Callable[[Any], list[tuple[str, list[tuple[str, str]]]]]) -> None:
    """Let another domain show sections on a member's card: ``provider(membership)`` returns
    ``[(title, [(label, value), ...]), ...]`` (e.g. the МЧД the member acts by)."""
    app.extensions.setdefault(MEMBER_FACTS_KEY, []).append(provider)


def member_facts(member: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    found: list[tuple[str, list[tuple[str, str]]]] = []
    for provider in current_app.extensions.get(MEMBER_FACTS_KEY, []):
        found.extend(provider(member))
    return found
PROFILE_SECTIONS_KEY = "registry.profile_sections"
PROFILE_SAVED_KEY = "registry.profile_saved"


def add_profile_section(app: Flask, provider: Callable[[Any], str]) -> None:
    """Show ``provider(user)`` (rendered HTML) in «Мой профиль»."""
    app.extensions.setdefault(PROFILE_SECTIONS_KEY, []).append(provider)


def profile_sections(user: Any) -> list[str]:
    return [provider(user) for provider in current_app.extensions.get(PROFILE_SECTIONS_KEY, [])]


def on_profile_saved(app: Flask, hook: Callable[[Any, dict], None]) -> None:
    """Call ``hook(user, changed)`` when «Мой профиль» fields changed (in the unit of work)."""
    app.extensions.setdefault(PROFILE_SAVED_KEY, []).append(hook)


def profile_saved(user: Any, changed: dict) -> None:
    for hook in current_app.extensions.get(PROFILE_SAVED_KEY, []):
        hook(user, changed)
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
