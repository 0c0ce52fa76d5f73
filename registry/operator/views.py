"""The registry operator's console (only for people granted the role from the command line)."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..auth.models import User
from ..core import access
from ..core.access import Permission
from ..core.web import current_person as _me
from ..core.web import health
from ..extensions import db
from ..members.services import memberships, roles
from ..organizations.models import Organization
from ..text import agree, genitive, quoted
from . import forms, services
from .services import OperatorError

bp = Blueprint("operator", __name__, template_folder="templates", url_prefix="/operator")


def operator_only(view):
    """The console does not exist for anyone but an operator (404, not 403: nothing to find)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        access.require(_me(), Permission.OPERATOR_CONSOLE)
        return view(*args, **kwargs)
    return wrapper


@bp.route("/")
@operator_only
def index():
    form = forms.SearchForm(request.args)
    report, _ = health()
    from ..jobs import report as jobs_report
    from ..trust.status import trust_status

    organizations, next_cursor = services.organizations(form.q.data, form.status.data or None,
                                                        after=request.args.get("after"))
    args = {k: v for k, v in request.args.items() if k != "after"}
    return render_template("operator/index.html", form=form, organizations=organizations,
                           next_cursor=next_cursor, first=not request.args.get("after"), args=args,
                           report=report, trust=trust_status(), jobs=jobs_report(10))


@bp.route("/trust")
@operator_only
def trust():
    """Every CA of the trust store: accreditation, CRL age and next update, last refresh."""
    from ..trust.status import trust_status
    from .services import recent_grace_sign_ins

    return render_template("operator/trust.html", status=trust_status(),
                           grace=recent_grace_sign_ins())


@bp.route("/organizations/<int:org_id>")
@operator_only
def organization(org_id: int):
    org = _organization(org_id)
    return render_template("operator/organization.html", organization=org, members=memberships.members(org),
                           block_form=forms.BlockForm(formdata=None), unblock_form=forms.UnblockForm(formdata=None))


def _act(action, success: str, back: str, *, needs_reason: bool):
    """Run a blocking action from a posted form (a reason is required to block)."""
    form = forms.BlockForm() if needs_reason else forms.UnblockForm()
    if not form.validate_on_submit():
        reason_errors = getattr(form, "reason", None)
        flash(" ".join(reason_errors.errors) if reason_errors is not None and reason_errors.errors
              else "Форма устарела: обновите страницу и повторите.", "error")
        return redirect(back)
    try:
        with db.session.begin_nested():
            action(form.reason.data if needs_reason else None)
        flash(success, "success")
    except OperatorError as exc:
        flash(exc.message, "error")
    return redirect(back)


def _organization(org_id: int) -> Organization:
    return db.session.get(Organization, org_id) or abort(404)


@bp.route("/organizations/<int:org_id>/block", methods=["POST"])
@operator_only
def block_organization(org_id: int):
    org = _organization(org_id)
    return _act(lambda reason: services.block_organization(org, reason, actor=_me()),
                f"Организация {quoted(org.name)} заблокирована.", url_for(".organization", org_id=org_id),
                needs_reason=True)


@bp.route("/organizations/<int:org_id>/unblock", methods=["POST"])
@operator_only
def unblock_organization(org_id: int):
    org = _organization(org_id)
    return _act(lambda _: services.unblock_organization(org, actor=_me()),
                f"Блокировка организации {quoted(org.name)} снята.", url_for(".organization", org_id=org_id),
                needs_reason=False)


@bp.route("/organizations/<int:org_id>/members/<int:member_id>/block", methods=["POST"])
@operator_only
def block_member(org_id: int, member_id: int):
    member = roles.member_or_404(_organization(org_id), member_id)
    return _act(lambda reason: services.block_member(member, reason, actor=_me()),
                f"{member.user.full_name} "
                f"{agree(member.user.full_name, 'заблокирован', 'заблокирована')} в организации.",
                url_for(".organization", org_id=org_id), needs_reason=True)


@bp.route("/organizations/<int:org_id>/members/<int:member_id>/unblock", methods=["POST"])
@operator_only
def unblock_member(org_id: int, member_id: int):
    member = roles.member_or_404(_organization(org_id), member_id)
    return _act(lambda _: services.unblock_member(member, actor=_me()),
                f"Блокировка сотрудника {genitive(member.user.full_name)} снята.",
                url_for(".organization", org_id=org_id), needs_reason=False)


@bp.route("/people")
@operator_only
def people():
    form = forms.PeopleForm(request.args)
    return render_template("operator/people.html", form=form, people=services.people(form.q.data),
                           block_form=forms.BlockForm(formdata=None), unblock_form=forms.UnblockForm(formdata=None))


def _person(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/people/<int:user_id>/block", methods=["POST"])
@operator_only
def block_person(user_id: int):
    user = _person(user_id)
    return _act(lambda reason: services.block_person(user, reason, actor=_me()),
                f"Учётная запись {genitive(user.full_name)} заблокирована: вход невозможен.",
                url_for(".people", q=user.snils or user.full_name), needs_reason=True)


@bp.route("/people/<int:user_id>/unblock", methods=["POST"])
@operator_only
def unblock_person(user_id: int):
    user = _person(user_id)
    return _act(lambda _: services.unblock_person(user, actor=_me()),
                f"Блокировка учётной записи {genitive(user.full_name)} снята.",
                url_for(".people", q=user.snils or user.full_name), needs_reason=False)
