"""Checking a document's file and signature (through :mod:`..signatures`), in the request
or in the background for large files, and re-queueing checks a crash left pending."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ...extensions import db, utcnow
from ...trust import trust_store
from .. import signatures
from ..models import Document
from .store import file_store, read_file

log = logging.getLogger(__name__)


def limits() -> dict:
    config = current_app.config
    return {"max_certificates": int(config["REGISTRY_SIGNATURE_MAX_CERTS"])}


def signature_max_bytes() -> int:
    return int(current_app.config["REGISTRY_SIGNATURE_MAX_KB"]) * 1024


def needs_background_check(document: Document) -> bool:
    """Whether checking this document's signatures could hold a request for seconds: a PDF
    or signed content larger than REGISTRY_SIGNATURE_INLINE_MB."""
    if not (document.signature_key or document.file_kind == "pdf"):
        return False
    return document.file_size > int(current_app.config["REGISTRY_SIGNATURE_INLINE_MB"]) * 1024 * 1024


def check(document: Document) -> list[dict]:
    """Verify now if that is quick, else mark the verdict «проверяется» and verify in a
    background job once this request commits."""
    if not needs_background_check(document):
        return verify(document)
    from ...jobs import after_commit
    from ..tasks import verify_document

    kind = "cms" if document.signature_key else "pdf"
    # The row is the record that a check is owed (requeue_pending_checks finds it again when
    # the job is lost); queued_at says since when.
    document.checks = [{"valid": False, "code": signatures.PENDING, "kind": kind,
                        "message": signatures.MESSAGES[signatures.PENDING], "intact": False,
                        "signing_time": None, "signer": None, "certificate": None,
                        "queued_at": utcnow().isoformat()}]
    document.checked_at = None
    db.session.flush()
    after_commit(verify_document, document.id)
    return document.checks


def requeue_pending_checks(older_than: timedelta = timedelta(0)) -> list[int]:
    """Enqueue again (after this unit of work commits) the checks pending for longer than
    ``older_than``; the ids. A check done meanwhile makes its job a no-op."""
    from ...jobs import after_commit
    from ..tasks import verify_document

    cutoff, now = utcnow() - older_than, utcnow()
    ids = []
    candidates = select(Document).where(Document.checked_at.is_(None)).order_by(Document.id)
    for document in db.session.scalars(candidates):
        pending = [c for c in document.checks or [] if c.get("code") == signatures.PENDING]
        if not pending:
            continue
        queued = pending[0].get("queued_at")
        if queued and older_than and datetime.fromisoformat(queued) > cutoff:
            continue
        document.checks = [{**c, "queued_at": now.isoformat()} if c in pending else c
                           for c in document.checks]
        ids.append(document.id)
        after_commit(verify_document, document.id)
    if ids:
        db.session.flush()
        log.info("re-enqueued %d pending signature check(s): %s", len(ids), ids)
    return ids


def verify(document: Document) -> list[dict]:
    """Verify the document's signatures now: embedded (PDF) and detached (CMS), every signer
    through the one verifier (as the report and the API), and store it."""
    import time

    from flask import has_request_context

    from ...core.measures import SIGNATURE_SECONDS

    started = time.perf_counter()
    try:
        return _verify(document)
    finally:
        SIGNATURE_SECONDS.labels("request" if has_request_context() else "background").observe(
            time.perf_counter() - started)


def _verify(document: Document) -> list[dict]:
    checks: list[signatures.SignatureCheck] = []
    store = trust_store()
    files = file_store()
    if document.signature_key:
        with files.open(document.file_key) as content:
            checks.extend(signatures.check_detached_signers(
                read_file(document.signature_key), content, trust_store=store,
                max_bytes=signature_max_bytes(), **limits()))
    if document.file_kind == "pdf":
        embedded = signatures.check_pdf_signers(files.read(document.file_key), trust_store=store, **limits())
        if document.signature_key:
            embedded = [c for c in embedded if c.code != signatures.NOT_SIGNED]
        checks.extend(embedded)
    elif document.file_kind == "cms" and not document.signature_key:
        checks.append(signatures.SignatureCheck(
            "detached_only", "Это файл открепленной подписи без подписанного документа. Загрузите "
            "подписанный документ, а этот файл приложите к нему как подпись.", kind="cms"))
    document.checks = [c.to_dict() for c in checks]
    document.checked_at = utcnow()
    return document.checks
