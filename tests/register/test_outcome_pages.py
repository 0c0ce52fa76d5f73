"""The organization sees the operator's outcome where it looks: its applications' list and page
show the review's state, the «Специальный учет» tab and the decision with its signature check,
within the pages' SQL budget."""

from __future__ import annotations

import re

from sqlalchemy import select

from registry.extensions import db
from registry.register.models import Review

from ..helpers import statements
from .conftest import act, form_and_submit, version_of

BUDGET = 8


def _review_id(app, org_id) -> int:
    with app.app_context():
        return db.session.scalar(select(Review.id).where(Review.organization_id == org_id))


def _application_urls(page: str, org_id: int) -> list[str]:
    return re.findall(rf'href="(/organizations/{org_id}/applications/\d+)"', page)


def test_the_head_sees_each_outcome_on_the_application_pages(app, org, as_person, operator_id, signing,
                                                             demo_pki, tmp_path):
    head = as_person("head")
    first = form_and_submit(head, demo_pki, tmp_path, org.id)
    assert "Подано" in head.get(first).text
    url = f"/operator/applications/{_review_id(app, org.id)}"
    operator = as_person("employee1")
    page = act(operator, f"{url}/accept", {"version": version_of(operator.get(url).text)})

    head = as_person("head")
    assert "Принято к рассмотрению" in head.get(first).text
    assert "Принято к рассмотрению" in head.get(f"/organizations/{org.id}/applications").text

    operator = as_person("employee1")
    act(operator, f"{url}/request_info", {"version": version_of(page),
                                          "requested_info": "Приложите выписку о собственнике"})
    head = as_person("head")
    text = head.get(first).text
    assert "Запрошены сведения" in text and "Приложите выписку о собственнике" in text
    assert f'href="/organizations/{org.id}/special-record/"' in text

    second = form_and_submit(head, demo_pki, tmp_path, org.id, number="У-2")
    listing = head.get(f"/organizations/{org.id}/applications").text
    assert "Сведения представлены" in listing and "Заменено более поздним заявлением" in listing
    assert f'href="{second}"' in head.get(first).text

    operator = as_person("employee1")
    act(operator, f"{url}/register", {"version": version_of(operator.get(url).text)})
    head = as_person("head")
    text = head.get(second).text
    assert re.search(r"Поставлено на специальный учет № СУ-\d{4}-000001", text), text
    assert "Решение о постановке на специальный учет № Р-" in text
    assert "/special-record/decisions/" in text and "подпись верна" in text
    assert "Сидорова Анна Сергеевна" in text  # the operator's certificate, checked
    # the «Специальный учет» tab shows the check too
    tab = head.get(f"/organizations/{org.id}/special-record/").text
    assert "подпись верна" in tab and "Сидорова Анна Сергеевна" in tab

    # one statement for all the rows: the list costs the same with 2 applications as with 6
    head.get(f"/organizations/{org.id}/applications")
    with statements(app) as small:
        assert head.get(f"/organizations/{org.id}/applications").status_code == 200
    for n in range(3, 7):
        form_and_submit(head, demo_pki, tmp_path, org.id, number=f"У-{n}")
    head.get(f"/organizations/{org.id}/applications")
    with statements(app) as large:
        listing = head.get(f"/organizations/{org.id}/applications").text
    assert len(_application_urls(listing, org.id)) >= 6
    assert len(large) == len(small) <= BUDGET, [s for s, _ in large]
    with statements(app) as sql:
        assert head.get(second).status_code == 200
    assert len(sql) <= BUDGET, [s for s, _ in sql]


def test_a_refusal_is_shown_with_its_reason(app, org, as_person, operator_id, demo_pki, tmp_path):
    head = as_person("head")
    application = form_and_submit(head, demo_pki, tmp_path, org.id)
    url = f"/operator/applications/{_review_id(app, org.id)}"
    operator = as_person("employee1")
    page = act(operator, f"{url}/accept", {"version": version_of(operator.get(url).text)})
    act(operator, f"{url}/refuse", {"version": version_of(page), "refusal_code": "unreliable",
                                    "refusal_text": "Адрес не совпадает с ЕГРЮЛ"})
    text = as_person("head").get(application).text
    assert "Отказано" in text and "Представленные сведения недостоверны" in text
    assert "Адрес не совпадает с ЕГРЮЛ" in text and "не подписано сертификатом оператора" in text
