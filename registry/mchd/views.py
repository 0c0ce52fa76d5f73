"""«Доверенности (МЧД)»: an employee presents an МЧД for an organization they joined."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import bindparam, exists, select

from ..core import access, uow
from ..core.access import AccessDenied, Permission
from ..core.web import current_person as _user
from ..extensions import db
from ..identifiers import digits
from ..members.models import MemberStatus
from ..members.services.memberships import memberships_of
from . import forms, roles, services
from .document import MAX_XML_BYTES
from .models import PowerOfAttorneyRecord
from .package import MAX_SIGNATURE_BYTES

bp = Blueprint("mchd", __name__, template_folder="templates")
# A package holds the XML and its signature (and a re-delegation's parents).
MAX_UPLOAD_BYTES = MAX_XML_BYTES + 2 * MAX_SIGNATURE_BYTES


# Built once: SQLAlchemy keeps its cache key.
_HOLDS_MCHD = select(exists().where(PowerOfAttorneyRecord.user_id == bindparam("user_id")))


def menu_visible() -> bool:
    """The menu's «Доверенности (МЧД)»: for members who may present one (waiting for roles or
    active, administrators among them) and people holding an МЧД."""
    user = _user()
    if any(m.status in (MemberStatus.PENDING.value, MemberStatus.ACTIVE.value)
           for m in memberships_of(user)):  # read for the page already
        return True
    known = g.get("mchd_menu")
    if known is None or known[0] != user.id:
        known = g.mchd_menu = (user.id, bool(db.session.scalar(_HOLDS_MCHD, {"user_id": user.id})))
    return known[1]


def _who():
    """Who must be the representative: the certificate the person signed in with."""
    return g.get("certificate") or _user()


@bp.route("/mchd")
def index():
    return _index()


def _index(posted=None, result=None, member=None, status: int = 200):
    user = _user()
    entries = []
    for m in services.presentable_memberships(user):
        mine = posted if member is not None and m.id == member.id else None
        entries.append((m, mine if isinstance(mine, forms.UploadForm) else forms.UploadForm(formdata=None),
                        mine if isinstance(mine, forms.LookupForm) else forms.LookupForm(formdata=None)))
    return render_template("mchd/index.html", entries=entries, records=services.records_of(user),
                           result=result, member=member), status


@bp.route("/mchd/organizations/<int:org_id>/upload", methods=["POST"])
def upload(org_id: int):
    member = services.membership_or_404(_user(), org_id)
    form = forms.UploadForm()
    if not form.validate_on_submit():
        return _index(form, member=member, status=422)
    size = form.size(form.xml)
    if size > MAX_UPLOAD_BYTES:  # said with its real size, not the part that was read
        return _decide(member, form, services.too_large(size, MAX_XML_BYTES))
    xml = form.read(form.xml, MAX_UPLOAD_BYTES)
    signature = form.read(form.signature, MAX_SIGNATURE_BYTES) if form.signature.data else None
    name = form.xml.data.filename or None
    parents = form.parent(MAX_XML_BYTES, MAX_SIGNATURE_BYTES)
    result = services.check_files(member, _who(), xml, name, signature, parents)
    return _decide(member, form, result, xml=xml, signature=signature, file_name=name, source="upload")


@bp.route("/mchd/organizations/<int:org_id>/lookup", methods=["POST"])
def lookup(org_id: int):
    member = services.membership_or_404(_user(), org_id)
    form = forms.LookupForm()
    if not form.validate_on_submit():
        return _index(form, member=member, status=422)
    found = services.check_number(member, _who(), form.number.data.strip(), digits(form.inn.data))
    return _decide(member, form, found.result, xml=found.xml, signature=found.signature,
                   file_name=found.file_name, source="registry")


def _decide(member, form, result, **kept):
    """A valid МЧД is accepted (roles, journal); a refused one is journaled and shown."""
    if not result.valid:
        services.refuse(member, result, actor=_user(), remote_addr=request.remote_addr)
        uow.keep()  # the refusal stays in the journal although the answer is 422
        return _index(form, result, member, 422)
    accepted = services.accept(member, result, actor=_user(), remote_addr=request.remote_addr, **kept)
    flash(_accepted_message(member, accepted), "success")
    return redirect(url_for(".record", record_id=accepted.record.id))


def _accepted_message(member, accepted: services.Accepted) -> str:
    text = f"Доверенность № {accepted.record.number} принята."
    if accepted.added:
        return text + " Назначены роли: " + ", ".join(r.title for r in accepted.added) + \
            f". Статус: «{member.member_status.title}»."
    if accepted.text_only:
        return text + " Полномочия указаны текстом: роли назначит администратор организации."
    return text + f" Новых ролей она не даёт. Статус: «{member.member_status.title}»."


@bp.route("/mchd/<int:record_id>")
def record(record_id: int):
    found = db.session.get(PowerOfAttorneyRecord, record_id)
    if found is None or found.user_id != _user().id:
        raise AccessDenied(not_found=True)  # another person's МЧД does not exist for them
    return render_template("mchd/record.html", record=found)


# -- the operator's table of powers and roles --------------------------------------------------
@bp.route("/operator/mchd-powers")
def powers():
    """«Полномочия МЧД и роли»: which roles each power's code gives (operators only)."""
    access.require(_user(), Permission.OPERATOR_CONSOLE)
    return _powers_page(forms.rule_form(roles.rule(request.args.get("code"))))


def _powers_page(form, status: int = 200):
    return render_template("mchd/powers.html", form=form, rules=roles.rules(),
                           delete=forms.DeleteRuleForm(formdata=None)), status


@bp.route("/operator/mchd-powers", methods=["POST"])
def save_power():
    access.require(_user(), Permission.OPERATOR_CONSOLE)
    form = forms.PowerRuleForm()
    if not form.validate_on_submit():
        return _powers_page(form, 422)
    try:
        rule = roles.save_rule(form.code.data, form.name.data, form.chosen(), _user())
    except roles.RuleError as exc:
        form.code.errors = [*form.code.errors, str(exc)]
        return _powers_page(form, 422)
    given = ", ".join(r.title for r in sorted(form.chosen())) or "не даёт ролей"
    flash(f"Полномочие {rule.code} сохранено: роли — {given}.", "success")
    return redirect(url_for(".powers"))


@bp.route("/operator/mchd-powers/delete", methods=["POST"])
def delete_power():
    access.require(_user(), Permission.OPERATOR_CONSOLE)
    form = forms.DeleteRuleForm()
    if not form.validate_on_submit():
        raise AccessDenied(not_found=True)
    try:
        roles.delete_rule(form.code.data or "")
    except roles.RuleError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Полномочие {form.code.data} удалено: новые доверенности с ним ролей не дают.", "success")
    return redirect(url_for(".powers"))
