"""«Уведомления»: the person's list; confirming an address and unsubscribing by a link from a
letter (both work without signing in); the notices part of «Мой профиль»."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from ..core.web import current_person, public
from . import kinds, services
from .forms import ButtonForm, EmailKindsForm

bp = Blueprint("notices", __name__, url_prefix="/notices", template_folder="templates")


@bp.route("/")
def index():
    before = request.args.get("before", type=int)
    person = current_person()
    page = services.notices_page(person, before)
    return render_template("notices/index.html", page=page, form=ButtonForm(),
                           address=services.address_state(person), kind_title=kinds.title,
                           safe_url=services.safe_url, first_page=before is None)


@bp.route("/<int:notice_id>/read", methods=["POST"])
def read(notice_id: int):
    notice = services.notice_or_none(current_person(), notice_id) or abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.mark_read(notice)
    if request.form.get("open") and services.safe_url(notice.url):
        return redirect(str(notice.url))
    return redirect(url_for("notices.index"))


@bp.route("/read-all", methods=["POST"])
def read_all():
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.mark_all_read(current_person())
    flash("Все уведомления отмечены прочитанными.", "success")
    return redirect(url_for("notices.index"))


@bp.route("/email", methods=["POST"])
def email_kinds():
    form = EmailKindsForm(current_person())
    if not form.validate_on_submit():
        flash("Настройки уведомлений не сохранены: " + "; ".join(form.kinds.errors or ["обновите страницу"]), "error")
        return redirect(url_for("auth.profile"))
    services.set_email_kinds(current_person(), set(form.kinds.data or []))
    flash("Настройки уведомлений сохранены.", "success")
    return redirect(url_for("auth.profile"))


@bp.route("/email/resend", methods=["POST"])
def resend():
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        services.request_confirmation(current_person())
    except services.NoticeError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.profile"))
    flash("Письмо со ссылкой для подтверждения отправлено ещё раз.", "success")
    return redirect(url_for("auth.profile"))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@public
def confirm(token: str):
    form = ButtonForm()
    try:
        address = (services.confirm(token) if form.validate_on_submit()
                   else services.confirmation_or_error(token))
    except services.NoticeError as exc:
        return render_template("notices/confirm.html", error=str(exc), form=None), 410
    return render_template("notices/confirm.html", address=address, form=form,
                           done=request.method == "POST")


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str):
    found = services.read_unsubscribe_token(token)
    if found is None:
        return render_template("notices/unsubscribe.html", error=True, form=None), 404
    form = ButtonForm()
    if form.validate_on_submit():
        services.unsubscribe(token)
    return render_template("notices/unsubscribe.html", kind_title=kinds.title(found[1]), form=form,
                           done=request.method == "POST" and not form.errors)


def profile_section(user) -> Markup:
    """The notices part of «Мой профиль»: the address and its confirmation, the e-mail kinds."""
    kinds_form = EmailKindsForm(user, formdata=None,
                                kinds=sorted(set(kinds.for_person(user)) - services.opted_out(user)))
    return Markup(render_template("notices/_profile.html", address=services.address_state(user),
                                  kinds_form=kinds_form, button=ButtonForm()))
