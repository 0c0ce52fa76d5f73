"""The guide's menu: «Моя организация» is the organization, «Профили организации» its members,
«Присоединиться к организации» only for people not yet in one; /join speaks to each status."""

from __future__ import annotations

import re

from registry.pki.demo_pki import ORGANIZATION

from .conftest import person_client
from .test_members import join


def menu(html: str) -> list[str]:
    nav = re.search(r'<nav class="menu".*?</nav>', html, re.S).group(0)
    return re.findall(r'<a href="[^"]*"[^>]*>([^<]+)</a>', nav)


def test_the_head_menu_and_my_organization(app, org, wizard):
    home = wizard.get("/").text
    items = menu(home)
    assert "Моя организация" in items and "Профили организации" in items
    assert "Присоединиться" not in items
    r = wizard.get("/organizations/")
    assert r.status_code == 302 and r.location.endswith(f"/organizations/{org}")
    r = wizard.get("/members")
    assert r.status_code == 302 and r.location.endswith(f"/organizations/{org}/members")
    page = wizard.get(f"/organizations/{org}").text
    for tab in ("Документы организации", "Профили организации", "Профили информационного обмена"):
        assert tab in page
    # The head's certificate names РОМАШКА: /join does not offer to join it again.
    page = wizard.get("/join").text
    assert "Пока администратор не назначил роли" not in page
    assert 'name="organization"' not in page
    r = wizard.post("/join", {"query": ORGANIZATION["inn"], "find": "x"})
    assert "Вы уже в организации" in r.text and "Активный" in r.text and 'name="organization"' not in r.text


def test_a_new_person_and_a_pending_employee(app, demo_pki, org):
    newcomer = person_client(app, demo_pki, "employee2", "rsa")
    anna = person_client(app, demo_pki, "employee1")
    page = anna.get("/organizations/").text
    assert "Зарегистрировать организацию" in page and "Присоединиться к организации" in page
    assert "Присоединиться" in menu(anna.get("/").text)
    assert "Зарегистрировать организацию" in anna.get("/profile").text
    join(app, demo_pki, org)
    assert "Присоединиться" not in menu(anna.get("/").text)
    page = anna.get("/organizations/").text
    assert "ожидает назначения ролей" in page and "Зарегистрировать организацию</a></p>" not in page
    page = anna.get("/join").text
    assert "Ожидает назначения ролей" in page and "администратор назначит роли" in page
    del newcomer


def test_messages_name_people_in_the_right_case(app, demo_pki, org, wizard):
    from .conftest import member_of, user_id
    from .test_members import ANNA
    anna = join(app, demo_pki, org)
    m = member_of(app, org, user_id(app, ANNA))
    r = wizard.post(f"/organizations/{org}/members/{m['id']}",
                    {"role_applications": "y", "version": m["version"]})
    assert r.status_code == 302, r.text
    assert "Роли сотрудника Сидоровой Анны Сергеевны сохранены" in wizard.get(r.location).text
    result = app.test_cli_runner().invoke(args=["operator", "grant", "334-455-667", "84"])
    assert "Сидорова Анна Сергеевна (СНИЛС 334-455-667 84) назначена оператором реестра" in result.output
    result = app.test_cli_runner().invoke(args=["operator", "revoke", "33445566784"])
    assert result.exit_code == 0
    # Organization names keep their own quotes: no «…«…»».
    head = member_of(app, org, user_id(app, "Иванов Иван Иванович"))
    r = wizard.get(f"/organizations/{org}/members/{head['id']}")
    assert "««" not in r.text and "»»" not in r.text
    del anna
