"""Documents about to expire: the notice on the organization's pages and the e-mails to
the people who work with documents."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import bindparam, select

from ...core import clock
from ...extensions import db
from ...organizations.models import Organization
from ...text import in_days, plural_days
from ..models import Document

EXPIRY_WARNING_DAYS = 30


_EXPIRING = (  # built once (the organization page runs it): SQLAlchemy keeps its cache key
    select(Document).where(Document.organization_id == bindparam("org_id"),
                           Document.expires_on <= bindparam("until"))
    .order_by(Document.expires_on))


def expiring(organization: Organization, today: date | None = None) -> list[Document]:
    today = today or clock.today()
    return list(db.session.scalars(_EXPIRING, {"org_id": organization.id,
                                               "until": today + timedelta(days=EXPIRY_WARNING_DAYS)}))


def expiry_notices(organization: Organization) -> list[tuple[str, str]]:
    """Notices for the organization page: documents expired or expiring within 30 days."""
    today = clock.today()
    notices = []
    for document in expiring(organization, today):
        left = document.days_left(today)
        if left is None:
            continue
        if left < 0:
            notices.append(("error", f"Срок действия документа «{document.title}» истёк "
                                     f"{document.expires_on:%d.%m.%Y}. Загрузите действующий документ."))
        else:
            when = "сегодня" if left == 0 else f"через {left} {plural_days(left)}"
            notices.append(("warning", f"Срок действия документа «{document.title}» истекает "
                                       f"{document.expires_on:%d.%m.%Y} ({when})."))
    return notices


NOTICE_THRESHOLDS = (30, 14, 7, 1, 0)


def _documents_people(organization_id: int) -> list:
    """Active members whose roles carry the documents permission."""
    from ...members.models import Membership, MemberStatus, Permission, roles_granting

    granting = {r.value for r in roles_granting(Permission.DOCUMENTS)}
    members = db.session.scalars(select(Membership).where(
        Membership.organization_id == organization_id,
        Membership.status == MemberStatus.ACTIVE.value))
    return [m.user for m in members if granting & set(m.roles or [])]


def notify_expiring_documents(today: date | None = None) -> int:
    """Notices to those with the documents permission: a document expires in 30, 14, 7 or
    1 days, or today (each threshold once per document and expiry date)."""
    from ...notices.kinds import DOCUMENT_EXPIRY
    from ...notices.services import notify, threshold_reached

    today = today or clock.today()
    found = db.session.scalars(select(Document).where(
        Document.expires_on >= today,
        Document.expires_on <= today + timedelta(days=max(NOTICE_THRESHOLDS)))
        .order_by(Document.organization_id, Document.expires_on))
    sent, people = 0, {}
    for document in found:
        left = document.days_left(today)
        if left is None:  # open-ended («Бессрочно»): the statement does not select it anyway
            continue
        reached = threshold_reached(left, NOTICE_THRESHOLDS)
        if reached is None:
            continue
        if document.organization_id not in people:
            people[document.organization_id] = _documents_people(document.organization_id)
        when = in_days(left)
        organization = db.session.get(Organization, document.organization_id)
        for user in people[document.organization_id]:
            sent += notify(
                user, DOCUMENT_EXPIRY, f"{document.id}:{document.expires_on}:{reached}",
                f"Срок действия документа «{document.title}» истекает {when}",
                f"Документ «{document.title}» организации {organization.name if organization else ''} "
                f"действует по {document.expires_on:%d.%m.%Y}. Загрузите действующий документ.",
                url=f"/organizations/{document.organization_id}/documents/{document.id}",
                organization=organization) is not None
    return sent
