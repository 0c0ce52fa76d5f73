"""The documents domain's background jobs: signature checks of large files, the file sweep."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from ..jobs import job, minutes, on_consumer_start, periodic
from ..jobs.tasks import register_expiry_notifier


@job(retries=3, retry_delay=10, backoff=2.0)
def verify_document(document_id: int) -> None:
    """Verify the signatures of a document too large to check during its upload."""
    from ..extensions import db
    from .models import Document
    from .services import checks

    document = db.session.get(Document, document_id)
    if document is None or document.signature_state != "pending":
        return  # deleted, or already verified (a check re-enqueued after a restart)
    checks.verify(document)


@periodic("signature_checks", minutes("REGISTRY_SIGNATURE_RECHECK_MINUTES"))
def signature_checks(app: Flask) -> None:
    """Re-enqueue signature checks pending longer than a period: their job was lost (the web
    process killed between its commit and the enqueue, a worker killed mid-check)."""
    from datetime import timedelta

    from .services.checks import requeue_pending_checks

    requeue_pending_checks(older_than=timedelta(
        minutes=int(app.config["REGISTRY_SIGNATURE_RECHECK_MINUTES"])))


@on_consumer_start
def pending_checks_at_start(app: Flask) -> None:
    """A consumer starting (after a crash, too) re-enqueues every pending signature check."""
    from .services.checks import requeue_pending_checks

    requeue_pending_checks()


@periodic("files_sweep", minutes("REGISTRY_FILES_SWEEP_MINUTES"))
def files_sweep(app: Flask) -> None:
    """Remove files left by killed workers (written but never committed)."""
    from .services.store import sweep_files

    sweep_files()


@register_expiry_notifier
def document_expiry_notices(app: Flask) -> None:
    """Part of the daily expiry round: documents about to expire, to those who keep them."""
    from .services.expiry import notify_expiring_documents

    notify_expiring_documents()


@click.group("files", help="Хранилище файлов.")
def files_cli() -> None:
    pass


@files_cli.command("sweep")
@click.option("--older-than", default=3600, show_default=True, help="Seconds.")
@with_appcontext
def sweep_command(older_than: int) -> None:
    """Remove files left by killed workers (written but never committed)."""
    from .services.store import sweep_files

    removed = sweep_files(older_than=older_than)
    click.echo(f"removed {removed} leftover file(s)")
