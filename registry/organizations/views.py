"""«Моя организация»: the registration wizard, the profile with its tabs, editing, history."""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..core import access
from ..core.access import Permission
from ..core.web import current_person as _user
from ..core.web import org_tabs
from ..extensions import db
from ..refdata import services as refdata
from ..refdata.dictionaries import APPLICANT_CATEGORIES, COUNTRIES, IDENTITY_DOCUMENT_TYPES, title
from ..text import quoted
from . import forms, presentation
from .models import Organization
from .presentation import PROFILE_TABS
from .services import egrul_check, operations, queries
from .services import history as profile_history
from .services import search as org_search
from .services import wizard as drafts
from .services.wizard import LIST_SECTIONS, STEPS, WizardError

bp = Blueprint("organizations", __name__, template_folder="templates", url_prefix="/organizations")



@bp.app_template_global("org_sections")
def _org_sections_global(organization: Organization) -> list:
    return org_sections(organization)


@bp.app_template_global()
def dictionary_title(kind: str, code: str | None) -> str:
    """Title of a dictionary code for showing stored values."""
    lists = {"applicant_category": APPLICANT_CATEGORIES, "doc_type": IDENTITY_DOCUMENT_TYPES,
             "country": COUNTRIES, "head_kind": forms.HEAD_KINDS, "branch_kind": forms.BRANCH_KINDS}
    return title(lists[kind], code) or (code or "—")


def _organization(org_id: int, permission: Permission = Permission.VIEW_PROFILE) -> Organization:
    return queries.organization_or_404(org_id, permission, _user())


FOUND_KEY = "registry.found_party"  # the organization shown by the search, until it is chosen


# -- index and search ---------------------------------------------------------------------------
@bp.route("/register", methods=["GET", "POST"])
def search():
    form, manual = forms.SearchForm(), forms.ManualForm(formdata=None)
    outcome = None
    if form.validate_on_submit():
        outcome = _start_registration(form.query.data)
        if outcome.error:
            form.query.errors.append(outcome.error)
        elif outcome.draft is not None:
            flash(f"Организация найдена: {outcome.party.short_name or outcome.party.full_name}. "
                  "Заполните сведения по шагам; черновик сохраняется при каждом переходе.", "success")
            return redirect(url_for(".wizard", step=outcome.draft.step))
        elif outcome.not_found:
            manual = forms.manual_prefilled(form.query.data)
    return _search_page(form, manual, outcome, _search_status(form, outcome))


def _start_registration(query: str) -> org_search.SearchOutcome:
    """Search (or confirm the organization shown): what a paid provider answered is kept in
    the session until it is chosen, so that choosing it does not ask the provider again."""
    confirm = "confirm" in request.form
    known = session.pop(FOUND_KEY, None) if confirm else None
    outcome = org_search.start_registration(_user(), g.certificate, query, confirm=confirm,
                                          known=known)
    if outcome.found and outcome.party is not None and outcome.party.source == "provider":
        # Only what a paid provider answered is kept (small); the local ЕГРЮЛ is asked again.
        session[FOUND_KEY] = outcome.party.to_dict()
    return outcome


def _search_status(form, outcome: org_search.SearchOutcome | None) -> int:
    if form.errors or (outcome is not None and outcome.ended):
        return 422
    if outcome is not None and outcome.head is not None:
        return 403
    if outcome is not None and outcome.holder is not None:
        return 409
    return 200


def _search_page(form, manual, outcome, status=200):
    return render_template("organizations/search.html", form=form, manual=manual, outcome=outcome,
                           draft=drafts.find_draft(_user()), discard_form=forms.DiscardForm(),
                           okved_loaded=refdata.okved_loaded()), status


@bp.route("/register/manual", methods=["POST"])
def manual():
    form = forms.SearchForm(formdata=None)
    manual_form = forms.ManualForm()
    if not manual_form.validate_on_submit():
        return _search_page(form, manual_form, org_search.SearchOutcome(not_found=True), 422)
    outcome = org_search.start_manual(_user(), g.certificate, forms.values(manual_form))
    if outcome.error or outcome.draft is None:
        if outcome.error:
            manual_form.ogrn.errors.append(outcome.error)
        outcome.not_found = outcome.holder is None
        return _search_page(form, manual_form, outcome, 422)
    flash("Сведения об организации введены вручную и будут отмечены «не подтверждено ЕГРЮЛ».", "warning")
    return redirect(url_for(".wizard", step=outcome.draft.step))


# -- the wizard ---------------------------------------------------------------------------------
def _step_url(step: str, organization: Organization | None) -> str:
    if organization is None:
        return url_for(".wizard", step=step)
    return url_for(".edit_wizard", org_id=organization.id, step=step)


@bp.route("/register/<step>", methods=["GET", "POST"])
def wizard(step: str):
    draft = drafts.find_draft(_user())
    if draft is None:
        flash("Начните регистрацию с поиска организации по ОГРН или ИНН.", "info")
        return redirect(url_for(".search"))
    return _wizard(draft, step, None)


@bp.route("/register/discard", methods=["POST"])
def discard():
    form = forms.DiscardForm()
    if not form.validate_on_submit():
        abort(400)
    draft = drafts.find_draft(_user())
    if draft is not None:
        drafts.discard(draft)
        flash("Черновик регистрации удален.", "info")
    return redirect(url_for("members.my_organization"))


def _wizard(draft, step: str, organization: Organization | None):
    try:
        elsewhere = drafts.gate(draft, step)
    except drafts.UnknownStep:
        abort(404)
    if elsewhere is not None:
        return redirect(_step_url(elsewhere, organization))
    if step == "review":
        return _review(draft, organization)
    if step in LIST_SECTIONS:
        return _list_step(draft, step, organization)
    return _form_step(draft, step, organization)


def _render_step(draft, step, organization, status=200, **context):
    party = drafts.party_of(draft)
    context.setdefault("egrul_warnings", egrul_check.warnings(party) if step != "review" else [])
    return render_template(
        presentation.step_template(step),
        draft=draft, step=step, steps=STEPS, organization=organization, party=party,
        done=draft.data.get("done") or [], step_url=lambda s: _step_url(s, organization),
        allowed=lambda s: drafts.allowed(draft, s), discard_form=forms.DiscardForm(),
        discard_url=(url_for(".discard") if organization is None
                     else url_for(".edit_discard", org_id=organization.id)),
        okved_loaded=refdata.okved_loaded(), **context), status


def _form_step(draft, step, organization):
    if request.method == "GET":
        return _show_form_step(draft, step, organization)
    form = forms.SECTION_FORMS[step]()
    form.validate()  # CSRFProtect has already refused a bad token; this fills form.errors
    if forms.is_typeahead(step, form, request.form):
        return _okved_typeahead(draft, form, organization)
    errors = forms.field_errors(form)
    outcome = drafts.submit_step(draft, step, None if errors else forms.values(form),
                                   forms.raw(request.form), back=bool(form.back.data),
                                   form_errors=errors)
    warning = presentation.step_warning(outcome)
    if warning:
        flash(warning, "warning")
    # Refused too: the text and its errors are in the draft, the step shows them (a reload
    # of the page does not send the form again).
    return redirect(_step_url(outcome.go_to or step, organization))


def _show_form_step(draft, step, organization):
    stored, errors = drafts.step_values(draft, step)
    typed = (draft.data.get("raw") or {}).get(step) is not None
    if step == "general" and not typed and not stored.get("email"):
        # Until one is saved, the organization's e-mail starts as the person's own (the
        # profile's, else the certificate's); the person may change it.
        stored = {**stored, "email": _user().email or getattr(g.certificate, "email", None) or ""}
    form = forms.SECTION_FORMS[step](formdata=forms.formdata(stored))
    forms.add_errors(form, errors)  # what was wrong with the text when it was sent
    return _render_step(draft, step, organization, form=form)


def _okved_typeahead(draft, form, organization):
    """The no-script typeahead: search, or put a found code into a field; keep what is typed."""
    shown, results = drafts.okved_typeahead(draft, forms.raw(request.form),
                                              request.form.get("pick", ""), form.q.data or "")
    form = forms.SECTION_FORMS["okved"](formdata=forms.formdata(shown))
    return _render_step(draft, "okved", organization, form=form, results=results)


LIST_FLASHES = {"removed": ("Запись удалена.", "info"), "saved": ("Запись сохранена.", "success")}


def _list_step(draft, step, organization):
    if request.method == "POST":
        return _list_post(draft, step, organization)
    editing, item_form, found = request.args.get("edit") or None, None, None
    refused, problems = drafts.list_state(draft, step)
    if editing:
        try:
            item_form = forms.edit_item(step, drafts.item_to_edit(draft, step, editing), editing)
        except WizardError:
            abort(404)
    elif refused is not None:  # the item form as it was sent, with what was wrong
        editing = refused.get("id")
        item_form = forms.build(step, refused.get("values"))
        item_form.item.data = editing or ""
        forms.add_errors(item_form, refused.get("errors") or {})
    if step == "branches" and "find" in request.args:
        found = egrul_check.found_units(request.args.get("find", ""), drafts.draft_ogrn(draft))
        unit = found.unit(request.args.get("use", ""))
        item_form = forms.build(step, unit) if unit is not None else item_form
    return _render_list(draft, step, organization, item_form=item_form, editing=editing, found=found,
                        problems=problems)


def _list_post(draft, step, organization):
    action, form = forms.list_post(step, request.form)
    values = forms.values(form) if form.validate() else None
    try:
        outcome = drafts.list_action(draft, step, action, values, forms.item_id(form),
                                       typed=forms.raw(request.form),
                                       form_errors=forms.field_errors(form))
    except drafts.BadPost:
        abort(400)
    if outcome.refused:
        flash(outcome.refused, "error")
    elif outcome.done:
        flash(*LIST_FLASHES[outcome.done])
    # Refused too: the step shows what was wrong from the draft (a reload sends nothing).
    return redirect(_step_url(outcome.go_to or step, organization))


def _render_list(draft, step, organization, status=200, *, item_form=None, editing=None,
                 found=None, problems=()):
    if item_form is None:
        item_form = forms.build(step, drafts.new_item(step))
    return _render_step(draft, step, organization, status, nav=forms.ListStepForm(formdata=None),
                        item_form=item_form, editing=editing, items=draft.data.get(step) or [],
                        remove_form=forms.RemoveForm(formdata=None), found=found,
                        list_problems=list(problems))


def _review(draft, organization):
    form = forms.review_form(editing=organization is not None)
    if request.method != "POST":
        return _render_review(draft, organization, form)
    if form.back.data:
        return redirect(_step_url(drafts.previous_step("review"), organization))
    try:
        return _register(draft) if organization is None else _apply_edit(draft, organization)
    except WizardError as exc:
        flash(exc.message, "error")
        # The review shows again what stands in the way (a reload sends nothing).
        return redirect(_step_url("review", organization))


def _register(draft):
    with db.session.begin_nested():
        created = operations.register(draft, _user(), g.certificate)
    flash(f"Организация {quoted(created.name)} зарегистрирована. Вы — администратор организации; "
          "документы и заявление — в разделах «Документы организации» и «Заявления».",
          "success")
    return redirect(url_for(".profile", org_id=created.id))


def _apply_edit(draft, organization):
    with db.session.begin_nested():
        version = operations.apply_edit(draft, _user(), request.remote_addr)
    flash(f"Изменения сохранены (версия {version.number}).", "success")
    return redirect(url_for(".profile", org_id=organization.id))


def _render_review(draft, organization, form):
    return _render_step(draft, "review", organization, form=form, check=drafts.review(draft),
                        data=draft.data, names=queries.okved_names(queries.profile_codes(draft.data)),
                        conflict=profile_history.edited_meanwhile(draft, organization))


# -- the registered organization ----------------------------------------------------------------
@dataclass
class OrgSection:
    key: str
    label: str
    href: str
    locked: bool = False  # shown to an administrator who does not hold the role yet


def org_sections(organization: Organization, user=None) -> list[OrgSection]:
    """The organization's tabs: the profile, then every domain's section the person may open
    (an administrator also sees those he may take the role for)."""
    user = user if user is not None else _user()
    granted = access.permissions(user, organization)
    sections = [OrgSection("profile", "Профиль организации",
                           url_for("organizations.profile", org_id=organization.id))]
    for tab in org_tabs():
        if tab.permission in granted or Permission.ASSIGN_ROLES in granted:
            sections.append(OrgSection(tab.key, tab.label, url_for(tab.endpoint, org_id=organization.id),
                                       locked=tab.permission not in granted))
    return sections


OKVED_TABS = frozenset({"okved", "branches"})  # the tabs that name the ОКВЭД2 codes


@bp.route("/<int:org_id>")
def profile(org_id: int):
    organization = _organization(org_id)
    tab = presentation.profile_tab(request.args.get("tab", "general"))
    user = _user()
    return render_template(
        "organizations/profile.html", organization=organization, tab=tab, tabs=PROFILE_TABS,
        data=organization.data, party=refdata.Party.from_dict(organization.party or {}),
        names=queries.okved_names(queries.profile_codes(organization.data))
        if tab in OKVED_TABS else {},
        notices=presentation.notices(organization),
        can_edit=access.can(user, Permission.EDIT_PROFILE, organization),
        member=access.current_member(user, organization),
        edit_draft=drafts.find_draft(user, organization), edit_form=forms.StartEditForm())


@bp.route("/<int:org_id>/history")
def history(org_id: int):
    organization = _organization(org_id)
    return render_template("organizations/history.html", organization=organization, tab="history",
                           tabs=PROFILE_TABS, versions=organization.versions)


@bp.route("/<int:org_id>/edit", methods=["POST"])
def start_edit(org_id: int):
    organization = _organization(org_id, Permission.EDIT_PROFILE)
    form = forms.StartEditForm()
    if not form.validate_on_submit():
        abort(400)
    draft = drafts.start_edit(organization, _user())
    return redirect(url_for(".edit_wizard", org_id=org_id, step=draft.step))


@bp.route("/<int:org_id>/edit/<step>", methods=["GET", "POST"])
def edit_wizard(org_id: int, step: str):
    organization = _organization(org_id, Permission.EDIT_PROFILE)
    draft = drafts.find_draft(_user(), organization)
    if draft is None:
        flash("Нажмите «Редактировать», чтобы начать изменение профиля.", "info")
        return redirect(url_for(".profile", org_id=org_id))
    return _wizard(draft, step, organization)


@bp.route("/<int:org_id>/edit/discard", methods=["POST"])
def edit_discard(org_id: int):
    organization = _organization(org_id, Permission.EDIT_PROFILE)
    form = forms.DiscardForm()
    if not form.validate_on_submit():
        abort(400)
    draft = drafts.find_draft(_user(), organization)
    if draft is not None:
        drafts.discard(draft)
        flash("Изменения отменены.", "info")
    return redirect(url_for(".profile", org_id=org_id))
