"""The registry operator's console (only for people granted the role from the command line)."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.models import User
from ..extensions import db
from ..members import services as members
from ..organizations.models import Organization
from ..web.services import health
from . import forms, services
from .services import OperatorError

bp = Blueprint("operator", __name__, template_folder="templates", url_prefix="/operator")


def operator_only(view):
    """The console does not exist for anyone but an operator (404, not 403: nothing to find)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not getattr(current_user, "is_operator", False) or current_user.blocked_reason:
            abort(404)
        return view(*args, **kwargs)
    return wrapper


def _me():
    return current_user._get_current_object()


@bp.route("/")
@operator_only
def index():
    form = forms.SearchForm(request.args)
    report, _ = health()
    return render_template("operator/index.html", form=form,
                           organizations=services.organizations(form.q.data, form.status.data or None),
                           report=report)


@bp.route("/organizations/<int:org_id>")
@operator_only
def organization(org_id: int):
    org = db.session.get(Organization, org_id) or abort(404)
    return render_template("operator/organization.html", organization=org, members=members.members(org),
                           block_form=forms.BlockForm(formdata=None), unblock_form=forms.UnblockForm(formdata=None))


def _act(action, target, success: str, redirect_to: str):
    try:
        action(target)
        db.session.commit()
        flash(success, "success")
    except OperatorError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(redirect_to)


@bp.route("/organizations/<int:org_id>/block", methods=["POST"])
@operator_only
def block_organization(org_id: int):
    org = db.session.get(Organization, org_id) or abort(404)
    form = forms.BlockForm()
    back = url_for(".organization", org_id=org_id)
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or "Форма устарела: повторите.", "error")
        return redirect(back)
    return _act(lambda o: services.block_organization(o, form.reason.data, actor=_me()), org,
                f"Организация «{org.name}» заблокирована.", back)


@bp.route("/organizations/<int:org_id>/unblock", methods=["POST"])
@operator_only
def unblock_organization(org_id: int):
    org = db.session.get(Organization, org_id) or abort(404)
    if not forms.UnblockForm().validate_on_submit():
        abort(400)
    return _act(lambda o: services.unblock_organization(o, actor=_me()), org,
                f"Блокировка организации «{org.name}» снята.", url_for(".organization", org_id=org_id))


@bp.route("/organizations/<int:org_id>/members/<int:member_id>/block", methods=["POST"])
@operator_only
def block_member(org_id: int, member_id: int):
    org = db.session.get(Organization, org_id) or abort(404)
    member = members.member_or_404(org, member_id)
    form = forms.BlockForm()
    back = url_for(".organization", org_id=org_id)
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or "Форма устарела: повторите.", "error")
        return redirect(back)
    return _act(lambda m: services.block_member(m, form.reason.data, actor=_me()), member,
                f"Сотрудник {member.user.full_name} заблокирован в организации.", back)


@bp.route("/organizations/<int:org_id>/members/<int:member_id>/unblock", methods=["POST"])
@operator_only
def unblock_member(org_id: int, member_id: int):
    org = db.session.get(Organization, org_id) or abort(404)
    member = members.member_or_404(org, member_id)
    if not forms.UnblockForm().validate_on_submit():
        abort(400)
    return _act(lambda m: services.unblock_member(m, actor=_me()), member,
                f"Блокировка сотрудника {member.user.full_name} снята.", url_for(".organization", org_id=org_id))


@bp.route("/people")
@operator_only
def people():
    form = forms.PeopleForm(request.args)
    return render_template("operator/people.html", form=form, people=services.people(form.q.data),
                           block_form=forms.BlockForm(formdata=None), unblock_form=forms.UnblockForm(formdata=None))


@bp.route("/people/<int:user_id>/block", methods=["POST"])
@operator_only
def block_person(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = forms.BlockForm()
    back = url_for(".people", q=user.snils or user.full_name)
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or "Форма устарела: повторите.", "error")
        return redirect(back)
    return _act(lambda u: services.block_person(u, form.reason.data, actor=_me()), user,
                f"Учётная запись {user.full_name} заблокирована: вход невозможен.", back)


@bp.route("/people/<int:user_id>/unblock", methods=["POST"])
@operator_only
def unblock_person(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if not forms.UnblockForm().validate_on_submit():
        abort(400)
    return _act(lambda u: services.unblock_person(u, actor=_me()), user,
                f"Блокировка учётной записи {user.full_name} снята.", url_for(".people", q=user.snils or user.full_name))
