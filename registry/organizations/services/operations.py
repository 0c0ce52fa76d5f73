"""Changes to a registered organization's record: registering it from a complete draft, and
applying an edit draft as a new version."""

from __future__ import annotations

from typing import cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError

from ...auth.models import User
from ...core import signals
from ...core.journal import record
from ...extensions import db, utcnow
from ...refdata import services as refdata
from ...text import quoted
from ..models import Organization, OrganizationDraft, OrganizationVersion
from .egrul_check import check_head, ended
from .history import diff
from .queries import registered
from .wizard import SECTIONS, WizardError, party_of, review


def _profile(draft: OrganizationDraft) -> dict:
    return {key: draft.data.get(key) for key in SECTIONS}


def register(draft: OrganizationDraft, user: User, cert) -> Organization:
    """Register the organization of a complete draft; its head becomes the administrator."""
    if draft.organization_id is not None:
        raise WizardError("Это черновик изменений, а не регистрации.")
    check = review(draft)
    if not check.ready:
        raise WizardError("Не все шаги заполнены: исправьте отмеченные шаги.", problems=check.problems)
    party = party_of(draft)
    local = refdata.find_local(party.ogrn) if party.confirmed else None
    if local is not None and local.extract_date and party.extract_date \
            and local.extract_date > party.extract_date:
        reason = ended(refdata.party_of_record(local))
        if reason:  # a newer extract arrived while the draft was being filled
            raise WizardError(reason)
    if party.confirmed:
        head = check_head(cert, party)
        if not head.ok:
            raise WizardError("Вы вошли с сертификатом, владелец которого не является руководителем "
                              f"организации: {head.reason}.")
    holder = registered(party.ogrn)
    if holder is not None:
        raise WizardError(_holder_message(holder))
    organization = Organization(
        kind=party.kind, ogrn=party.ogrn, inn=party.inn, kpp=party.kpp, full_name=party.full_name,
        short_name=party.short_name, egrul_confirmed=party.confirmed, data=_profile(draft),
        party=draft.party, version=1, registered_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(organization)
            db.session.flush()
    except IntegrityError:
        # Another head registered it between the check and now.
        raise WizardError(_holder_message(registered(party.ogrn))) from None
    db.session.add(OrganizationVersion(organization_id=organization.id, number=1,
                                       data=organization.data, author_id=user.id,
                                       changes=[{"section": "", "field": "", "old": None,
                                                 "new": "Организация зарегистрирована"}]))
    # the head becomes its administrator
    signals.send(signals.organization_registered, organization=organization, user=user)
    db.session.delete(draft)
    db.session.flush()
    return organization


def _holder_message(holder: Organization | None) -> str:
    if holder is None:
        return "Организация уже зарегистрирована."
    who = holder.registered_by.full_name if holder.registered_by else "другим пользователем"
    return (f"Организация {quoted(holder.name)} уже зарегистрирована в реестре "
            f"{holder.registered_at:%d.%m.%Y} ({who}). Чтобы работать в ней, присоединитесь к "
            "организации как сотрудник и попросите администратора назначить вам роли.")


def apply_edit(draft: OrganizationDraft, user: User, remote_addr: str | None = None) -> OrganizationVersion:
    """Apply an edit draft in one step, keeping the previous profile in the history.

    Refused when someone saved the profile after this edit began (nothing is overwritten).
    """
    organization = draft.organization
    if organization is None:
        raise WizardError("Это черновик регистрации, а не изменений.")
    check = review(draft)
    if not check.ready:
        raise WizardError("Не все шаги заполнены: исправьте отмеченные шаги.", problems=check.problems)
    new = _profile(draft)
    changes = diff(organization.data, new)
    if not changes:
        raise WizardError("Изменений нет: профиль остался прежним.")
    base = draft.base_version
    assert base is not None  # set by start_edit for every edit draft
    updated = db.session.execute(
        update(Organization).where(Organization.id == organization.id, Organization.version == base)
        .values(version=base + 1, data=new, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if cast(CursorResult, updated).rowcount != 1:
        db.session.refresh(organization)
        last = organization.versions[0] if organization.versions else None
        who = last.author.full_name if last and last.author else "другой администратор"
        raise WizardError(
            f"Профиль уже изменил {who} после того, как вы начали редактирование (версия "
            f"{organization.version}). Отмените свои изменения и начните заново, чтобы не "
            "перезаписать чужие правки.", conflict=True)
    version = OrganizationVersion(organization_id=organization.id, number=base + 1, data=new,
                                  changes=changes, author_id=user.id)
    db.session.add(version)
    sections = sorted({c["section"].split(":")[0] for c in changes})
    record(organization, "profile", actor=user, subject=user, remote_addr=remote_addr,
           details=f"Версия {base + 1}: изменено {len(changes)} — {', '.join(sections)}")
    db.session.delete(draft)
    db.session.flush()
    db.session.refresh(organization)
    return version
