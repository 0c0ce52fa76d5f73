"""The review through the pages: submitted → accepted → information asked and given →
registered (or refused); journaled, told, signed; the record on the organization's page."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from registry.core.journal import OrganizationJournalEntry
from registry.extensions import db
from registry.notices.models import Notice
from registry.register.models import Decision, Review, SpecialRecord

from .conftest import act, form_and_submit, version_of


def _review(app, org_id) -> Review:
    with app.app_context():
        review = db.session.scalar(select(Review).where(Review.organization_id == org_id))
        assert review is not None
        db.session.expunge(review)
        return review


def test_the_whole_lifecycle(app, org, as_person, operator_id, signing, demo_pki, tmp_path):
    head = as_person("head")
    form_and_submit(head, demo_pki, tmp_path, org.id)
    review = _review(app, org.id)
    assert review.status == Review.SUBMITTED

    operator = as_person("employee1")
    queue = operator.get("/operator/applications").text
    assert "ООО «РОМАШКА»" in queue and "Иванов Иван Иванович" in queue and "подпись верна" in queue
    url = f"/operator/applications/{review.id}"
    page = operator.get(url).text
    assert "Подано" in page and "Устав № У-1" in page and "Сведения ЕГРЮЛ на сегодня" in page
    # nonsense is refused with a message: registering a merely submitted application
    r = act(operator, f"{url}/register", {"version": version_of(page)})
    assert "Нельзя поставить на специальный учет: заявление в состоянии «Подано»" in r
    r = act(operator, f"{url}/accept", {"version": version_of(page)})
    assert "Принято к рассмотрению" in r
    r = act(operator, f"{url}/request_info", {"version": version_of(r), "requested_info": ""})
    assert "Укажите, каких сведений" in r
    r = act(operator, f"{url}/request_info", {"version": version_of(r),
                                              "requested_info": "Приложите действующий устав"})
    assert "Запрошены сведения" in r

    # the head is told and answers by a new, re-signed application
    head = as_person("head")
    with app.app_context():
        told = db.session.scalars(select(Notice).where(Notice.user_id == org.head_id,
                                                       Notice.kind == "register_status")).all()
        assert any("Приложите действующий устав" in n.body for n in told)
    page = head.get(f"/organizations/{org.id}/special-record/").text
    assert "Приложите действующий устав" in page
    form_and_submit(head, demo_pki, tmp_path, org.id, number="У-2")
    assert _review(app, org.id).status == Review.INFO_PROVIDED

    operator = as_person("employee1")
    page = operator.get(url).text
    assert "Сведения представлены" in page and "Заявление № 2" in page
    r = act(operator, f"{url}/register", {"version": version_of(page)})
    assert "Поставлено на специальный учет" in r
    with app.app_context():
        record = db.session.scalar(select(SpecialRecord).where(SpecialRecord.organization_id == org.id))
        assert record.number.startswith("СУ-") and record.number.endswith("-000001")
        decision = db.session.scalar(select(Decision).where(Decision.organization_id == org.id))
        assert decision.pdf.startswith(b"%PDF-") and decision.signature is not None
        from registry.register.decision import verify
        check = verify(decision)
        assert check["valid"], check
        assert check["signer"]["full_name"] == "Сидорова Анна Сергеевна"
        events = [e.details for e in db.session.scalars(select(OrganizationJournalEntry).where(
            OrganizationJournalEntry.organization_id == org.id, OrganizationJournalEntry.event == "register"))]
        assert any("Принято к рассмотрению" in e for e in events)
        assert any(record.number in e for e in events)
        number, decision_id = record.number, decision.id
    assert "подпись верна" in operator.get(url).text

    # the organization sees its record and downloads the signed decision
    head = as_person("head")
    page = head.get(f"/organizations/{org.id}/special-record/").text
    assert number in page and "Состоит на учете" in page
    assert f"Специальный учет: запись № {number}" in head.get(f"/organizations/{org.id}").text
    base = f"/organizations/{org.id}/special-record/decisions/{decision_id}"
    assert head.get(f"{base}.pdf").data.startswith(b"%PDF-")
    assert head.get(f"{base}.sig").status_code == 200
    # the register shows it, and so do its downloads
    assert number in head.get("/register?q=" + "7701").text or number in head.get("/register").text
    csv_text = head.get("/register.csv").data.decode("utf-8-sig")
    assert number in csv_text and "ООО «РОМАШКА»" in csv_text
    book = zipfile.ZipFile(io.BytesIO(head.get("/register.xlsx").data))
    assert number in book.read("xl/worksheets/sheet1.xml").decode()
    # removing keeps the number; registering again gives a new one
    operator = as_person("employee1")
    operator.get("/operator/records")
    with app.app_context():
        record_id = db.session.scalar(select(SpecialRecord.id).where(SpecialRecord.organization_id == org.id))
    r = act(operator, f"/operator/records/{record_id}/remove", {"reason": ""})
    assert "Укажите основание" in r
    r = act(operator, f"/operator/records/{record_id}/remove", {"reason": "Заявление организации"})
    assert "снята с учета" in r
    with app.app_context():
        from registry.register import services
        assert services.next_number("record", services.DEFAULT_NUMBER_FORMAT).endswith("-000002")


def test_refusal_names_the_reason(app, org, as_person, operator_id, demo_pki, tmp_path):
    form_and_submit(as_person("head"), demo_pki, tmp_path, org.id)
    review = _review(app, org.id)
    operator = as_person("employee1")
    url = f"/operator/applications/{review.id}"
    page = act(operator, f"{url}/accept", {"version": version_of(operator.get(url).text)})
    r = act(operator, f"{url}/refuse", {"version": version_of(page), "refusal_code": "",
                                        "refusal_text": "x"})
    assert "Выберите основание отказа" in r
    r = act(operator, f"{url}/refuse", {"version": version_of(page), "refusal_code": "unreliable",
                                        "refusal_text": "Адрес не совпадает с ЕГРЮЛ"})
    assert "Отказано" in r
    with app.app_context():
        decision = db.session.scalar(select(Decision).where(Decision.organization_id == org.id))
        assert decision.kind == Decision.REFUSE and decision.signature is None  # no certificate configured
        assert db.session.scalar(select(SpecialRecord).where(SpecialRecord.organization_id == org.id)) is None
    page = as_person("head").get(f"/organizations/{org.id}/special-record/").text
    assert "Адрес не совпадает с ЕГРЮЛ" in page and "Решение об отказе" in page
