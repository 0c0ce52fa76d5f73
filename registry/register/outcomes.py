"""What became of an organization's submitted applications, for the organization's own pages
(the answer to ``signals.application_outcomes``: the documents domain asks, never imports)."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..extensions import db
from .models import Decision, Review, SpecialRecord
from .services import REFUSAL_REASONS


def application_outcomes(applications: list, verify: bool = False) -> dict[int, dict]:
    """``{application id: outcome}`` for the submitted ones among ``applications``: the review's
    state (what is missing, the record's number, the refusal's reason), the links to the
    «Специальный учет» tab and the decisions, and — with ``verify`` — the decisions' signature
    checks. One statement for all: the reviews of the applications' organizations with their
    records and decisions."""
    submitted = [a for a in applications if a.status == a.SUBMITTED]
    if not submitted:
        return {}
    organizations = sorted({a.organization_id for a in submitted})
    record, decision = aliased(SpecialRecord), aliased(Decision)
    rows = db.session.execute(
        select(Review.id, Review.organization_id, Review.application_id, Review.status, Review.requested_info,
               Review.refusal_code, Review.refusal_text, record.number, record.registered_on, decision)
        .outerjoin(record, record.review_id == Review.id)
        .outerjoin(decision, decision.review_id == Review.id)
        .where(Review.organization_id.in_(organizations))
        .order_by(Review.application_id, decision.id)).all()
    reviews: dict[int, dict] = {}
    for row in rows:
        found = reviews.setdefault(row.application_id, {"row": row, "decisions": []})
        if row[-1] is not None and row[-1] not in found["decisions"]:
            found["decisions"].append(row[-1])
    outcomes: dict[int, dict] = {}
    for application in submitted:
        found = reviews.get(application.id)
        if found is not None:
            outcomes[application.id] = _outcome(found["row"], found["decisions"], verify)
            continue
        # Not under review itself: replaced by a later application of the same review.
        later = [a for a, f in reviews.items() if a > application.id
                 and f["row"].organization_id == application.organization_id]
        if later:
            newer = min(later)
            outcomes[application.id] = {
                "status_title": "Заменено более поздним заявлением", "detail": None, "checks": [],
                "links": [("Действующее заявление", url_for(
                    "applications.detail", org_id=application.organization_id, application_id=newer))]}
    return outcomes


def _outcome(row, found: list[Decision], verify: bool) -> dict:
    status_title = Review.STATUS_TITLES.get(row.status, row.status)
    detail = None
    if row.status == Review.INFO_REQUESTED:
        detail = (f"Не хватает: {row.requested_info}. Дополните профиль или документы, затем сформируйте, "
                  "подпишите и подайте заявление заново.")
    elif row.status == Review.REGISTERED and row.number:
        status_title = f"{status_title} № {row.number}"
        detail = f"Дата постановки: {row.registered_on:%d.%m.%Y}."
    elif row.status == Review.REFUSED:
        detail = f"Основание: {REFUSAL_REASONS.get(row.refusal_code or '', 'не указано')}. {row.refusal_text or ''}"
    links = [("Специальный учет", url_for("special_record.organization_page", org_id=row.organization_id))]
    checks = []
    for item in found:
        links.append((item.title, url_for("special_record.decision_file", org_id=row.organization_id,
                                          decision_id=item.id, kind="pdf")))
        if item.signature is not None:
            links.append(("Подпись оператора под решением", url_for(
                "special_record.decision_file", org_id=row.organization_id, decision_id=item.id, kind="sig")))
        if verify:
            from .decision import verify as verify_decision
            check = verify_decision(item)
            checks.append(check if check is not None else {
                "kind": "cms", "valid": False, "code": "not_signed",
                "message": f"{item.title} не подписано сертификатом оператора."})
    return {"status_title": status_title, "detail": detail, "links": links, "checks": checks}
