"""Joining an organization, «Профили организации» (members and roles), the organization journal."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import Forbidden

from ..core import access, signals
from ..core.access import AccessDenied
from ..core.web import current_person as _user
from ..core.web import render_error
from ..exports import csv_response
from ..extensions import db
from ..organizations.models import Organization
from ..organizations.services.queries import organization_or_404, organizations_of
from ..organizations.services.wizard import find_draft
from ..text import genitive
from . import current, egrul, forms
from .contacts import contacts
from .forms import EVENT_TITLES
from .models import MemberStatus, Permission, Role
from .services import joining, memberships, refusals, roles
from .services import journal as org_journal
from .services.memberships import MemberError

bp = Blueprint("members", __name__, template_folder="templates")

JOURNAL_PAGE_SIZE = 50
FOUND_KEY = "join.found"


JOINED = joining.JOINED


def may_join() -> bool:
    """The menu's «Присоединиться к организации»: for people not yet in (or waiting in) one."""
    user = _user()
    return not any(m.status in JOINED for m in memberships.memberships_of(user))


# -- joining ------------------------------------------------------------------------------------
@bp.route("/organizations/")
def my_organization():
    """«Моя организация»: the profile of the organization the person works in; otherwise what
    to do (continue a registration, see a pending request, register or join)."""
    user = _user()
    draft = find_draft(user)
    now = current.current(user)  # of several, the one the person works in now
    if now is not None and draft is None and not request.args.get("all"):
        return redirect(url_for("organizations.profile", org_id=now.id))
    waiting = [m for m in memberships.memberships_of(user) if m.status != "active"]
    return render_template("members/my_organization.html", organizations=organizations_of(user),
                           waiting=waiting, draft=draft)


@bp.route("/join", methods=["GET", "POST"])
def join():
    """Pick the organization (or its ТОП) you work in; the administrator then gives roles."""
    finder, found = _find_organization()
    choices = joining.join_choices(_user(), g.certificate, found)
    posted = None
    if request.method == "POST" and "submit" in request.form:
        posted = forms.JoinForm()
        done = _join(posted, choices)
        if done is not None:
            return done
    return _join_page(finder, choices, posted)


def _find_organization():
    """«Найти»: the registered organization with the number typed (remembered as found)."""
    if not (request.method == "POST" and "find" in request.form):
        return forms.FindOrganizationForm(formdata=None), None
    finder = forms.FindOrganizationForm()
    if not finder.validate_on_submit():
        return finder, None
    found = joining.find_registered(finder.query.data)
    if found is None:
        finder.query.errors.append("Организация с таким номером не зарегистрирована в реестре. "
                                   "Проверьте номер или попросите руководителя зарегистрировать её.")
    else:
        # Remember what this person found by its number: only that (or what their
        # certificate names) may be shown or joined by id later.
        session[FOUND_KEY] = [*session.get(FOUND_KEY, [])[-9:], found.id]
    return finder, found


def _join(posted, choices: joining.JoinChoices):
    """«Сохранить» on an organization: the redirect when joined, else None (page again)."""
    organization = joining.joinable(posted.organization.data, choices, session.get(FOUND_KEY, []))
    if organization is None:
        abort(404)  # an organization this person has not found does not exist for them
    posted.unit.choices = forms.units(organization)
    if posted.validate_on_submit():
        try:
            member = joining.join_with_profile(
                _user(), organization, posted.unit.data or None, position=posted.position.data,
                department=posted.department.data, remote_addr=request.remote_addr)
            flash(_joined_message(organization, member), "success")
            return redirect(url_for(".join"))
        except MemberError as exc:
            flash(exc.message, "error")
    choices.add(organization)
    return None


def _joined_message(organization: Organization, member) -> str:
    if member.status == MemberStatus.ACTIVE.value:
        return f"Подразделение сохранено: {organization.name}. Роли остались прежними."
    return (f"Заявка отправлена: {organization.name}. Статус — «Ожидает назначения ролей»; "
            "администратор организации назначит вам роли.")


def _join_page(finder, choices: joining.JoinChoices, posted):
    user = _user()
    entries = [(o, posted if posted is not None and posted.organization.data == str(o.id)
                else forms.join_form(o, user)) for o in choices.candidates]
    return render_template("members/join.html", finder=finder, entries=entries,
                           offered=choices.offered, memberships=choices.memberships,
                           cert=g.certificate, already=choices.already, MemberStatus=MemberStatus)


# -- «Профили организации» ------------------------------------------------------------------------
def admin_organizations() -> list[Organization]:
    user = _user()
    return [m.organization for m in memberships.active_memberships(user)
            if access.can(user, Permission.ASSIGN_ROLES, m.organization)]


@bp.route("/members")
def my_members():
    """The top menu's «Профили организации»: the members of the organization one administers."""
    now = current.current(_user())
    if now is not None and access.can(_user(), Permission.ASSIGN_ROLES, now):
        return redirect(url_for(".members", org_id=now.id))
    organizations = admin_organizations()
    if organizations:  # administering another one: it becomes current, visibly
        return redirect(url_for(".members", org_id=organizations[0].id))
    return redirect(url_for("members.my_organization"))


@bp.route("/organizations/<int:org_id>/members")
def members(org_id: int):
    organization = organization_or_404(org_id, Permission.ASSIGN_ROLES, _user())
    status_form = forms.StatusFilterForm(request.args)
    status = status_form.status.data if status_form.status.data in {s.value for s in MemberStatus} else None
    page = roles.members_page(organization, status, after=request.args.get("after"))
    args = {k: v for k, v in request.args.items() if k != "after"}
    return render_template("members/members.html", organization=organization, status_form=status_form,
                           members=page.items, page=page, args=args, Role=Role,
                           contacts=contacts([m.user for m in page.items]),
                           unit_name=lambda m: (organization.branch(m.branch_id) or {}).get("name"))


@bp.route("/organizations/<int:org_id>/members/<int:member_id>", methods=["GET", "POST"])
def card(org_id: int, member_id: int):
    organization = organization_or_404(org_id, Permission.ASSIGN_ROLES, _user())
    member = roles.member_or_404(organization, member_id)
    form = forms.RolesForm() if request.method == "POST" else forms.roles_form(member)
    if not form.validate_on_submit():
        return _card_page(organization, member, form)
    if roles.removes_member(member, form.chosen()) and not form.removal_confirmed():
        return _card_page(organization, member, form, confirm_removal=True)
    return _save_roles(organization, member, form)


def _save_roles(organization: Organization, member, form):
    member_id = member.id  # read before a refused save rolls its savepoint back
    try:
        with db.session.begin_nested():
            change = roles.set_roles(member, form.chosen(), actor=_user(),
                                        version=form.expected_version(),
                                        remote_addr=request.remote_addr)
    except MemberError as exc:
        return _roles_refused(organization, member_id, exc)
    flash(*_roles_saved(member, change))
    return redirect(url_for(".members", org_id=organization.id))


def _roles_refused(organization, member_id: int, exc: MemberError):
    flash(exc.message, "error")
    # Show what is saved now (not what was refused), with the current version, so the next
    # save is deliberate.
    member = roles.member_or_404(organization, member_id)
    return _card_page(organization, member, forms.roles_form(member), 409 if exc.conflict else 422)


def _roles_saved(member, change: roles.RolesChange) -> tuple[str, str]:
    if change.member_removed:
        return (f"Сотрудник {member.user.full_name} удалён из организации: статус «Удален», "
                "ролей нет. Роли можно назначить снова на его карточке.", "success")
    if change.added or change.removed:
        return (f"Роли сотрудника {genitive(member.user.full_name)} сохранены. "
                f"Статус: {member.member_status.title}.", "success")
    return "Изменений нет.", "info"


def _card_page(organization: Organization, member, form, status: int = 200, *,
               confirm_removal: bool = False):
    return render_template("members/card.html", organization=organization, member=member, form=form,
                           unit=(organization.branch(member.branch_id) or {}).get("name"),
                           facts=signals.collect(signals.member_facts, member=member), confirm_removal=confirm_removal,
                           contact=contacts([member.user])[member.user_id]), status


# -- the organization journal -------------------------------------------------------------------
@bp.route("/organizations/<int:org_id>/journal")
def journal(org_id: int):
    organization = organization_or_404(org_id, Permission.READ_JOURNAL, _user())
    form = forms.JournalFilterForm(request.args)
    date_from, date_to = form.dates()
    query = org_journal.journal_query(organization, event=form.event.data or None,
                                   person=form.person.data or None,
                                   date_from=date_from, date_to=date_to)
    if request.args.get("format") == "csv":
        if form.date_from.errors or form.date_to.errors:
            return _csv_refused(organization, form, query)
        return _journal_csv(organization, query)
    page = org_journal.keyset_page(query, request.args.get("before"), JOURNAL_PAGE_SIZE)
    args = {k: v for k, v in request.args.items() if k not in ("page", "before", "format")}
    return render_template("members/journal.html", organization=organization, form=form, page=page,
                           events=EVENT_TITLES, args=args)


def _csv_refused(organization: Organization, form, query):
    """A filter that does not read would export everything: refuse and show why."""
    flash("Выгрузка не сформирована: исправьте даты фильтра.", "error")
    page = org_journal.keyset_page(query, None, JOURNAL_PAGE_SIZE)
    return render_template("members/journal.html", organization=organization, form=form, page=page,
                           events=EVENT_TITLES, args={}), 422


def _journal_csv(organization: Organization, query) -> Response:
    # Streamed in batches with the people joined in: constant memory, one query per batch.
    return csv_response(org_journal.journal_csv_name(organization), org_journal.JOURNAL_CSV_HEADER,
                        org_journal.journal_csv_rows(query, EVENT_TITLES))


# -- the current organization -------------------------------------------------------------------
@bp.route("/current-organization", methods=["POST"])
def switch_organization():
    """The header's «Перейти»: another of the person's organizations becomes current."""
    form = forms.SwitchOrganizationForm()
    if not form.validate_on_submit():
        abort(400)
    organization = current.choose(_user(), form.org_id.data)
    if organization is None:
        abort(404)  # not one of the person's organizations
    flash(f"Текущая организация — {organization.name}.", "info")
    return redirect(current.same_page_in(organization, forms.local_target(form.next.data)))


# -- ЕГРЮЛ changes ------------------------------------------------------------------------------
@bp.route("/organizations/<int:org_id>/egrul/<int:change_id>", methods=["GET", "POST"])
def egrul_change(org_id: int, change_id: int):
    """A change ЕГРЮЛ shows; the new head confirms it here (members see it, others: 404)."""
    organization, change, confirmable = egrul.change_page(org_id, change_id, _user(), g.certificate)
    form = forms.ConfirmHeadForm()
    if form.validate_on_submit():
        try:
            egrul.confirm_head(change, _user(), g.certificate, remote_addr=request.remote_addr)
        except MemberError as exc:
            flash(exc.message, "error")
        else:
            flash(egrul.confirmed_message(organization), "success")
            return redirect(url_for("organizations.profile", org_id=org_id))
    return render_template("members/egrul_change.html", organization=organization, change=change,
                           form=form, confirmable=confirmable, head_text=egrul.head_text)


# -- refusals that say what is missing and who can grant it ------------------------------------
def refusal(error: AccessDenied):
    """A refusal in an organization, said in full: a member who may not see it yet is told
    his status; a missing right is named with the roles that carry it and who assigns them
    (an administrator may take the role here and go on). Anything else: the plain page."""
    organization, permission = error.organization, error.permission
    if organization is None or permission is None or request.path.startswith("/api/"):
        return None
    member = memberships.membership(_user(), organization)
    if error.not_found:
        if member is None or member.status == MemberStatus.ACTIVE.value:
            return None
        return membership_not_active(error, organization, member)
    return missing_permission(error, organization, permission)


def missing_permission(error, organization, permission):
    """403 in an organization: the right, the roles that carry it, who assigns them."""
    user = _user()
    refusal = refusals.missing_permission(user, organization, permission)
    take = []
    if refusal.may_take:
        take = [(role, forms.TakeRoleForm(formdata=None, data={"role": role.value, "next": request.path}))
                for role in refusal.roles]
    return render_error(Forbidden(), 403, "Недостаточно прав", refusal.text, organization=organization,
                        take=take, take_url=url_for("members.take_role", org_id=organization.id))


def membership_not_active(error, organization, member):
    title, text = refusals.inactive_refusal(organization, member)
    return render_error(Forbidden(), 403, title, text, organization=None)


@bp.route("/organizations/<int:org_id>/members/take-role", methods=["POST"])
def take_role(org_id: int):
    """An administrator gives himself a role from the refusal page and goes where he was going."""
    organization = organization_or_404(org_id, Permission.ASSIGN_ROLES, _user())
    form = forms.TakeRoleForm()
    if not form.validate_on_submit():
        abort(400)
    role = Role(form.role.data)
    try:
        roles.take_role(_user(), organization, role, remote_addr=request.remote_addr)
        flash(f"Вам назначена роль «{role.title}».", "success")
    except MemberError as exc:
        flash(exc.message, "error")
    return redirect(forms.local_target(form.next.data) or url_for("organizations.profile", org_id=org_id))
