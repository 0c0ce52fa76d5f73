"""The reference-data domain's periodic jobs: ЕГРЮЛ/ЕГРИП extracts dropped into a folder."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from flask import Flask

from ..core import uow
from ..jobs import minutes, periodic

log = logging.getLogger(__name__)


@periodic("egrul_reimport", minutes("REGISTRY_EGRUL_IMPORT_MINUTES"))
def egrul_reimport(app: Flask) -> None:
    """Import ЕГРЮЛ/ЕГРИП extracts dropped into REGISTRY_EGRUL_IMPORT_DIR, then move them to
    its ``imported/`` subfolder (a file that fails stays for the next period)."""
    folder = app.config.get("REGISTRY_EGRUL_IMPORT_DIR")
    if not folder:
        return
    from .egrul import import_egrul

    root = Path(folder)
    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in (".xml", ".zip"))
    if not files:
        return
    report = import_egrul([str(p) for p in files])
    log.info("egrul_reimport: %s", report.summary())

    def move_imported() -> None:  # only once the import is committed
        done = root / "imported"
        done.mkdir(exist_ok=True)
        for path in files:
            shutil.move(str(path), done / path.name)

    uow.on_commit(move_imported)
