"""Applications: built from the profile and documents, signed by the head, submitted.
Services flush, never commit."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import func, select

from ...core import clock, signals
from ...core.access import Permission, can
from ...extensions import db, utcnow
from ...organizations.models import Organization
from ...organizations.services.queries import okved_names, profile_codes
from ...text import quoted
from ...trust import trust_store
from .. import signatures
from ..models import Application, Document
from .checks import limits, signature_max_bytes
from .store import DocumentError, FileCleanup, read_file, store_bytes, store_upload
from .uploads import document_or_none, record_event

log = logging.getLogger(__name__)


def _notify_application_status(application: Application) -> None:
    """The head (the person who registered the organization) learns the new status."""
    from ...notices.kinds import APPLICATION_STATUS
    from ...notices.services import notify

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
    """The organization's applications, newest first, their documents loaded with them."""
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(select(Application).options(selectinload(Application.documents)).where(
        Application.organization_id == organization.id).order_by(Application.number.desc())))


def outcomes(found: list[Application], *, verify: bool = False) -> dict[int, dict]:
    """What became of the submitted ones among ``found`` after submission (the operator's
    review answers ``signals.application_outcomes``): ``{application id: outcome}``."""
    merged: dict[int, dict] = {}
    for answer in signals.send(signals.application_outcomes, applications=found, verify=verify):
        merged.update(answer or {})
    return merged


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
    from ..pdf import render_application

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
    stored = store_bytes(pdf, f"zayavlenie-{number}.pdf")
    cleanup.written(stored.key)
    application = Application(
        organization_id=organization.id, number=number, status=Application.DRAFT, data=data,
        profile_version=organization.version, pdf_key=stored.key, pdf_sha256=stored.sha256,
        pdf_size=stored.size, created_by_id=getattr(user, "id", None), created_at=now)
    application.documents = attached
    db.session.add(application)
    db.session.flush()
    record_event(organization, "applications", user, remote_addr,
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
    record_event(application.organization_id, "applications", actor, remote_addr,
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
    stored = store_upload(stream, filename)
    cleanup.written(stored.key)
    pdf = read_file(application.pdf_key)
    if hashlib.sha256(pdf).hexdigest() != application.pdf_sha256:
        log.error("application %s: stored PDF %s does not match its hash", application.id, application.pdf_key)
        raise DocumentError("Файл заявления повреждён в хранилище: сформируйте заявление заново.")
    store = trust_store()
    if stored.kind == "cms":
        check = signatures.verify_detached(read_file(stored.key), pdf, trust_store=store,
                                           max_bytes=signature_max_bytes(), **limits())
        kind = "cms"
    elif stored.kind == "pdf":
        kind = "pdf"
        # Signing adds one incremental update of some kilobytes (the CMS and a few objects);
        # anything much larger is not this application signed, and is not parsed at all.
        if stored.size > len(pdf) + signature_max_bytes() + 256 * 1024:
            cleanup.discard_after_commit(stored.key)
            raise DocumentError("Загруженный PDF намного больше файла заявления: это не подписанный файл "
                                "этого заявления. Скачайте PDF заявления и подпишите его без изменений.")
        signed = read_file(stored.key)
        checks = [c for c in signatures.verify_pdf(signed, trust_store=store, **limits())]
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
    record_event(application.organization_id, "applications", actor, remote_addr,
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
    record_event(application.organization_id, "applications", actor, remote_addr, f"Подано: {application.title}")
    signals.send(signals.application_submitted, application=application, actor=actor)
