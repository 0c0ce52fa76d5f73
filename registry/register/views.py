"""Pages of the special register: the operator's queue and review, the records, the register
and its downloads, and the organization's own «Специальный учет» page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from ..core import access
from ..core.access import Permission
from ..core.web import current_person as _me
from ..documents.services.store import send_stored
from ..exports import csv_response
from ..extensions import db
from ..organizations.services.history import diff
from ..organizations.services.queries import organization_or_404
from . import decision as decisions
from . import exports, forms, services
from .models import Decision, Review, SpecialRecord
from .services import RegisterError

operator_bp = Blueprint("register_operator", __name__, template_folder="templates", url_prefix="/operator")
register_bp = Blueprint("register", __name__, template_folder="templates")
org_bp = Blueprint("special_record", __name__, template_folder="templates",
                   url_prefix="/organizations/<int:org_id>/special-record")


def _operator() -> None:
    access.require(_me(), Permission.OPERATOR_CONSOLE)


def _review(review_id: int) -> Review:
    return db.session.get(Review, review_id) or abort(404)


# -- the operator's queue -----------------------------------------------------------------------
@operator_bp.route("/applications")
def queue():
    _operator()
    form = forms.QueueForm(request.args)
    form.validate()
    found = services.queue(form.status.data if "status" in request.args else "open",
                           form.since.data, form.until.data, form.after.data or None)
    args = {k: v for k, v in request.args.items() if k not in ("page", "after")}
    return render_template("register/queue.html", form=form, found=found, args=args)


@operator_bp.route("/applications/<int:review_id>")
def review(review_id: int):
    _operator()
    item = _review(review_id)
    application, organization = item.application, item.organization
    changes = diff((application.data or {}).get("profile") or {}, organization.data or {})
    return render_template("register/review.html", review=item, application=application,
                           organization=organization, changes=changes, form=forms.TransitionForm(formdata=None),
                           decisions=[(d, decisions.verify(d)) for d in services.decisions_of(item.id)],
                           record=services.active_record(organization.id),
                           reasons=services.REFUSAL_REASONS, transitions=services.TRANSITIONS)


def _posted(form, back: str, action, success):
    """Run ``action()`` for a posted form (CSRF checked), flash its outcome, go ``back``."""
    if not form.validate_on_submit():
        flash("Форма устарела: обновите страницу и повторите.", "error")
        return redirect(back)
    try:
        with db.session.begin_nested():
            action()
        flash(success(), "success")
    except RegisterError as exc:
        flash(exc.message, "error")
    return redirect(back)


@operator_bp.route("/applications/<int:review_id>/<any(accept, request_info, register, refuse):action>",
                   methods=["POST"])
def decide(review_id: int, action: str):
    _operator()
    item = _review(review_id)
    form = forms.TransitionForm()
    return _posted(form, url_for(".review", review_id=item.id), lambda: services.transition(
        item, action, actor=_me(), version=form.version_number(), requested_info=form.requested_info.data,
        refusal_code=form.refusal_code.data, refusal_text=form.refusal_text.data,
        remote_addr=request.remote_addr), lambda: f"Готово: {item.status_title}.")


@operator_bp.route("/applications/<int:review_id>/application.pdf")
def application_pdf(review_id: int):
    _operator()
    application = _review(review_id).application
    return send_stored(application.pdf_key, f"zayavlenie-{application.number}.pdf", "application/pdf")


@operator_bp.route("/applications/<int:review_id>/decisions/<int:decision_id>.<any(pdf, sig):kind>")
def operator_decision(review_id: int, decision_id: int, kind: str):
    _operator()
    found = db.session.get(Decision, decision_id)
    if found is None or found.review_id != review_id:
        abort(404)
    return _decision_file(found, kind)


# -- records ------------------------------------------------------------------------------------
@operator_bp.route("/records")
def records():
    _operator()
    form = forms.RecordsFilterForm(request.args)
    form.validate()
    found, has_next = services.flagged_records(form.page.data or 1, form.status.data or None)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("register/records.html", form=form, records=found, has_next=has_next,
                           page=form.page.data or 1, args=args, record_form=forms.RecordForm(formdata=None))


@operator_bp.route("/records/<int:record_id>/<any(suspend, resume, remove, clear_flag):action>", methods=["POST"])
def record_action(record_id: int, action: str):
    _operator()
    record = db.session.get(SpecialRecord, record_id) or abort(404)
    form = forms.RecordForm()

    def act():
        if action == "clear_flag":
            services.clear_flag(record, actor=_me())
        else:
            services.change_record(record, action, actor=_me(), reason=form.reason.data,
                                   remote_addr=request.remote_addr)
    return _posted(form, url_for(".records"), act,
                   lambda: f"Запись № {record.number}: {record.status_title.lower()}.")


# -- the register -------------------------------------------------------------------------------
@register_bp.route("/register")
def index():
    form = forms.RegisterSearchForm(request.args)
    form.validate()
    try:
        rows, after = services.register_page(form.q.data, form.after.data or None)
    except ValueError:  # a hand-edited link: from the start
        rows, after = services.register_page(form.q.data)
    args = {k: v for k, v in request.args.items() if k not in ("page", "after")}
    return render_template("register/register.html", form=form, rows=rows, after=after,
                           paged=bool(form.after.data), args=args, titles=SpecialRecord.STATUS_TITLES)


@register_bp.route("/register.csv")
def register_csv():
    query = services.register_query(request.args.get("q"))
    return csv_response("reestr.csv", exports.HEADER, exports.rows(query))


@register_bp.route("/register.xlsx")
def register_xlsx():
    query = services.register_query(request.args.get("q"))
    return Response(exports.xlsx_stream(exports.rows(query)),
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="reestr.xlsx"',
                             "X-Accel-Buffering": "no"})


# -- the organization's page --------------------------------------------------------------------
@org_bp.route("/")
def organization_page(org_id: int):
    organization = organization_or_404(org_id, Permission.VIEW_PROFILE, _me())
    return render_template("register/organization.html", organization=organization,
                           records=services.records_of(organization.id),
                           reviews=services.reviews_of(organization.id),
                           decisions=[(d, decisions.verify(d))
                                      for d in services.organization_decisions(organization.id)])


@org_bp.route("/decisions/<int:decision_id>.<any(pdf, sig):kind>")
def decision_file(org_id: int, decision_id: int, kind: str):
    organization = organization_or_404(org_id, Permission.VIEW_PROFILE, _me())
    found = db.session.get(Decision, decision_id)
    if found is None or found.organization_id != organization.id:
        abort(404)
    return _decision_file(found, kind)


def _decision_file(found: Decision, kind: str):
    if kind == "sig":
        if found.signature is None:
            abort(404)
        data, media, name = found.signature, "application/pkcs7-signature", f"reshenie-{found.id}.pdf.sig"
    else:
        data, media, name = found.pdf, "application/pdf", f"reshenie-{found.id}.pdf"
    return Response(data, mimetype=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def register_public(app) -> None:
    """Let everyone see the register on this instance (REGISTRY_REGISTER_PUBLIC): the sign-in
    check skips these endpoints (wrapped per application, so other instances keep them closed)."""
    from functools import wraps

    from ..core.web import public

    for endpoint in ("register.index", "register.register_csv", "register.register_xlsx"):
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = public(wraps(view)(lambda *a, _v=view, **k: _v(*a, **k)))
