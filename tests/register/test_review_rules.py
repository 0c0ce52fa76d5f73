"""Who may decide, what is refused, two operators at once, the ЕГРЮЛ flag, the API and the
register's public switch."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from registry.extensions import db
from registry.register import services
from registry.register.models import Decision, Review, SpecialRecord
from registry.register.services import RegisterError

from ..documents.conftest import Browser
from .conftest import act, form_and_submit, version_of


def _submitted(app, as_person, org, demo_pki, tmp_path) -> int:
    form_and_submit(as_person("head"), demo_pki, tmp_path, org.id)
    with app.app_context():
        return db.session.scalar(select(Review.id).where(Review.organization_id == org.id))


def test_only_operators_decide(app, org, as_person, operator_id, demo_pki, tmp_path):
    review_id = _submitted(app, as_person, org, demo_pki, tmp_path)
    head = as_person("head")
    # the head (an administrator of the organization) does not even see the operator's pages
    assert head.get("/operator/applications").status_code == 404
    assert head.get(f"/operator/applications/{review_id}").status_code == 404
    assert head.post(f"/operator/applications/{review_id}/accept", {"version": "1"}).status_code == 404
    with app.app_context():
        from registry.auth.models import User
        review = db.session.get(Review, review_id)
        with pytest.raises(RegisterError, match="только оператор"):
            services.transition(review, "accept", actor=db.session.get(User, org.head_id), version=1)
        assert db.session.get(Review, review_id).status == Review.SUBMITTED


def test_no_organization_sees_another_ones_review(app, org, as_person, operator_id, demo_pki, tmp_path):
    review_id = _submitted(app, as_person, org, demo_pki, tmp_path)
    operator = as_person("employee1")
    url = f"/operator/applications/{review_id}"
    page = act(operator, f"{url}/accept", {"version": version_of(operator.get(url).text)})
    act(operator, f"{url}/refuse", {"version": version_of(page), "refusal_code": "other", "refusal_text": "Нет"})
    with app.app_context():
        decision_id = db.session.scalar(select(Decision.id).where(Decision.review_id == review_id))
    head = as_person("head")
    assert head.get(f"/organizations/{org.id}/special-record/decisions/{decision_id}.pdf").status_code == 200
    # the foreign organization's URL, or the decision under it, is not found
    assert head.get(f"/organizations/{org.other_id}/special-record/").status_code == 404
    assert head.get(f"/organizations/{org.other_id}/special-record/decisions/{decision_id}.pdf").status_code == 404


@pytest.mark.parametrize(("status", "action", "message"), [
    (Review.SUBMITTED, "request_info", "Нельзя запросить сведения: заявление в состоянии «Подано»"),
    (Review.INFO_REQUESTED, "register", "Нельзя поставить на специальный учет"),
    (Review.REGISTERED, "refuse", "Нельзя отказать: заявление в состоянии «Поставлено на специальный учет»"),
    (Review.REFUSED, "accept", "Нельзя принять к рассмотрению"),
])
def test_transitions_that_make_no_sense_are_refused(app, org, operator_id, status, action, message):
    from registry.auth.models import User
    from tests.factories import make_application, make_review

    with app.app_context():
        from registry.organizations.models import Organization
        organization = db.session.get(Organization, org.id)
        review = make_review(make_application(organization, status="submitted"), status=status)
        with pytest.raises(RegisterError, match=message):
            services.transition(review, action, actor=db.session.get(User, operator_id), version=1,
                                requested_info="x", refusal_code="other", refusal_text="x")


def test_two_operators_one_wins(app, org, as_person, operator_id, signing, demo_pki, tmp_path):
    from registry.auth.models import User
    from registry.pki.demo_pki import PEOPLE

    review_id = _submitted(app, as_person, org, demo_pki, tmp_path)
    with app.app_context():  # a second operator: the demo entrepreneur's account
        db.session.scalar(select(User).where(User.snils == PEOPLE["ip"]["snils"])).is_operator = True
        db.session.commit()
    first = as_person("employee1")
    url = f"/operator/applications/{review_id}"
    page = act(first, f"{url}/accept", {"version": version_of(first.get(url).text)})
    seen = version_of(page)
    second_client = app.test_client()
    second_client.certificate = demo_pki.person("ip", "ecdsa").pem
    second = Browser(second_client)
    assert version_of(second.get(url).text) == seen  # both look at the same state
    assert "Поставлено на специальный учет" in act(first, f"{url}/register", {"version": seen})
    page = act(second, f"{url}/refuse", {"version": seen, "refusal_code": "other", "refusal_text": "Нет"})
    assert "Заявление уже изменено другим оператором" in page
    with app.app_context():
        assert db.session.get(Review, review_id).status == Review.REGISTERED
        assert [d.kind for d in db.session.scalars(select(Decision).where(Decision.review_id == review_id))] \
            == [Decision.REGISTER]


def test_the_conditional_update_decides_a_race(app, org, operator_id):
    """Both operators passed the checks on the same version; the database lets one through."""
    from registry.auth.models import User
    from tests.factories import make_application, make_review

    with app.app_context():
        from registry.organizations.models import Organization
        review = make_review(make_application(db.session.get(Organization, org.id), status="submitted"))
        # the other operator's transition landed after this one read the review
        db.session.execute(update(Review).where(Review.id == review.id).values(version=2, status=Review.ACCEPTED)
                           .execution_options(synchronize_session=False))
        assert review.version == 1
        with pytest.raises(RegisterError, match="уже изменено другим оператором"):
            services.transition(review, "accept", actor=db.session.get(User, operator_id), version=1)


def test_record_numbers_are_never_reused(app, db_session):
    with app.app_context():
        app.config["REGISTRY_RECORD_NUMBER_FORMAT"] = "ДМДК/{year}/{seq:04d}"
        try:
            numbers = [services.next_number("record", services.number_format(), 2026) for _ in range(3)]
        finally:
            app.config["REGISTRY_RECORD_NUMBER_FORMAT"] = None
        assert numbers == ["ДМДК/2026/0001", "ДМДК/2026/0002", "ДМДК/2026/0003"]
        assert services.next_number("record", services.DEFAULT_NUMBER_FORMAT, 2027) == "СУ-2027-000001"


def test_a_new_head_in_egrul_flags_the_record(app, org, operator_id):
    from registry.organizations.models import Organization
    from registry.refdata.egrul import WATCH_KEY

    with app.app_context():
        organization = db.session.get(Organization, org.id)
        record = SpecialRecord(organization_id=org.id, number="СУ-2026-999999", registered_on=__import__(
            "datetime").date(2026, 12, 1))
        db.session.add(record)
        db.session.flush()
        old = dict(organization.party or {})
        old["head"] = {"kind": "person", "surname": "Иванов", "given": "Иван", "patronymic": "Иванович",
                       "inn": "500100732259"}
        new = dict(old, head={"kind": "person", "surname": "Новиков", "given": "Николай", "patronymic": "Петрович",
                             "inn": "7799000001"}, extract_date="2026-12-05")
        _column, handler = app.extensions[WATCH_KEY]
        handler([{"ogrn": organization.ogrn, "old": old, "new": new}])
        db.session.refresh(record)
        assert record.egrul_flag and "смена руководителя" in record.egrul_note and "Новиков" in record.egrul_note


def test_the_register_in_the_api_and_the_public_switch(app, org, as_person, client, demo_pki):
    with app.app_context():
        db.session.add(SpecialRecord(organization_id=org.id, number="СУ-2026-000777",
                                     registered_on=__import__("datetime").date(2026, 12, 1)))
        db.session.commit()
    head = as_person("head")
    found = head.client.get("/api/v1/register?q=РОМАШКА").get_json()
    assert [r["number"] for r in found["records"]] == ["СУ-2026-000777"]
    assert found["records"][0]["status_title"] == "Состоит на учете"
    assert head.client.get(f"/api/v1/organizations/{org.id}").get_json()["special_record"]["number"] == "СУ-2026-000777"
    anonymous = app.test_client()
    assert anonymous.get("/register").status_code != 200  # signed-in people only by default
    from registry import create_app
    public_app = create_app({**app.config, "REGISTRY_REGISTER_PUBLIC": True})
    public_app.test_client_class = type(client)
    with public_app.app_context():
        response = public_app.test_client().get("/register?q=7701")
    assert response.status_code == 200


def test_the_queue_filters_by_state_and_date_and_pages(app, org, as_person, operator_id):
    from datetime import timedelta

    from registry.core import clock
    from registry.organizations.models import Organization
    from tests.factories import make_application, make_organization, make_review

    with app.app_context():
        for n in range(services.PAGE + 2):
            other = make_organization(name=f"ООО «ОЧЕРЕДЬ {n}»")
            make_review(make_application(other, status="submitted"),
                        status=Review.REFUSED if n == 0 else Review.SUBMITTED)
        make_review(make_application(db.session.get(Organization, org.id), status="submitted"),
                    status=Review.ACCEPTED)
        db.session.commit()
    operator = as_person("employee1")
    first = operator.get("/operator/applications").text
    import re
    rows = re.findall(r'href="/operator/applications/\d+"', first)
    assert "Следующие →" in first and len(rows) == services.PAGE
    import html
    link = re.search(r'href="([^"]+)">Следующие →', first)
    assert link is not None
    second = operator.get(html.unescape(link.group(1))).text
    assert "← В начало" in second and "Следующие →" not in second
    more = re.findall(r'href="/operator/applications/\d+"', second)
    assert len(more) == 2 and not set(more) & set(rows)  # keyset: the rest, none repeated
    def table(url: str) -> str:
        page = operator.get(url).text
        return page[page.find("<table"):page.find("</table>")] if "<table" in page else ""

    refused = table("/operator/applications?status=refused")
    assert "ООО «ОЧЕРЕДЬ 0»" in refused and "РОМАШКА" not in refused
    accepted = table("/operator/applications?status=accepted")
    assert "РОМАШКА" in accepted and "ОЧЕРЕДЬ" not in accepted
    yesterday = (clock.today() - timedelta(days=1)).strftime("%d.%m.%Y")
    assert "Заявлений нет." in operator.get(f"/operator/applications?status=&until={yesterday}").text
