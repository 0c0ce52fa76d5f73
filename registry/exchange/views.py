"""«Профили информационного обмена» (pages for the organization administrator)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..core.access import Permission
from ..core.forms import submitted
from ..core.web import current_person as _user
from ..extensions import db
from ..organizations.services.queries import organization_or_404
from ..text import quoted
from . import forms, services
from .services import ExchangeError

ORG = "<int:org_id>"
bp = Blueprint("exchange", __name__, template_folder="templates", url_prefix=f"/organizations/{ORG}/exchange")


def _organization(org_id: int):
    return organization_or_404(org_id, Permission.MANAGE_EXCHANGE, _user())


def _profile(org_id: int, profile_id: int):
    organization = _organization(org_id)
    profile = services.profile_or_none(organization, profile_id)
    if profile is None:
        abort(404)
    return organization, profile


def _units(organization):
    return [("", "Организация (головное подразделение)"),
            *[(b["id"], b.get("name") or b["id"]) for b in (organization.data or {}).get("branches") or []]]


def _apply_error(form, exc: ExchangeError) -> None:
    target = form[exc.field] if exc.field and exc.field in form else form.certificate
    target.errors = [*target.errors, exc.message]


def _attempt(form, action):
    """Run a service call in a savepoint; an ExchangeError becomes the form's error (None)."""
    try:
        with db.session.begin_nested():
            return action()
    except ExchangeError as exc:
        _apply_error(form, exc)
        return None


@bp.route("", methods=["GET", "POST"])
def index(org_id: int):
    organization = _organization(org_id)
    form = forms.ProfileForm() if request.method == "POST" else forms.ProfileForm(formdata=None)
    form.branch_id.choices = _units(organization)
    profile = submitted(form) and _attempt(form, lambda: services.create_profile(
        organization, user=_user(), system_name=form.system_name.data,
        system_code=form.system_code.data, branch_id=form.branch_id.data or None,
        certificate=form.certificate_payload, remote_addr=request.remote_addr))
    if profile:
        flash(f"Профиль информационного обмена {quoted(profile.system_name)} создан.", "success")
        return redirect(url_for(".detail", org_id=org_id, profile_id=profile.id))
    return render_template("exchange/index.html", organization=organization, form=form,
                           profiles=services.profiles(organization),
                           unit_title=lambda b: services.unit_title(organization, b)), \
        422 if request.method == "POST" else 200


def certificate_owner(pem: str) -> tuple[str, str]:
    """Who a stored certificate belongs to (name and organization) and who issued it (the CA's
    name), not raw DNs; empty strings when it cannot be read."""
    from ..pki import load_certificate
    try:
        cert = load_certificate(pem)
    except Exception:  # an unreadable stored certificate is shown by its DN
        return "", ""
    return (", ".join(p for p in (cert.full_name, cert.organization) if p),
            cert.issuer_common_name or "")


def _detail(organization, profile, form=None, status=200, edit_form=None):
    edit_form = edit_form or forms.EditProfileForm(formdata=None, obj=profile)
    return render_template("exchange/detail.html", organization=organization, profile=profile,
                           form=form or forms.CertificateForm(formdata=None),
                           action_form=forms.ActionForm(formdata=None), edit_form=edit_form,
                           owner=certificate_owner,
                           unit=services.unit_title(organization, profile.branch_id)), status


@bp.route("/<int:profile_id>/edit", methods=["POST"])
def edit(org_id: int, profile_id: int):
    """Rename the information system or change its code."""
    organization, profile = _profile(org_id, profile_id)
    form = forms.EditProfileForm()
    if not submitted(form):
        return _detail(organization, profile, status=422, edit_form=form)
    changed = _attempt(form, lambda: services.update_profile(
        profile, user=_user(), system_name=form.system_name.data,
        system_code=form.system_code.data, remote_addr=request.remote_addr))
    if changed is None:
        return _detail(*_profile(org_id, profile_id), status=422, edit_form=form)
    flash("Профиль сохранён." if changed else "Изменений нет.", "success" if changed else "info")
    return redirect(url_for(".detail", org_id=org_id, profile_id=profile_id))


@bp.route("/<int:profile_id>")
def detail(org_id: int, profile_id: int):
    return _detail(*_profile(org_id, profile_id))


@bp.route("/<int:profile_id>/certificates", methods=["POST"])
def add_certificate(org_id: int, profile_id: int):
    organization, profile = _profile(org_id, profile_id)
    form = forms.CertificateForm()
    if not submitted(form):
        return _detail(organization, profile, form, 422)
    cert = _attempt(form, lambda: services.add_certificate(
        profile, user=_user(), certificate=form.certificate_payload,
        remote_addr=request.remote_addr))
    if cert is None:
        return _detail(*_profile(org_id, profile_id), form, 422)
    flash(f"Сертификат {cert.serial} добавлен.", "success")
    return redirect(url_for(".detail", org_id=org_id, profile_id=profile_id))


@bp.route("/<int:profile_id>/certificates/<int:certificate_id>/delete",
          methods=["POST"])
def remove_certificate(org_id: int, profile_id: int, certificate_id: int):
    organization, profile = _profile(org_id, profile_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    try:
        with db.session.begin_nested():
            services.remove_certificate(profile, certificate_id, user=_user(),
                                        remote_addr=request.remote_addr)
    except ExchangeError as exc:
        flash(exc.message, "error")
        return _detail(*_profile(org_id, profile_id), status=409)
    flash("Сертификат удален из профиля.", "info")
    return redirect(url_for(".detail", org_id=org_id, profile_id=profile_id))


@bp.route("/<int:profile_id>/delete", methods=["POST"])
def delete(org_id: int, profile_id: int):
    _organization_, profile = _profile(org_id, profile_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    name = profile.system_name
    services.delete_profile(profile, user=_user(), remote_addr=request.remote_addr)
    flash(f"Профиль {quoted(name)} удален.", "info")
    return redirect(url_for(".index", org_id=org_id))
