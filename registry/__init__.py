"""Registry of organizations whose people sign in with qualified electronic-signature certificates.

The package itself loads nothing heavy: ``registry.pki`` and ``registry.identifiers`` are
usable without Flask or SQLAlchemy. ``create_app`` (and ``MIGRATIONS_DIR``) come from
:mod:`registry.app` on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import MIGRATIONS_DIR, create_app

_LAZY = {"create_app", "MIGRATIONS_DIR"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module 'registry' has no attribute {name!r}")


__all__ = ["create_app", "MIGRATIONS_DIR"]
