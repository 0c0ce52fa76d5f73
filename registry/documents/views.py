"""«Документы организации» and «Заявление о постановке на специальный учет»."""

from __future__ import annotations

from contextlib import contextmanager

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ..core import uow
from ..core.access import Permission, can
from ..core.forms import submitted
from ..core.web import current_person as _user
from ..extensions import db
from ..organizations.services.queries import organization_or_404
from . import forms
from .services import applications, checks, expiry, store, uploads
from .services.store import DocumentError, FileCleanup

bp = Blueprint("documents", __name__, template_folder="templates",
               url_prefix="/organizations/<int:org_id>/documents")
applications_bp = Blueprint("applications", __name__, template_folder="templates",
                            url_prefix="/organizations/<int:org_id>/applications")

UPLOAD_ENDPOINTS = {"documents.upload", "documents.add_signature", "applications.sign"}


def _limit_mb() -> int:
    return store.max_bytes() // (1024 * 1024)


def _upload_limit(endpoint, values):
    # Runs before CSRFProtect reads the form: uploads may carry a document and its signature,
    # each up to the configured limit; the store refuses a larger file with its own message.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = 2 * store.max_bytes() + 1024 * 1024


bp.url_value_preprocessor(_upload_limit)
applications_bp.url_value_preprocessor(_upload_limit)


def _too_large(error):
    org_id = (request.view_args or {}).get("org_id")
    message = (f"Файл больше допустимых {_limit_mb()} МБ. Уменьшите его (например, сканируйте в "
               "200–300 dpi) или разделите на части.")
    return render_template("documents/too_large.html", message=message, org_id=org_id), 413


bp.register_error_handler(RequestEntityTooLarge, _too_large)
applications_bp.register_error_handler(RequestEntityTooLarge, _too_large)


@contextmanager
def _files():
    """Files written in the block join the request's unit of work: removed if the block fails
    or the request rolls back; files the block replaced are removed once the request commits."""
    cleanup = FileCleanup()
    try:
        with db.session.begin_nested():
            yield cleanup
    except BaseException:
        cleanup.rollback()
        raise
    uow.on_commit(cleanup.committed)
    uow.on_rollback(cleanup.rollback)


def _stored(field, action):
    """``action(cleanup)`` with its files in the unit of work; a DocumentError becomes the
    error of ``field`` (the form field itself, or a function of the message naming it): None."""
    try:
        with _files() as cleanup:
            return action(cleanup)
    except DocumentError as exc:
        target = field if hasattr(field, "errors") else field(exc.message)  # a field renders
        target.errors = [*target.errors, exc.message]
        return None


def _send(key: str, name: str, media_type: str):
    return store.send_stored(key, name, media_type)


# -- documents ------------------------------------------------------------------------------------
def _document(org_id: int, document_id: int, permission=Permission.DOCUMENTS):
    organization = organization_or_404(org_id, permission, _user())
    document = uploads.document_or_none(organization, document_id)
    if document is None:
        abort(404)
    return organization, document


@bp.route("")
def index(org_id: int):
    organization = organization_or_404(org_id, Permission.READ_DOCUMENTS, _user())
    filters = forms.FilterForm(request.args)
    values = {"doc_type": None, "state": None, "q": None}
    if filters.validate():
        values = {k: filters[k].data or None for k in values}
    return render_template("documents/index.html", organization=organization, filters=filters,
                           documents=uploads.documents(organization, **values),
                           can_apply=can(_user(), Permission.APPLICATIONS, organization),
                           warn_days=expiry.EXPIRY_WARNING_DAYS)


@bp.route("/new", methods=["GET", "POST"])
def upload(org_id: int):
    organization = organization_or_404(org_id, Permission.DOCUMENTS, _user())
    form = forms.DocumentForm()
    form.file.description = form.file.description.format(limit=_limit_mb())
    document = submitted(form) and _stored(form.field_for, lambda cleanup: uploads.add_document(
        organization, user=_user(), cleanup=cleanup, remote_addr=request.remote_addr,
        **form.document_values()))
    if document:
        flash(f"Документ «{document.title}» загружен.", "success")
        return redirect(url_for(".detail", org_id=org_id, document_id=document.id))
    return render_template("documents/upload.html", organization=organization, form=form,
                           accept=forms.ACCEPT), 422 if form.is_submitted() else 200


@bp.route("/<int:document_id>")
def detail(org_id: int, document_id: int):
    organization, document = _document(org_id, document_id, Permission.READ_DOCUMENTS)
    return render_template("documents/detail.html", organization=organization, document=document,
                           why_kept=uploads.why_kept(document) if document.applications else None,
                           signature_form=forms.SignatureForm(formdata=None),
                           action_form=forms.ActionForm(formdata=None))


def _refused_signature(organization, document, form):
    return render_template("documents/detail.html", organization=organization, document=document,
                           why_kept=uploads.why_kept(document) if document.applications else None,
                           signature_form=form, action_form=forms.ActionForm(formdata=None)), 422


@bp.route("/<int:document_id>/file")
def download(org_id: int, document_id: int):
    _organization, document = _document(org_id, document_id, Permission.READ_DOCUMENTS)
    return _send(document.file_key, document.file_name, document.media_type)


@bp.route("/<int:document_id>/signature-file")
def download_signature(org_id: int, document_id: int):
    _organization, document = _document(org_id, document_id, Permission.READ_DOCUMENTS)
    if not document.signature_key:
        abort(404)
    return _send(document.signature_key, document.signature_name or "signature.sig",
                 "application/pkcs7-signature")


@bp.route("/<int:document_id>/signature-report.<fmt>")
def signature_report(org_id: int, document_id: int, fmt: str):
    """The verification report of the document's signatures: JSON, ETSI XML or PDF protocol."""
    from flask import Response

    from . import signature_report as report

    _organization, document = _document(org_id, document_id, Permission.READ_DOCUMENTS)
    if fmt not in report.FORMATS:
        abort(404)
    body, media_type, name = report.render(document, fmt)
    return Response(body, mimetype=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/<int:document_id>/signature", methods=["POST"])
def add_signature(org_id: int, document_id: int):
    organization, document = _document(org_id, document_id)
    form = forms.SignatureForm()
    if not submitted(form):
        return _refused_signature(organization, document, form)
    checks = _stored(form.signature, lambda cleanup: uploads.attach_signature(
        document, stream=form.signature.data.stream, filename=form.signature.data.filename,
        cleanup=cleanup, actor=_user(), remote_addr=request.remote_addr))
    if checks is None:
        return _refused_signature(organization, document, form)
    ok = checks and all(c["valid"] for c in checks)
    flash("Подпись загружена и проверена." + ("" if ok else " Подпись не прошла проверку: см. причину ниже."),
          "success" if ok else "warning")
    return redirect(url_for(".detail", org_id=org_id, document_id=document_id))


@bp.route("/<int:document_id>/verify", methods=["POST"])
def recheck(org_id: int, document_id: int):
    _organization, document = _document(org_id, document_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    results = checks.check(document)
    pending = any(c.get("code") == "pending" for c in results)
    flash("Подписи проверяются: результат появится на этой странице." if pending
          else "Подписи проверены заново.", "info")
    return redirect(url_for(".detail", org_id=org_id, document_id=document_id))


@bp.route("/<int:document_id>/delete", methods=["POST"])
def delete(org_id: int, document_id: int):
    _organization, document = _document(org_id, document_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    title = document.title
    try:
        with _files() as cleanup:
            uploads.delete_document(document, cleanup, actor=_user(), remote_addr=request.remote_addr)
    except DocumentError as exc:
        flash(exc.message, "error")
        return _detail_again(org_id, document_id), 409
    flash(f"Документ «{title}» удален.", "info")
    return redirect(url_for(".index", org_id=org_id))


def _detail_again(org_id: int, document_id: int) -> str:
    """The document page again, after an action on it was refused."""
    organization, document = _document(org_id, document_id)
    return render_template("documents/detail.html", organization=organization, document=document,
                           why_kept=uploads.why_kept(document) if document.applications else None,
                           signature_form=forms.SignatureForm(formdata=None),
                           action_form=forms.ActionForm(formdata=None))


# -- applications ---------------------------------------------------------------------------------
def _application(org_id: int, application_id: int):
    organization = organization_or_404(org_id, Permission.APPLICATIONS, _user())
    application = applications.application_or_none(organization, application_id)
    if application is None:
        abort(404)
    return organization, application


def _validity(document) -> str:
    return "бессрочно" if document.expires_on is None else f"действует до {document.expires_on:%d.%m.%Y}"


def _application_form(organization, formdata=None) -> forms.ApplicationForm:
    form = forms.ApplicationForm() if formdata is None else forms.ApplicationForm(formdata=None)
    form.documents.choices = [(d.id, f"{d.title} · {_validity(d)} · {d.file_name}")
                              for d in uploads.documents(organization, state="active")]
    return form


@applications_bp.route("", methods=["GET", "POST"], endpoint="index")
def application_list(org_id: int):
    organization = organization_or_404(org_id, Permission.APPLICATIONS, _user())
    posted = request.method == "POST"
    form = _application_form(organization, formdata=None if posted else False)
    application = submitted(form) and _stored(form.documents, lambda cleanup: applications.create_application(
        organization, user=_user(), document_ids=form.documents.data or [], cleanup=cleanup,
        remote_addr=request.remote_addr))
    if application:
        flash(f"{application.title} сформировано. Скачайте PDF, подпишите его и загрузите подпись.",
              "success")
        return redirect(url_for(".detail", org_id=org_id, application_id=application.id))
    found = applications.applications(organization)
    return render_template("documents/applications.html", organization=organization, form=form,
                           applications=found, outcomes=applications.outcomes(found),
                           can_documents=can(_user(), Permission.DOCUMENTS, organization)), \
        422 if posted else 200


def _detail(organization, application, sign_form=None, status=200):
    return render_template("documents/application.html", organization=organization,
                           application=application,
                           outcome=applications.outcomes([application], verify=True).get(application.id),
                           sign_form=sign_form or forms.ApplicationSignatureForm(formdata=None),
                           action_form=forms.ActionForm(formdata=None),
                           head=applications.head_identity(organization)["display"],
                           can_documents=can(_user(), Permission.DOCUMENTS, organization),
                           may_delete=applications.may_delete_application(application, _user())), status


@applications_bp.route("/<int:application_id>", endpoint="detail")
def application_detail(org_id: int, application_id: int):
    organization, application = _application(org_id, application_id)
    return _detail(organization, application)


@applications_bp.route("/<int:application_id>/pdf")
def pdf(org_id: int, application_id: int):
    _organization, application = _application(org_id, application_id)
    return _send(application.pdf_key, f"zayavlenie-{application.number}.pdf", "application/pdf")


@applications_bp.route("/<int:application_id>/signature")
def signature(org_id: int, application_id: int):
    _organization, application = _application(org_id, application_id)
    if not application.signature_key:
        abort(404)
    media = "application/pdf" if application.signature_kind == "pdf" else "application/pkcs7-signature"
    return _send(application.signature_key, application.signature_name or "signature.sig", media)


@applications_bp.route("/<int:application_id>/sign", methods=["POST"])
def sign(org_id: int, application_id: int):
    organization, application = _application(org_id, application_id)
    form = forms.ApplicationSignatureForm()
    result = submitted(form) and _stored(form.signature, lambda cleanup: applications.sign_application(
        application, stream=form.signature.data.stream, filename=form.signature.data.filename,
        cleanup=cleanup, actor=_user(), remote_addr=request.remote_addr))
    if not result:
        return _detail(organization, application, form, 422)
    if not result["valid"]:
        form.signature.errors = [result["message"]]
        uow.keep()  # the failed check is recorded on the application
        return _detail(organization, application, form, 422)
    flash(f"Подпись руководителя проверена: {application.title} подписано.", "success")
    return redirect(url_for(".detail", org_id=org_id, application_id=application_id))


@applications_bp.route("/<int:application_id>/submit", methods=["POST"])
def submit(org_id: int, application_id: int):
    _organization, application = _application(org_id, application_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    try:
        with db.session.begin_nested():
            applications.submit_application(application, actor=_user(), remote_addr=request.remote_addr)
    except DocumentError as exc:
        flash(exc.message, "error")
        return _detail(*_application(org_id, application_id), status=409)
    flash(f"{application.title} подано.", "success")
    return redirect(url_for(".detail", org_id=org_id, application_id=application_id))


@applications_bp.route("/<int:application_id>/delete", methods=["POST"], endpoint="delete")
def application_delete(org_id: int, application_id: int):
    _organization, application = _application(org_id, application_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    title = application.title
    try:
        with _files() as cleanup:
            applications.delete_application(application, cleanup, actor=_user(), remote_addr=request.remote_addr)
    except DocumentError as exc:
        flash(exc.message, "error")
        return _detail(*_application(org_id, application_id), status=409)
    flash(f"{title} удалено.", "info")
    return redirect(url_for(".index", org_id=org_id))
