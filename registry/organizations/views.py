"""«Моя организация»: the registration wizard, the profile with its tabs, editing, history."""

from __future__ import annotations

from dataclasses import dataclass, field

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

from ..core import access, hooks, uow
from ..core.access import Permission
from ..core.hooks import add_notice_provider, add_org_link  # noqa: F401  (moved to the core)
from ..core.web import current_person as _user
from ..extensions import db
from ..refdata import services as refdata
from ..refdata.dictionaries import APPLICANT_CATEGORIES, COUNTRIES, IDENTITY_DOCUMENT_TYPES, title
from ..text import quoted
from . import forms, services
from .models import Organization
from .services import LIST_SECTIONS, STEP_KEYS, STEPS, FieldErrors, WizardError

bp = Blueprint("organizations", __name__, template_folder="templates", url_prefix="/organizations")

PROFILE_TABS = [("general", "Общие сведения"), ("okved", "Виды деятельности"), ("head", "Руководитель"),
                ("premises", "Объекты недвижимости"), ("branches", "ТОП"),
                ("beneficiaries", "Бенефициары"), ("history", "История изменений")]


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
    return services.organization_or_404(org_id, permission, _user())


FOUND_KEY = "registry.found_party"  # the organization shown by the search, until it is chosen


# -- index and search ---------------------------------------------------------------------------
@bp.route("/")
def index():
    """«Моя организация»: the organization's profile when the person works in one; otherwise
    what to do (continue a registration, see a pending request, register or join)."""
    user = _user()
    organizations = services.organizations_of(user)
    draft = services.find_draft(user)
    if len(organizations) == 1 and draft is None and not request.args.get("all"):
        return redirect(url_for(".profile", org_id=organizations[0].id))
    waiting = hooks.pending_memberships(user)
    return render_template("organizations/index.html", organizations=organizations,
                           waiting=waiting, draft=draft, discard_form=forms.DiscardForm())


@bp.route("/register", methods=["GET", "POST"])
def search():
    user = _user()
    form = forms.SearchForm()
    manual = forms.ManualForm(formdata=None)
    outcome = None
    if form.validate_on_submit():
        confirm = "confirm" in request.form
        known = session.pop(FOUND_KEY, None) if confirm else None
        outcome = services.start_registration(user, g.certificate, form.query.data,
                                              confirm=confirm, known=known)
        if outcome.found and outcome.party is not None and outcome.party.source == "provider":
            # Only what a paid provider answered is kept (small); the local ЕГРЮЛ is asked again.
            session[FOUND_KEY] = outcome.party.to_dict()
        if outcome.error:
            form.query.errors.append(outcome.error)
        elif outcome.draft is not None:
            flash(f"Организация найдена: {outcome.party.short_name or outcome.party.full_name}. "
                  "Заполните сведения по шагам; черновик сохраняется при каждом переходе.", "success")
            return redirect(url_for(".wizard", step=outcome.draft.step))
        elif outcome.not_found:
            q = refdata.digits(form.query.data)
            manual = forms.ManualForm(formdata=None, data={"ogrn": q if len(q) in (13, 15) else "",
                                                           "inn": q if len(q) in (10, 12) else ""})
    status = 200
    if form.errors or (outcome is not None and outcome.ended):
        status = 422
    elif outcome is not None and outcome.head is not None:
        status = 403
    elif outcome is not None and outcome.holder is not None:
        status = 409
    return _search_page(form, manual, outcome, status)


def _search_page(form, manual, outcome, status=200):
    return render_template("organizations/search.html", form=form, manual=manual, outcome=outcome,
                           draft=services.find_draft(_user()), discard_form=forms.DiscardForm(),
                           okved_loaded=refdata.okved_loaded()), status


@bp.route("/register/manual", methods=["POST"])
def manual():
    user = _user()
    form = forms.SearchForm(formdata=None)
    manual_form = forms.ManualForm()
    if not manual_form.validate_on_submit():
        return _search_page(form, manual_form, services.SearchOutcome(not_found=True), 422)
    outcome = services.start_manual(user, g.certificate, forms.values(manual_form))
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
    draft = services.find_draft(_user())
    if draft is None:
        flash("Начните регистрацию с поиска организации по ОГРН или ИНН.", "info")
        return redirect(url_for(".search"))
    return _wizard(draft, step, None)


@bp.route("/register/discard", methods=["POST"])
def discard():
    form = forms.DiscardForm()
    if not form.validate_on_submit():
        abort(400)
    draft = services.find_draft(_user())
    if draft is not None:
        services.discard(draft)
        flash("Черновик регистрации удалён.", "info")
    return redirect(url_for(".index"))


def _allowed(draft, step: str) -> bool:
    """Steps already passed and the one to resume at may be opened; later ones may not."""
    done = draft.data.get("done") or []
    for key in STEP_KEYS:
        if key == step:
            return True
        if key not in done:
            return False
    return False


def _wizard(draft, step: str, organization: Organization | None):
    if step not in STEP_KEYS:
        abort(404)
    if not _allowed(draft, step):
        return redirect(_step_url(draft.step if _allowed(draft, draft.step) else "general", organization))
    if step == "review":
        return _review(draft, organization)
    if step in LIST_SECTIONS:
        return _list_step(draft, step, organization)
    return _form_step(draft, step, organization)


def _render_step(draft, step, organization, status=200, **context):
    party = services.party_of(draft)
    context.setdefault("egrul_warnings", services.warnings(party) if step != "review" else [])
    return render_template(
        f"organizations/step_{step if step not in LIST_SECTIONS else 'list'}.html",
        draft=draft, step=step, steps=STEPS, organization=organization, party=party,
        done=draft.data.get("done") or [], step_url=lambda s: _step_url(s, organization),
        allowed=lambda s: _allowed(draft, s), discard_form=forms.DiscardForm(),
        discard_url=(url_for(".discard") if organization is None
                     else url_for(".edit_discard", org_id=organization.id)),
        okved_loaded=refdata.okved_loaded(), **context), status


def _form_step(draft, step, organization):
    form_class = forms.SECTION_FORMS[step]
    results = None
    if request.method == "GET":
        stored, typed = services.step_values(draft, step)
        form = form_class(formdata=forms.formdata(stored))
        if typed:
            form.validate()  # show what was wrong with the text kept from last time
        return _render_step(draft, step, organization, form=form)

    form = form_class()
    form.validate()  # CSRFProtect has already refused a bad token; this fills form.errors
    if step == "okved" and (form.search.data or request.form.get("pick")):
        # The no-script typeahead: search, or put a found code into a field; keep what is typed.
        typed = forms.raw(request.form)
        pick = request.form.get("pick", "")
        if ":" in pick:
            target, code = pick.split(":", 1)
            if target in ("main", "auxiliary_1", "auxiliary_2"):
                typed[target] = code
            elif target == "others":
                typed["others"] = ", ".join([*services.split_codes(typed.get("others")), code])
        services.keep_typed(draft, step, typed)
        results = refdata.search_okved(form.q.data or "") if form.q.data else None
        form = form_class(formdata=forms.formdata({**typed, "q": form.q.data or ""}))
        return _render_step(draft, step, organization, form=form, results=results)

    going_back = bool(form.back.data)
    if not form.errors:
        try:
            with db.session.begin_nested():
                services.save_step(draft, step, forms.values(form))
                if going_back:
                    draft.step = services.previous_step(step)
            return redirect(_step_url(services.previous_step(step) if going_back else draft.step,
                                      organization))
        except FieldErrors as exc:
            for name, messages in exc.errors.items():
                form[name].errors = list(form[name].errors) + messages
    if going_back:
        services.keep_typed(draft, step, forms.raw(request.form), go_to=services.previous_step(step))
        flash("Данные шага сохранены как черновик; в них есть ошибки — исправьте их, прежде чем "
              "регистрировать организацию.", "warning")
        return redirect(_step_url(services.previous_step(step), organization))
    services.keep_typed(draft, step, forms.raw(request.form))
    uow.keep()  # the typed text survives the 422 answer
    return _render_step(draft, step, organization, 422, form=form)


def _list_step(draft, step, organization):
    item_form_class = forms.SECTION_FORMS[step]
    nav = forms.ListStepForm(formdata=None)
    item_form = None
    editing = None
    status = 200
    list_problems: list = []
    if request.method == "POST":
        action = request.form.get("action")
        if action == "remove":
            form = forms.RemoveForm()
            if not form.validate_on_submit():
                abort(400)
            services.remove_item(draft, step, form.item.data)
            flash("Запись удалена.", "info")
            return redirect(_step_url(step, organization))
        if action == "save":
            item_form = item_form_class()
            item_form.validate()
            editing = item_form.item.data or None
            if not item_form.errors:
                try:
                    with db.session.begin_nested():
                        services.save_item(draft, step, forms.values(item_form), editing)
                    flash("Запись сохранена.", "success")
                    return redirect(_step_url(step, organization))
                except FieldErrors as exc:
                    for name, messages in exc.errors.items():
                        item_form[name].errors = list(item_form[name].errors) + messages
                except WizardError as exc:
                    flash(exc.message, "error")
                    return redirect(_step_url(step, organization))
            status = 422
        else:
            nav = forms.ListStepForm()
            if not nav.validate_on_submit():
                abort(400)
            if nav.back.data:
                draft.step = services.previous_step(step)
                return redirect(_step_url(draft.step, organization))
            try:
                services.finish_list_step(draft, step)  # checks before it writes
                return redirect(_step_url(draft.step, organization))
            except services.ListErrors as exc:
                list_problems = exc.problems
                status = 422
    elif request.args.get("edit"):
        editing = request.args["edit"]
        item = services.find_item(draft, step, editing)
        if item is None:
            abort(404)
        item_form = forms.build(step, item)
        item_form.item.data = editing
    found = None
    if step == "branches" and request.method == "GET" and "find" in request.args:
        found = _found_units(request.args.get("find", ""), (draft.party or {}).get("ogrn"))
        use = request.args.get("use", "")
        if found.units and use.isdigit() and int(use) < len(found.units):
            item_form = forms.build(step, found.units[int(use)])
    if item_form is None:
        item_form = forms.build(step, {"active": True} if step == "beneficiaries" else {})
    return _render_step(draft, step, organization, status, nav=nav, item_form=item_form,
                        editing=editing, items=draft.data.get(step) or [],
                        remove_form=forms.RemoveForm(formdata=None), found=found,
                        list_problems=list_problems)


@dataclass
class FoundUnits:
    query: str
    error: str | None = None
    party: refdata.Party | None = None
    units: list = field(default_factory=list)


def _found_units(query: str, own_ogrn: str | None = None) -> FoundUnits:
    """Units of an organization found in ЕГРЮЛ by ОГРН/ИНН, to fill the ТОП form from."""
    result = refdata.lookup_party(query)
    if result.party is None:
        return FoundUnits(query, result.error or "В ЕГРЮЛ такой организации нет: введите сведения вручную.")
    party = result.party
    units = [{"kind": b.get("kind") or "branch", "name": b.get("name") or "", "kpp": b.get("kpp") or "",
              "address": b.get("address") or ""} for b in party.branches or []]
    # A separate unit registered as its own legal entity is offered with its own requisites —
    # but the organization being registered is not a unit of itself.
    if party.ogrn != own_ogrn:
        units.append({"kind": "other", "name": party.full_name, "kpp": party.kpp or "",
                      "address": party.address or ""})
    if not units:
        return FoundUnits(query, "В ЕГРЮЛ у этой организации нет филиалов и представительств: "
                                 "введите сведения о подразделении вручную.", party)
    return FoundUnits(query, None, party, units)


def _review(draft, organization):
    form = forms.ReviewForm()
    if organization is not None:
        form.next.label.text = "Сохранить изменения"
    status, conflict = 200, False
    if request.method == "POST":
        if form.back.data:
            return redirect(_step_url(services.previous_step("review"), organization))
        try:
            if organization is None:
                with db.session.begin_nested():
                    created = services.register(draft, _user(), g.certificate)
                flash(f"Организация {quoted(created.name)} зарегистрирована. Вы — администратор организации.",
                      "success")
                return redirect(url_for(".profile", org_id=created.id))
            with db.session.begin_nested():
                version = services.apply_edit(draft, _user(), request.remote_addr)
            flash(f"Изменения сохранены (версия {version.number}).", "success")
            return redirect(url_for(".profile", org_id=organization.id))
        except WizardError as exc:
            flash(exc.message, "error")
            conflict = exc.details.get("conflict", False)
            status = 409 if conflict else 422
    return _render_step(draft, "review", organization, status, form=form, check=services.review(draft),
                        data=draft.data, names=services.okved_names(services.profile_codes(draft.data)),
                        conflict=conflict)


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
    for label, endpoint, permission in hooks.org_links():
        if permission in granted or Permission.ASSIGN_ROLES in granted:
            sections.append(OrgSection(hooks.org_link_key(endpoint), label,
                                       url_for(endpoint, org_id=organization.id),
                                       locked=permission not in granted))
    return sections


def org_links(organization: Organization, user) -> list[tuple[str, str]]:
    return [(s.label, s.href) for s in org_sections(organization, user)[1:] if not s.locked]


def notices(organization: Organization) -> list[tuple[str, str]]:
    found = []
    if organization.is_blocked:
        found.append(("error", f"Организация заблокирована оператором реестра: {organization.blocked_reason}. "
                               "Действия в ней недоступны; по вопросам обращайтесь к оператору."))
    return found + hooks.org_notices(organization)


@bp.route("/<int:org_id>")
def profile(org_id: int):
    organization = _organization(org_id)
    tab = request.args.get("tab", "general")
    if tab not in dict(PROFILE_TABS) or tab == "history":
        tab = "general"
    user = _user()
    return render_template(
        "organizations/profile.html", organization=organization, tab=tab, tabs=PROFILE_TABS,
        data=organization.data, party=refdata.Party.from_dict(organization.party or {}),
        names=services.okved_names(services.profile_codes(organization.data)),
        notices=notices(organization), links=org_links(organization, user),
        can_edit=access.can(user, Permission.EDIT_PROFILE, organization),
        member=access.current_member(user, organization),
        edit_draft=services.find_draft(user, organization), edit_form=forms.StartEditForm())


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
    draft = services.start_edit(organization, _user())
    return redirect(url_for(".edit_wizard", org_id=org_id, step=draft.step))


@bp.route("/<int:org_id>/edit/<step>", methods=["GET", "POST"])
def edit_wizard(org_id: int, step: str):
    organization = _organization(org_id, Permission.EDIT_PROFILE)
    draft = services.find_draft(_user(), organization)
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
    draft = services.find_draft(_user(), organization)
    if draft is not None:
        services.discard(draft)
        flash("Изменения отменены.", "info")
    return redirect(url_for(".profile", org_id=org_id))
