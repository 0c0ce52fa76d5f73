"""The МЧД domain's periodic job: what expired or revoked powers of attorney granted is taken
back, with notices; those about to expire are reminded of 30, 7 and 1 days before."""

from __future__ import annotations

import logging

from flask import Flask

from ..jobs import minutes, periodic

log = logging.getLogger(__name__)


@periodic("mchd_sweep", minutes("REGISTRY_MCHD_CHECK_MINUTES"))
def mchd_sweep(app: Flask) -> None:
    """Suspend what expired or revoked МЧД granted; remind of those about to expire."""
    from .services import sweep

    report = sweep()
    if report.expired or report.revoked:
        log.info("МЧД sweep: %d expired, %d revoked, %d reminded", report.expired, report.revoked,
                 report.reminded)
