"""The registry's background and periodic jobs."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask

from . import job, periodic

log = logging.getLogger(__name__)


def _minutes(key: str) -> Callable[[Flask], timedelta]:
    return lambda app: timedelta(minutes=int(app.config[key]))


# -- documents ----------------------------------------------------------------------------------
@job(retries=3, retry_delay=10, backoff=2.0)
def verify_document(document_id: int) -> None:
    """Verify the signatures of a document too large to check during its upload."""
    from ..documents import services
    from ..documents.models import Document
    from ..extensions import db

    document = db.session.get(Document, document_id)
    if document is None:
        return
    services.verify(document)


# -- periodic -----------------------------------------------------------------------------------
@periodic("crl_refresh", _minutes("REGISTRY_CRL_REFRESH_MINUTES"))
def crl_refresh(app: Flask) -> None:
    """One CRL refresh of the trust store (when the trust package provides it)."""
    from .. import trust

    refresh = getattr(trust, "refresh_crls", None)
    if refresh is None:
        log.info("crl_refresh: this version has no registry.trust.refresh_crls; skipped")
        return
    refresh(app)


@periodic("egrul_reimport", _minutes("REGISTRY_EGRUL_IMPORT_MINUTES"))
def egrul_reimport(app: Flask) -> None:
    """Import ЕГРЮЛ/ЕГРИП extracts dropped into REGISTRY_EGRUL_IMPORT_DIR, then move them to
    its ``imported/`` subfolder (a file that fails stays for the next period)."""
    folder = app.config.get("REGISTRY_EGRUL_IMPORT_DIR")
    if not folder:
        return
    from ..refdata.egrul import import_egrul

    root = Path(folder)
    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in (".xml", ".zip"))
    if not files:
        return
    from ..core import uow

    report = import_egrul([str(p) for p in files])
    log.info("egrul_reimport: %s", report.summary())

    def move_imported() -> None:  # only once the import is committed
        done = root / "imported"
        done.mkdir(exist_ok=True)
        for path in files:
            shutil.move(str(path), done / path.name)

    uow.on_commit(move_imported)


# Expiry notices: what to send and to whom is decided elsewhere; each registered callable gets
# the application once per period.
EXPIRY_NOTIFIERS: list[Callable[[Flask], None]] = []


def register_expiry_notifier(fn: Callable[[Flask], None]) -> Callable[[Flask], None]:
    if fn not in EXPIRY_NOTIFIERS:
        EXPIRY_NOTIFIERS.append(fn)
    return fn


@periodic("expiry_notices", _minutes("REGISTRY_EXPIRY_NOTICE_MINUTES"))
def expiry_notices(app: Flask) -> None:
    for notify in list(EXPIRY_NOTIFIERS):
        notify(app)


@periodic("files_sweep", _minutes("REGISTRY_FILES_SWEEP_MINUTES"))
def files_sweep(app: Flask) -> None:
    from ..documents.services import sweep_files

    sweep_files()
