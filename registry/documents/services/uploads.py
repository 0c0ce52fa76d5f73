"""The organization's documents: listing, adding with a signature, attaching one later,
deleting. Services flush, never commit."""

from __future__ import annotations

from datetime import date, timedelta
from typing import BinaryIO

from sqlalchemy import bindparam, or_, select

from ...core import clock
from ...core.journal import record
from ...extensions import db
from ...organizations.models import Organization
from ...refdata.dictionaries import OPEN_ENDED_DOCUMENT_TYPES
from ...text import quoted
from .. import storage
from ..models import Application, Document
from .checks import check
from .expiry import EXPIRY_WARNING_DAYS
from .store import DocumentError, FileCleanup, store_upload

_DOCUMENTS = (  # built once (the unfiltered list): SQLAlchemy keeps its cache key
    select(Document).where(Document.organization_id == bindparam("org_id"))
    .order_by(Document.created_at.desc(), Document.id.desc()))


def documents(organization: Organization, *, doc_type: str | None = None, state: str | None = None,
              q: str | None = None, today: date | None = None) -> list[Document]:
    """The organization's documents, filtered by type, state (active/expiring/expired) and number."""
    today = today or clock.today()
    if not doc_type and state not in ("expired", "expiring", "active"):  # the list as it opens
        found = list(db.session.scalars(_DOCUMENTS, {"org_id": organization.id}))
        return _matching(found, q)
    stmt = select(Document).where(Document.organization_id == organization.id)
    if doc_type:
        stmt = stmt.where(Document.doc_type == doc_type)
    if state == "expired":
        stmt = stmt.where(Document.expires_on < today)
    elif state == "expiring":
        stmt = stmt.where(Document.expires_on >= today,
                          Document.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS))
    elif state == "active":
        stmt = stmt.where(or_(Document.expires_on.is_(None), Document.expires_on >= today))
    return _matching(list(db.session.scalars(
        stmt.order_by(Document.created_at.desc(), Document.id.desc()))), q)


def _matching(found: list[Document], q: str | None) -> list[Document]:
    if q and q.strip():
        # Numbers are matched in Python: SQLite's lower() knows only ASCII, and an organization
        # has tens of documents, not millions.
        needle = q.strip().casefold()
        found = [d for d in found if needle in d.number.casefold()]
    return found


def document_or_none(organization: Organization, document_id: int) -> Document | None:
    return db.session.scalar(select(Document).where(
        Document.id == document_id, Document.organization_id == organization.id))


def add_document(organization: Organization, *, user, stream: BinaryIO, filename: str | None,
                 doc_type: str, number: str, doc_date: date, expires_on: date | None,
                 signature_stream: BinaryIO | None = None, signature_filename: str | None = None,
                 cleanup: FileCleanup, remote_addr: str | None = None) -> Document:
    """Store an uploaded document (and its detached signature), verify signatures, add the row."""
    if expires_on is None and doc_type not in OPEN_ENDED_DOCUMENT_TYPES:
        raise DocumentError("Документ этого вида имеет срок действия: укажите дату «Действует до».")
    if expires_on is not None and expires_on < doc_date:
        raise DocumentError("Срок действия не может закончиться раньше даты документа.")
    stored = store_upload(stream, filename)
    cleanup.written(stored.key)
    signature = None
    if signature_stream is not None and signature_filename:
        signature = _signature_file(signature_stream, signature_filename, cleanup)
    document = Document(
        organization_id=organization.id, doc_type=doc_type, number=number.strip(), doc_date=doc_date,
        expires_on=expires_on, file_key=stored.key, file_name=stored.original_name,
        file_size=stored.size, file_sha256=stored.sha256, file_kind=stored.kind,
        media_type=stored.media_type, uploaded_by_id=getattr(user, "id", None), checks=[])
    if signature is not None:
        document.signature_key, document.signature_name, document.signature_size = \
            signature.key, signature.original_name, signature.size
    db.session.add(document)
    db.session.flush()
    check(document)
    record_event(organization, "documents", user, remote_addr,
             f"Загружен документ {quoted(document.title)}, файл {document.file_name}"
             + (f", подпись {document.signature_name}" if document.signature_name else ""))
    return document


def record_event(organization, event: str, actor, remote_addr: str | None, details: str) -> None:
    record(organization, event, actor=actor, subject=actor, details=details, remote_addr=remote_addr)


def _signature_file(stream: BinaryIO, filename: str, cleanup: FileCleanup) -> storage.StoredFile:
    stored = store_upload(stream, filename)
    cleanup.written(stored.key)
    if stored.kind != "cms":
        raise DocumentError(f"Файл подписи «{stored.original_name}» не является открепленной подписью "
                            "CMS: выберите файл .sig или .p7s.")
    return stored


def attach_signature(document: Document, *, stream: BinaryIO, filename: str,
                     cleanup: FileCleanup, actor=None, remote_addr: str | None = None) -> list[dict]:
    """Add (or replace) the detached signature of a document and verify it."""
    if document.file_kind == "cms":
        raise DocumentError("Этот документ сам является файлом подписи.")
    signature = _signature_file(stream, filename, cleanup)
    cleanup.discard_after_commit(document.signature_key)
    document.signature_key, document.signature_name, document.signature_size = \
        signature.key, signature.original_name, signature.size
    checks = check(document)
    db.session.flush()
    record_event(document.organization_id, "documents", actor, remote_addr,
             f"К документу {quoted(document.title)} загружена подпись {document.signature_name}")
    return checks


def why_kept(document: Document) -> str:
    """Why a document attached to an application cannot be deleted, and what can be done: a
    draft may be deleted first; a signed or submitted application keeps its documents."""
    names = ", ".join(f"«{a.title}» ({a.status_title.lower()})" for a in document.applications)
    text = f"Документ «{document.title}» приложен к заявлению {names} и не может быть удален."
    if all(a.status == Application.DRAFT for a in document.applications):
        return text + " Удалите черновик заявления, если документ больше не нужен."
    return text + " Документы подписанного или поданного заявления хранятся вместе с ним."


def delete_document(document: Document, cleanup: FileCleanup, *, actor=None,
                    remote_addr: str | None = None) -> None:
    """Delete a document unless an application holds it (the message names which)."""
    if document.applications:
        raise DocumentError(why_kept(document))
    cleanup.discard_after_commit(document.file_key)
    cleanup.discard_after_commit(document.signature_key)
    record_event(document.organization_id, "documents", actor, remote_addr,
             f"Удален документ {quoted(document.title)}, файл {document.file_name}")
    db.session.delete(document)
    db.session.flush()
