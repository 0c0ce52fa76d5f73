"""Refusals are Russian pages that say what right is missing and who can grant it; the head
takes the roles he needs from there (the guide: the administrator assigns rights to himself)."""

from __future__ import annotations

import re

import pytest
from flask import abort

from registry import create_app

from ..conftest import CertClient, app_config
from .conftest import member_of, user_id
from .test_members import ANNA, join

ENGLISH = re.compile(r"Forbidden|Bad Request|Method Not Allowed|Internal Server Error|"
                     r"Request Entity Too Large|permission|You don't", re.I)


def test_head_sees_documents_and_applications_and_takes_the_role(app, org, wizard):
    # The registering head may apply from the start: «Работа с заявлениями» beside the guide's
    # «Администратор организации» (3.1).
    head = member_of(app, org, user_id(app, "Иванов Иван Иванович"))
    assert head["roles"] == ["admin", "applications"]
    assert wizard.get(f"/organizations/{org}/documents").status_code == 200
    assert wizard.get(f"/organizations/{org}/applications").status_code == 200
    # Without it he still sees every section and may take the role back.
    r = wizard.post(f"/organizations/{org}/members/{head['id']}", {"role_admin": "y", "version": head["version"]})
    assert r.status_code == 302, r.text[-2000:]
    page = wizard.get(f"/organizations/{org}").text
    for label in ("Документы организации", "Заявления", "Профили организации",
                  "Профили информационного обмена", "Журнал организации"):
        assert label in page
    assert "нужна роль" in page
    r = wizard.get(f"/organizations/{org}/documents")
    assert r.status_code == 403 and not ENGLISH.search(r.text)
    assert "документы организации" in r.text and "«Работа с заявлениями»" in r.text
    assert "Назначить себе роль «Работа с заявлениями»" in r.text
    r = wizard.post(f"/organizations/{org}/members/take-role",
                    {"role": "applications", "next": f"/organizations/{org}/documents"})
    assert r.status_code == 302 and r.location.endswith(f"/organizations/{org}/documents")
    assert wizard.get(f"/organizations/{org}/documents").status_code == 200
    assert wizard.get(f"/organizations/{org}/applications").status_code == 200
    head = member_of(app, org, user_id(app, "Иванов Иван Иванович"))
    assert head["roles"] == ["admin", "applications"]
    # An outside address in «next» is not followed.
    r = wizard.post(f"/organizations/{org}/members/take-role",
                    {"role": "dmdk_participant", "next": "//evil.example/"})
    assert r.location.endswith(f"/organizations/{org}")


def test_employee_is_told_who_grants_the_right(app, demo_pki, org, wizard):
    anna = join(app, demo_pki, org)
    m = member_of(app, org, user_id(app, ANNA))
    wizard.post(f"/organizations/{org}/members/{m['id']}",
                {"role_batch_operations": "y", "version": m["version"]})
    r = anna.get(f"/organizations/{org}/documents")
    assert r.status_code == 403 and not ENGLISH.search(r.text)
    assert "Иванов Иван Иванович" in r.text and "Назначить себе" not in r.text
    assert "«Участник ДМДК» или «Работа с заявлениями»" in r.text
    # The employee's organization page shows only what she may open.
    page = anna.get(f"/organizations/{org}").text
    assert "Документы организации" not in page and "нужна роль" not in page


def test_http_errors_are_styled_russian_pages(app, org, wizard):
    r = wizard.get(f"/organizations/{org}/edit")  # POST-only
    assert r.status_code == 405 and "Действие недоступно" in r.text
    r = wizard.post(f"/organizations/{org}/members/take-role", {"role": "nope"})
    assert r.status_code == 400 and "Некорректный запрос" in r.text
    r = wizard.client.post(f"/organizations/{org}/edit", data={"csrf_token": "stale"})
    assert r.status_code == 400 and "Форма устарела" in r.text
    for response in (wizard.get(f"/organizations/{org}/edit"), r):
        assert not ENGLISH.search(response.text) and 'lang="ru"' in response.text
        assert 'class="site-header"' in response.text


@pytest.fixture
def failing_app(database_url, demo_pki, tmp_path):
    application = create_app(app_config(database_url, demo_pki, tmp_path, TESTING=False,
                                        MAX_CONTENT_LENGTH=1024))
    application.test_client_class = CertClient

    @application.route("/boom")
    def boom():
        raise RuntimeError("boom")

    @application.route("/teapot")
    def teapot():
        abort(418)

    from registry.core.web import public
    public(boom)
    public(teapot)
    return application


def test_500_413_and_unusual_codes_are_russian(failing_app):
    client = failing_app.test_client()
    r = client.get("/boom")
    assert r.status_code == 500 and "Внутренняя ошибка" in r.text and not ENGLISH.search(r.text)
    r = client.get("/teapot")
    assert r.status_code == 418 and "Некорректный запрос" in r.text and "teapot" not in r.text.lower()
    r = client.post("/boom", data={"f": "x" * 4096})
    assert r.status_code in (405, 413) and not ENGLISH.search(r.text)
    r = client.post("/organizations/register", data={"f": "x" * 4096})
    assert r.status_code == 413 and "Слишком большой запрос" in r.text


def test_role_card_describes_roles_and_keeps_stored_roles_after_a_refusal(app, org, wizard):
    m = member_of(app, org, user_id(app, "Иванов Иван Иванович"))
    card = f"/organizations/{org}/members/{m['id']}"
    r = wizard.get(card)
    assert r.status_code == 200, r.text[-3000:]
    page = r.text
    assert "Назначение ролей сотрудникам" in page and "Работа с заявлениями и уведомлениями" in page
    r = wizard.post(card, {"role_applications": "y", "version": m["version"]})
    assert r.status_code == 422 and "единственный администратор" in r.text
    # The card shows what is stored (administrator ticked), not what was refused.
    assert re.search(r'<input[^>]*checked[^>]*name="role_admin"|<input[^>]*name="role_admin"[^>]*checked',
                     r.text)
    assert not re.search(r'name="role_applications"[^>]*checked', r.text)
