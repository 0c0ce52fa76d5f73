"""The registry's own periodic jobs (the domains register theirs in their ``tasks`` modules):
the CRL refresh of the trust store and the expiry-notice round."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask

from . import minutes, periodic

log = logging.getLogger(__name__)


@periodic("crl_refresh", minutes("REGISTRY_CRL_REFRESH_MINUTES"))
def crl_refresh(app: Flask) -> None:
    """One CRL refresh of the trust store."""
    from ..trust import refresh_crls

    refresh_crls(app)


# Expiry notices: what to send and to whom is decided elsewhere; each registered callable gets
# the application once per period.
EXPIRY_NOTIFIERS: list[Callable[[Flask], None]] = []


def register_expiry_notifier(fn: Callable[[Flask], None]) -> Callable[[Flask], None]:
    if fn not in EXPIRY_NOTIFIERS:
        EXPIRY_NOTIFIERS.append(fn)
    return fn


@periodic("expiry_notices", minutes("REGISTRY_EXPIRY_NOTICE_MINUTES"))
def expiry_notices(app: Flask) -> None:
    for notify in list(EXPIRY_NOTIFIERS):
        notify(app)
