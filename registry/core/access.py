"""Who may do what in an organization: one set of permissions and one check for every page,
the operator console and the API.

The ``members`` domain knows memberships and roles and installs the policy
(:func:`set_policy`); everyone else asks :func:`permissions` / :func:`can` / :func:`require`.
Services raise :class:`AccessDenied`; the application answers it with 404 (the organization
or object does not exist for this person) or 403 (it exists, the permission is missing) — the
same pages :func:`flask.abort` gives, JSON under the API.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from werkzeug.exceptions import Forbidden, NotFound

POLICY_KEY = "registry.access_policy"


class Permission(str, enum.Enum):
    VIEW_PROFILE = "view_profile"
    EDIT_PROFILE = "edit_profile"
    ASSIGN_ROLES = "assign_roles"
    MANAGE_EXCHANGE = "manage_exchange"
    READ_JOURNAL = "read_journal"
    APPLICATIONS = "applications"
    DIRECTORY = "directory"
    DOCUMENTS = "documents"
    # Reading the documents (list, card, files): stays in a read-only (liquidated) organization.
    READ_DOCUMENTS = "read_documents"
    BATCHES = "batches"
    # The registry operator's console (granted from the command line, not by an organization).
    OPERATOR_CONSOLE = "operator_console"


@dataclass(frozen=True)
class Policy:
    """What the ``members`` domain answers for everyone else."""

    # (user, organization or None) -> what the person may do there (outside any: the console)
    permissions: Callable[[Any, Any], frozenset[Permission]]
    # (user, organization) -> the person's membership there, or None
    member: Callable[[Any, Any], Any]
    # user -> ids of the organizations the person is an active member of
    organization_ids: Callable[[Any], list[int]]


class AccessDenied(Exception):
    """Not for this person: ``not_found`` (it does not exist for them) or forbidden."""

    def __init__(self, not_found: bool = True, permission: Permission | None = None,
                 organization: Any = None):
        super().__init__("not found" if not_found else "forbidden")
        self.not_found = not_found
        # What was asked for where: lets the refusal page say what is missing and who grants it.
        self.permission = permission
        self.organization = organization


def set_policy(app: Flask, policy: Policy) -> None:
    """Install the access policy (done once, by the ``members`` domain)."""
    app.extensions[POLICY_KEY] = policy


def _policy() -> Policy:
    return current_app.extensions[POLICY_KEY]


def _known(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def permissions(user: Any, organization: Any = None) -> frozenset[Permission]:
    """What ``user`` may do in ``organization`` (None: outside any organization)."""
    if not _known(user):
        return frozenset()
    return _policy().permissions(user, organization)


def current_member(user: Any, organization: Any) -> Any:
    """The person's membership in ``organization`` (roles, status), or None."""
    return _policy().member(user, organization) if _known(user) and organization else None


def organization_ids(user: Any) -> list[int]:
    """Ids of the organizations the person is an active member of."""
    return _policy().organization_ids(user) if _known(user) else []


def can(user: Any, permission: Permission, organization: Any = None) -> bool:
    """Whether ``user`` holds ``permission`` in ``organization`` (or outside any, if None)."""
    return permission in permissions(user, organization)


def decide(granted: frozenset[Permission], permission: Permission) -> frozenset[Permission]:
    """``granted``, or AccessDenied: not found when nothing is granted, forbidden when
    ``permission`` is missing. The one rule behind every page and API answer."""
    if not granted:
        raise AccessDenied(not_found=True)
    if permission not in granted:
        raise AccessDenied(not_found=False)
    return granted


def require(user: Any, permission: Permission, organization: Any = None) -> frozenset[Permission]:
    """The person's permissions in ``organization``, or AccessDenied (see :func:`decide`); a
    missing organization is not found."""
    if organization is None and permission is not Permission.OPERATOR_CONSOLE:
        raise AccessDenied(not_found=True)
    try:
        return decide(permissions(user, organization), permission)
    except AccessDenied as denied:
        denied.permission, denied.organization = permission, organization
        raise


ANSWER_KEY = "registry.access_answer"


def set_answer(app: Flask, answer: Callable[[AccessDenied], Any]) -> None:
    """Let a domain answer refusals itself (``answer(error)`` returns a response, or None for
    the plain 404/403 page)."""
    app.extensions[ANSWER_KEY] = answer


def _answer(error: AccessDenied):
    answer = current_app.extensions.get(ANSWER_KEY)
    if answer is not None:
        response = answer(error)
        if response is not None:
            return response
    return current_app.handle_http_exception(NotFound() if error.not_found else Forbidden())


def init_app(app: Flask) -> None:
    app.register_error_handler(AccessDenied, _answer)
