"""The operator's periodic job: notices about CRL and trust-list problems."""

from __future__ import annotations

from flask import Flask

from ..jobs import minutes, periodic


@periodic("trust_notices", minutes("REGISTRY_CRL_REFRESH_MINUTES"))
def trust_notices(app: Flask) -> None:
    """Tell operators about a CRL that is stale, missing or about to expire, a CA whose
    accreditation ended, and trust-store files that could not be loaded."""
    from .services import notify_trust_problems

    notify_trust_problems()
