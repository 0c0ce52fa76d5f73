"""The current organization of a person who works in several.

It is kept in the session (cleared at every sign-in, so bound to it) and defaults to the
first organization by name. Pages without an organization in the URL (home, «Моя
организация», «Профили организации») and the API's ``/api/me`` work in it; opening a page
of another organization of the person makes that one current, and the page says so (as a
link from a notice or a bookmark is expected to lead into that organization).
"""

from __future__ import annotations

import re

from flask import flash, request, session

from ..core.web import signed_in
from ..organizations.models import Organization

SESSION_KEY = "registry.current_org"


def _signed_in_id() -> int | None:
    """The signed-in person's id without loading the account (the session is checked by then)."""
    raw = session.get("_user_id")
    return int(raw) if signed_in() and isinstance(raw, str) and raw.isdigit() else None


def organizations(user) -> list[Organization]:
    """The organizations the person (an account or its id) is an active member of, by name;
    one statement per request."""
    from .services.memberships import active_organizations
    return active_organizations(user if isinstance(user, int) else user.id)


def current(user) -> Organization | None:
    """The organization the person works in now: the one chosen, else the first."""
    mine = organizations(user)
    # The choice of this browser's sign-in only (an API call with another person's
    # certificate does not take it).
    user_id = user if isinstance(user, int) else user.id
    chosen = session.get(SESSION_KEY) if session.get("_user_id") == str(user_id) else None
    return next((o for o in mine if o.id == chosen), mine[0] if mine else None)


def choose(user, org_id: int | None) -> Organization | None:
    """Make one of the person's organizations current; None (nothing changes) for any other."""
    found = next((o for o in organizations(user) if o.id == org_id), None)
    if found is not None:
        session[SESSION_KEY] = found.id
    return found


def current_for_page() -> dict:
    """What the header shows: the current organization and the others to switch to."""
    user = _signed_in_id()
    if user is None:
        return {"current": None, "others": []}
    now = current(user)
    return {"current": now, "others": [o for o in organizations(user) if now is None or o.id != now.id]}


def follow_url() -> None:
    """Before a page of an organization: if it is another organization of the person, it
    becomes current and the page says so. A foreign organization changes nothing (its page
    answers 404)."""
    org_id = (request.view_args or {}).get("org_id")
    user = _signed_in_id() if org_id is not None and not request.path.startswith("/api/") else None
    if user is None:
        return
    before = current(user)
    if before is not None and before.id == org_id:
        if session.get(SESSION_KEY) != org_id:
            session[SESSION_KEY] = org_id
        return
    found = choose(user, org_id)
    if found is not None and before is not None:
        flash(f"Текущая организация — {found.name}: вы открыли её страницу. Вернуться к "
              f"{before.name} можно в шапке страницы.", "info")


_ORG_PATH = re.compile(r"^/organizations/\d+(?P<rest>(/[a-z_-]+)*)/?$")


def same_page_in(organization: Organization, path: str | None) -> str:
    """Where switching to ``organization`` leads from ``path``: the same section of the new
    organization (journal, members, documents), its profile from a page of one object, the
    page itself when it belongs to no organization."""
    from flask import url_for

    path = path or ""
    if not path.startswith("/") or path.startswith("//"):
        return url_for("organizations.profile", org_id=organization.id)
    if not path.startswith("/organizations/") or path.startswith("/organizations/register"):
        return path if path != "/organizations/" else url_for("organizations.profile", org_id=organization.id)
    matched = _ORG_PATH.match(path.split("?")[0])
    if matched is None:  # a page of one object (a member, a document): it is not in the other
        return url_for("organizations.profile", org_id=organization.id)
    return f"/organizations/{organization.id}{matched.group('rest')}"
