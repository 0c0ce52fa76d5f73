"""Documents and applications: storing, verifying, attaching, signing. Services flush, never commit.

Every file goes through :mod:`.storage` (typed by content, size-limited, written atomically,
outside anything served) and every signature through :mod:`.signatures`. A file written for a
refused or rolled-back request is removed again, so the store holds only what rows point at.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import bindparam, func, or_, select

from ..core import clock
from ..core.access import Permission, can
from ..core.journal import record
from ..extensions import db, utcnow
from ..organizations.models import Organization
from ..organizations.services import okved_names, profile_codes
from ..refdata.dictionaries import OPEN_ENDED_DOCUMENT_TYPES
from ..text import in_days, plural_days, quoted
from ..trust import trust_store
from . import filestore, signatures, storage
from .models import Application, Document

log = logging.getLogger(__name__)

EXPIRY_WARNING_DAYS = 30


class DocumentError(Exception):
    """A rule the person can act on; the message is shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# -- the store ------------------------------------------------------------------------------------
def files_root() -> Path:
    root = current_app.config.get("REGISTRY_FILES_DIR")
    return Path(root) if root else Path(current_app.instance_path) / "files"


def max_bytes() -> int:
    return int(current_app.config["REGISTRY_UPLOAD_MAX_MB"]) * 1024 * 1024


def file_store() -> filestore.FileStore:
    return filestore.current()


def file_path(key: str) -> Path:
    """The local path of a stored file (the local-disk store only)."""
    store = file_store()
    if not isinstance(store, filestore.LocalStore):
        raise ValueError("files are not on the local disk")
    return store.path(key)


def read_file(key: str) -> bytes:
    return file_store().read(key)


def send_stored(key: str, name: str, media_type: str):
    """A streamed download of a stored file (call after the permission check); 404 if gone."""
    from flask import abort

    try:
        return file_store().send(key, name, media_type)
    except (FileNotFoundError, ValueError):
        abort(404)


def _store(stream: BinaryIO, filename: str | None) -> storage.StoredFile:
    try:
        return file_store().save(stream, filename, max_bytes=max_bytes())
    except storage.UploadError as exc:
        raise DocumentError(str(exc)) from None


def _store_bytes(data: bytes, name: str) -> storage.StoredFile:
    import io
    return _store(io.BytesIO(data), name)


class FileCleanup:
    """Remember files written during a request; remove them unless the request commits.

    Files are written before the rows that point at them; a later failure must not leave an
    orphan behind. ``after_commit`` only forgets; anything else removes.
    """

    def __init__(self):
        self.keys: list[str] = []
        self.obsolete: list[str] = []

    def written(self, key: str) -> None:
        self.keys.append(key)

    def discard_after_commit(self, key: str | None) -> None:
        if key:
            self.obsolete.append(key)

    def committed(self) -> None:
        for key in self.obsolete:
            file_store().delete(key)
        self.keys, self.obsolete = [], []

    def rollback(self) -> None:
        for key in self.keys:
            file_store().delete(key)
        self.keys, self.obsolete = [], []


def referenced_keys() -> set[str]:
    """Every file key a row points at."""
    keys: set[str] = set()
    for column in (Document.file_key, Document.signature_key, Application.pdf_key,
                   Application.signature_key):
        keys.update(k for k in db.session.scalars(select(column).where(column.is_not(None))) if k)
    return keys


def sweep_files(older_than: int = 3600) -> int:
    """Remove stored files no row points at, written more than ``older_than`` seconds ago (left
    by a worker killed between writing a file and committing its row); how many."""
    return file_store().sweep(referenced_keys(), older_than)


# -- documents ------------------------------------------------------------------------------------
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


def _limits() -> dict:
    config = current_app.config
    return {"max_certificates": int(config["REGISTRY_SIGNATURE_MAX_CERTS"])}


def _signature_max_bytes() -> int:
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
    from ..jobs import after_commit
    from .tasks import verify_document

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
    from ..jobs import after_commit
    from .tasks import verify_document

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
    """Verify the document's signatures now: embedded (PDF) and detached (CMS), and store it."""
    import time

    from flask import has_request_context

    from ..core.measures import SIGNATURE_SECONDS

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
            checks.append(signatures.verify_detached(read_file(document.signature_key), content,
                                                     trust_store=store, max_bytes=_signature_max_bytes(),
                                                     **_limits()))
    if document.file_kind == "pdf":
        embedded = signatures.verify_pdf(files.read(document.file_key), trust_store=store, **_limits())
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


def add_document(organization: Organization, *, user, stream: BinaryIO, filename: str | None,
                 doc_type: str, number: str, doc_date: date, expires_on: date | None,
                 signature_stream: BinaryIO | None = None, signature_filename: str | None = None,
                 cleanup: FileCleanup, remote_addr: str | None = None) -> Document:
    """Store an uploaded document (and its detached signature), verify signatures, add the row."""
    if expires_on is None and doc_type not in OPEN_ENDED_DOCUMENT_TYPES:
        raise DocumentError("Документ этого вида имеет срок действия: укажите дату «Действует до».")
    if expires_on is not None and expires_on < doc_date:
        raise DocumentError("Срок действия не может закончиться раньше даты документа.")
    stored = _store(stream, filename)
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
    _journal(organization, "documents", user, remote_addr,
             f"Загружен документ {quoted(document.title)}, файл {document.file_name}"
             + (f", подпись {document.signature_name}" if document.signature_name else ""))
    return document


def _journal(organization, event: str, actor, remote_addr: str | None, details: str) -> None:
    record(organization, event, actor=actor, subject=actor, details=details, remote_addr=remote_addr)


def _signature_file(stream: BinaryIO, filename: str, cleanup: FileCleanup) -> storage.StoredFile:
    stored = _store(stream, filename)
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
    _journal(document.organization_id, "documents", actor, remote_addr,
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
    _journal(document.organization_id, "documents", actor, remote_addr,
             f"Удален документ {quoted(document.title)}, файл {document.file_name}")
    db.session.delete(document)
    db.session.flush()


_EXPIRING = (  # built once (the organization page runs it): SQLAlchemy keeps its cache key
    select(Document).where(Document.organization_id == bindparam("org_id"),
                           Document.expires_on <= bindparam("until"))
    .order_by(Document.expires_on))


def expiring(organization: Organization, today: date | None = None) -> list[Document]:
    today = today or clock.today()
    return list(db.session.scalars(_EXPIRING, {"org_id": organization.id,
                                               "until": today + timedelta(days=EXPIRY_WARNING_DAYS)}))


def expiry_notices(organization: Organization) -> list[tuple[str, str]]:
    """Notices for the organization page: documents expired or expiring within 30 days."""
    today = clock.today()
    notices = []
    for document in expiring(organization, today):
        left = document.days_left(today)
        if left is None:
            continue
        if left < 0:
            notices.append(("error", f"Срок действия документа «{document.title}» истёк "
                                     f"{document.expires_on:%d.%m.%Y}. Загрузите действующий документ."))
        else:
            when = "сегодня" if left == 0 else f"через {left} {plural_days(left)}"
            notices.append(("warning", f"Срок действия документа «{document.title}» истекает "
                                       f"{document.expires_on:%d.%m.%Y} ({when})."))
    return notices


NOTICE_THRESHOLDS = (30, 14, 7, 1, 0)


def _documents_people(organization_id: int) -> list:
    """Active members whose roles carry the documents permission."""
    from ..members.models import Membership, MemberStatus, Permission, roles_granting

    granting = {r.value for r in roles_granting(Permission.DOCUMENTS)}
    members = db.session.scalars(select(Membership).where(
        Membership.organization_id == organization_id,
        Membership.status == MemberStatus.ACTIVE.value))
    return [m.user for m in members if granting & set(m.roles or [])]


def notify_expiring_documents(today: date | None = None) -> int:
    """Notices to those with the documents permission: a document expires in 30, 14, 7 or
    1 days, or today (each threshold once per document and expiry date)."""
    from ..notices.kinds import DOCUMENT_EXPIRY
    from ..notices.services import notify, threshold_reached

    today = today or clock.today()
    found = db.session.scalars(select(Document).where(
        Document.expires_on >= today,
        Document.expires_on <= today + timedelta(days=max(NOTICE_THRESHOLDS)))
        .order_by(Document.organization_id, Document.expires_on))
    sent, people = 0, {}
    for document in found:
        left = document.days_left(today)
        if left is None:  # open-ended («Бессрочно»): the statement does not select it anyway
            continue
        reached = threshold_reached(left, NOTICE_THRESHOLDS)
        if reached is None:
            continue
        if document.organization_id not in people:
            people[document.organization_id] = _documents_people(document.organization_id)
        when = in_days(left)
        organization = db.session.get(Organization, document.organization_id)
        for user in people[document.organization_id]:
            sent += notify(
                user, DOCUMENT_EXPIRY, f"{document.id}:{document.expires_on}:{reached}",
                f"Срок действия документа «{document.title}» истекает {when}",
                f"Документ «{document.title}» организации {organization.name if organization else ''} "
                f"действует по {document.expires_on:%d.%m.%Y}. Загрузите действующий документ.",
                url=f"/organizations/{document.organization_id}/documents/{document.id}",
                organization=organization) is not None
    return sent


def _notify_application_status(application: Application) -> None:
    """The head (the person who registered the organization) learns the new status."""
    from ..notices.kinds import APPLICATION_STATUS
    from ..notices.services import notify

    organization = db.session.get(Organization, application.organization_id)
    head = organization.registered_by if organization is not None else None
    if head is None:
        return
    notify(head, APPLICATION_STATUS, f"{application.id}:{application.status}",
           f"{application.title}: {application.status_title.lower()}",
           f"Статус заявления «{application.title}» изменился: {application.status_title}.",
           url=f"/organizations/{application.organization_id}/applications/{application.id}",
           organization=organization)


# -- applications ---------------------------------------------------------------------------------
def applications(organization: Organization) -> list[Application]:
    return list(db.session.scalars(select(Application).where(
        Application.organization_id == organization.id).order_by(Application.number.desc())))


def application_or_none(organization: Organization, application_id: int) -> Application | None:
    return db.session.scalar(select(Application).where(
        Application.id == application_id, Application.organization_id == organization.id))


def document_summary(document: Document) -> dict:
    return {"id": document.id, "type": document.doc_type, "type_title": document.type_title,
            "number": document.number, "date": document.doc_date.isoformat(),
            "expires_on": document.expires_on.isoformat() if document.expires_on else None,
            "file_name": document.file_name,
            "size": document.file_size, "sha256": document.file_sha256,
            "signature": document.signature_state}


def application_data(organization: Organization, attached: list[Document]) -> dict:
    """Everything the application states: the profile, the ЕГРЮЛ data, the attached documents."""
    return {"organization": {"kind": organization.kind, "ogrn": organization.ogrn,
                             "inn": organization.inn, "kpp": organization.kpp,
                             "full_name": organization.full_name, "short_name": organization.short_name,
                             "egrul_confirmed": organization.egrul_confirmed},
            "party": organization.party or {}, "profile": organization.data or {},
            "okved_names": okved_names(profile_codes(organization.data or {})),
            "documents": [document_summary(d) for d in attached]}


def create_application(organization: Organization, *, user, document_ids: list[int],
                       cleanup: FileCleanup, remote_addr: str | None = None) -> Application:
    """Form an application from the current profile with the chosen documents; render its PDF."""
    from .pdf import render_application

    if organization.is_blocked:
        raise DocumentError("Организация заблокирована оператором реестра: заявление сформировать нельзя.")
    attached = [d for d in (document_or_none(organization, i) for i in dict.fromkeys(document_ids)) if d]
    if len(attached) != len(set(document_ids)):
        raise DocumentError("Выбранный документ не найден: обновите страницу.")
    if not attached:
        raise DocumentError("Приложите к заявлению хотя бы один документ.")
    expired = [d for d in attached if d.expires_on is not None and d.expires_on < clock.today()]
    if expired:
        raise DocumentError("Срок действия документа «" + "», «".join(d.title for d in expired)
                            + "» истёк: приложите действующий документ.")
    number = (db.session.scalar(select(func.max(Application.number)).where(
        Application.organization_id == organization.id)) or 0) + 1
    now = utcnow()
    data = application_data(organization, attached)
    pdf = render_application(data, number=number, created_at=now)
    stored = _store_bytes(pdf, f"zayavlenie-{number}.pdf")
    cleanup.written(stored.key)
    application = Application(
        organization_id=organization.id, number=number, status=Application.DRAFT, data=data,
        profile_version=organization.version, pdf_key=stored.key, pdf_sha256=stored.sha256,
        pdf_size=stored.size, created_by_id=getattr(user, "id", None), created_at=now)
    application.documents = attached
    db.session.add(application)
    db.session.flush()
    _journal(organization, "applications", user, remote_addr,
             f"Сформировано {application.title}; документы: " + ", ".join(quoted(d.title) for d in attached))
    return application


def may_delete_application(application: Application, user) -> bool:
    """Only the draft's author or an administrator of the organization may delete it: the
    «Работа с заявлениями» role lets a member see and form applications, not discard the
    head's."""
    if user is None:
        return False
    return (application.created_by_id is not None and application.created_by_id == user.id) \
        or can(user, Permission.ASSIGN_ROLES, application.organization)


def delete_application(application: Application, cleanup: FileCleanup, *, actor=None,
                       remote_addr: str | None = None) -> None:
    if application.status != Application.DRAFT:
        raise DocumentError(f"{application.title} уже {application.status_title.lower()}: удалить "
                            "можно только черновик.")
    if not may_delete_application(application, actor):
        raise DocumentError(f"Удалить черновик «{application.title}» может только его автор или "
                            "администратор организации.")
    cleanup.discard_after_commit(application.pdf_key)
    _journal(application.organization_id, "applications", actor, remote_addr,
             f"Удален черновик: {application.title}")
    application.documents = []
    db.session.delete(application)
    db.session.flush()


@dataclass
class HeadMatch:
    ok: bool
    reason: str = ""


def _norm(*parts: str | None) -> str:
    return " ".join(" ".join(p or "" for p in parts).replace("ё", "е").replace("Ё", "Е").lower().split())


def head_identity(organization: Organization) -> dict:
    """Who the head is, by every source: the profile's head, the registering person, ЕГРЮЛ."""
    head = (organization.data or {}).get("head") or {}
    egrul = (organization.party or {}).get("head") or {}
    registrar = organization.registered_by
    names = {_norm(head.get("surname"), head.get("given"), head.get("patronymic")),
             _norm(egrul.get("surname"), egrul.get("given"), egrul.get("patronymic")),
             _norm(egrul.get("full_name"))}
    return {
        "kind": head.get("kind") or egrul.get("kind") or "person",
        "inns": {v for v in (head.get("inn"), egrul.get("inn"), getattr(registrar, "inn", None)) if v},
        "snils": {v for v in (head.get("snils"), getattr(registrar, "snils", None)) if v},
        "names": {n for n in names if n},
        "le_ogrn": head.get("le_ogrn") or egrul.get("ogrn"),
        "le_inn": head.get("le_inn") or (egrul.get("inn") if egrul.get("kind") == "legal_entity" else None),
        "display": (" ".join(p for p in (head.get("surname"), head.get("given"), head.get("patronymic")) if p)
                    or head.get("le_full_name") or egrul.get("full_name")
                    or getattr(registrar, "full_name", None) or "не указан"),
    }


def signer_is_head(organization: Organization, signer) -> HeadMatch:
    """Whether the certificate ``signer`` belongs to the organization's head.

    Personal identifiers decide when both sides have them (СНИЛС, then personal ИНН); ФИО only
    when neither does. An entrepreneur also matches by ОГРНИП, a managing organization by ОГРН.
    """
    who = head_identity(organization)
    mine = signer.full_name or signer.subject
    if organization.kind == "ip" and signer.ogrnip and signer.ogrnip == organization.ogrn:
        return HeadMatch(True)
    if who["kind"] == "legal_entity":
        ok = bool(who["le_ogrn"] and signer.ogrn == who["le_ogrn"]) or \
            bool(who["le_inn"] and signer.inn_le == who["le_inn"])
        return HeadMatch(ok, "" if ok else f"подпись сделана сертификатом «{mine}», а руководителем "
                                           f"организации является управляющая организация «{who['display']}»")
    snils, inn = signer.snils, signer.personal_inn
    if snils and who["snils"]:
        if snils in who["snils"]:
            return HeadMatch(True)
        return HeadMatch(False, f"СНИЛС в сертификате подписанта «{mine}» не совпадает со СНИЛС "
                                f"руководителя ({who['display']})")
    if inn and who["inns"]:
        if inn in who["inns"]:
            return HeadMatch(True)
        return HeadMatch(False, f"ИНН в сертификате подписанта «{mine}» не совпадает с ИНН "
                                f"руководителя ({who['display']})")
    if _norm(signer.surname, signer.given_names) in who["names"] or _norm(signer.full_name) in who["names"]:
        return HeadMatch(True)
    return HeadMatch(False, f"подписант «{mine}» не является руководителем организации "
                            f"({who['display']})")


HEAD_MISMATCH = "not_head"
NOT_THIS_PDF = "not_this_pdf"


def sign_application(application: Application, *, stream: BinaryIO, filename: str,
                     cleanup: FileCleanup, actor=None, remote_addr: str | None = None) -> dict:
    """Accept the head's signature of the application: a detached CMS over the stored PDF, or the
    stored PDF signed (an incremental update of exactly those bytes).

    The verdict is stored either way; the status becomes «подписано» only when the signature is
    valid, covers exactly the application's bytes, and the signer is the head.
    """
    if application.status == Application.SUBMITTED:
        raise DocumentError(f"{application.title} уже подано: подпись изменить нельзя.")
    stored = _store(stream, filename)
    cleanup.written(stored.key)
    pdf = read_file(application.pdf_key)
    if hashlib.sha256(pdf).hexdigest() != application.pdf_sha256:
        log.error("application %s: stored PDF %s does not match its hash", application.id, application.pdf_key)
        raise DocumentError("Файл заявления повреждён в хранилище: сформируйте заявление заново.")
    store = trust_store()
    if stored.kind == "cms":
        check = signatures.verify_detached(read_file(stored.key), pdf, trust_store=store,
                                           max_bytes=_signature_max_bytes(), **_limits())
        kind = "cms"
    elif stored.kind == "pdf":
        kind = "pdf"
        # Signing adds one incremental update of some kilobytes (the CMS and a few objects);
        # anything much larger is not this application signed, and is not parsed at all.
        if stored.size > len(pdf) + _signature_max_bytes() + 256 * 1024:
            cleanup.discard_after_commit(stored.key)
            raise DocumentError("Загруженный PDF намного больше файла заявления: это не подписанный файл "
                                "этого заявления. Скачайте PDF заявления и подпишите его без изменений.")
        signed = read_file(stored.key)
        checks = [c for c in signatures.verify_pdf(signed, trust_store=store, **_limits())]
        check = checks[-1]
        if not signed.startswith(pdf) or len(signed) == len(pdf):
            check = signatures.SignatureCheck(
                NOT_THIS_PDF, "Загруженный PDF не является подписанным файлом этого заявления: скачайте "
                "PDF заявления и подпишите его без изменений.", kind="pdf", signer=check.signer,
                signing_time=check.signing_time)
        elif check.valid and check.details.get("coverage") != "ENTIRE_FILE":
            check = signatures.SignatureCheck(
                signatures.DIGEST_MISMATCH, signatures.MESSAGES[signatures.DIGEST_MISMATCH], kind="pdf",
                signer=check.signer, signing_time=check.signing_time)
    else:
        raise DocumentError("Загрузите открепленную подпись (.sig, .p7s) файла заявления или подписанный PDF.")
    if check.valid:
        match = signer_is_head(application.organization, check.signer)
        if not match.ok:
            check = signatures.SignatureCheck(
                HEAD_MISMATCH, f"Заявление должен подписать руководитель организации: {match.reason}.",
                kind=check.kind, signer=check.signer, signing_time=check.signing_time, intact=True,
                certificate=check.certificate)
    result = check.to_dict()
    application.check = result
    if check.valid:
        assert check.signer is not None  # a valid signature has its signer
        cleanup.discard_after_commit(application.signature_key)
        application.signature_key, application.signature_kind = stored.key, kind
        application.signature_name = stored.original_name
        application.signer_name = check.signer.full_name
        application.signed_at = utcnow()
        application.status = Application.SIGNED
        _notify_application_status(application)
    else:
        cleanup.discard_after_commit(stored.key)  # kept only for a valid signature
    db.session.flush()
    _journal(application.organization_id, "applications", actor, remote_addr,
             f"{application.title}: " + (f"подписано, подписал {check.signer.full_name}"
                                         if check.valid and check.signer is not None
                                         else f"подпись не принята — {check.message}"))
    return result


def submit_application(application: Application, *, actor=None, remote_addr: str | None = None) -> None:
    if application.status == Application.SUBMITTED:
        raise DocumentError(f"{application.title} уже подано.")
    if application.status != Application.SIGNED:
        raise DocumentError("Подать можно только подписанное руководителем заявление: загрузите подпись.")
    application.status = Application.SUBMITTED
    application.submitted_at = utcnow()
    db.session.flush()
    _notify_application_status(application)
    _journal(application.organization_id, "applications", actor, remote_addr, f"Подано: {application.title}")
