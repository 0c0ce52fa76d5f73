"""The registry operator: granted from the CLI, a console over every organization, blocking."""

from __future__ import annotations

from sqlalchemy import select

from registry.auth.models import User
from registry.extensions import db
from registry.pki.demo_pki import ORGANIZATION, PEOPLE

from ..members.conftest import member_of, person_client, user_id

ANNA = "Сидорова Анна Сергеевна"



def make_operator(app, demo_pki):
    """employee1 signs in, then is granted the role with `registry operator grant <СНИЛС>`."""
    anna = person_client(app, demo_pki, "employee1")
    anna.get("/")
    result = app.test_cli_runner().invoke(args=["operator", "grant", PEOPLE["employee1"]["snils"]])
    assert result.exit_code == 0, result.output
    assert "назначена оператором реестра" in result.output
    return anna


def test_cli_grant_revoke_and_errors(app, db_session, demo_pki):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["operator", "grant", "112-233-445 00"])
    assert result.exit_code != 0 and "Неверное контрольное число СНИЛС" in result.output
    result = runner.invoke(args=["operator", "grant", PEOPLE["employee1"]["snils"]])
    assert result.exit_code != 0 and "ещё не входил в реестр" in result.output
    make_operator(app, demo_pki)
    assert ANNA in runner.invoke(args=["operator", "list"]).output
    result = runner.invoke(args=["operator", "revoke", PEOPLE["employee1"]["snils"]])
    assert result.exit_code == 0 and "больше не оператор" in result.output
    with app.app_context():
        assert db.session.scalar(select(User.is_operator).where(User.full_name == ANNA)) is False


def test_console_is_for_operators_only(app, demo_pki, org, wizard):
    assert wizard.get("/operator/").status_code == 404
    assert "Оператор реестра" not in wizard.get("/").text
    anna = make_operator(app, demo_pki)
    page = anna.get("/").text
    assert "Оператор реестра" in page
    page = anna.get("/operator/?q=ромашка").text
    assert "ООО «РОМАШКА»" in page and "Доверенные сертификаты и списки отзыва" in page
    assert "ООО «РОМАШКА»" in anna.get(f"/operator/?q={ORGANIZATION['inn']}").text
    assert "ООО «РОМАШКА»" not in anna.get("/operator/?status=blocked").text
    page = anna.get(f"/operator/organizations/{org}").text
    assert "Иванов Иван Иванович" in page and "Администратор организации" in page
    # the operator looks at any organization's profile and journal, but acts in none
    assert anna.get(f"/organizations/{org}").status_code == 200
    assert anna.get(f"/organizations/{org}/journal").status_code == 200
    assert anna.get(f"/organizations/{org}/members").status_code == 403
    assert anna.post(f"/organizations/{org}/edit", {}).status_code == 403


def test_blocking_an_organization(app, demo_pki, org, wizard):
    anna = make_operator(app, demo_pki)
    r = anna.post(f"/operator/organizations/{org}/block", {"reason": ""})
    assert r.status_code == 302
    assert "Укажите причину" in anna.get(f"/operator/organizations/{org}").text
    anna.post(f"/operator/organizations/{org}/block", {"reason": "Решение Пробирной палаты № 5"})
    page = wizard.get(f"/organizations/{org}").text
    assert "Организация заблокирована оператором реестра: Решение Пробирной палаты № 5" in page
    assert "Редактировать" not in page
    assert wizard.post(f"/organizations/{org}/edit", {}).status_code == 403
    assert wizard.get(f"/organizations/{org}/members").status_code == 403
    assert "Блокировка" in anna.get(f"/organizations/{org}/journal").text
    anna.post(f"/operator/organizations/{org}/unblock", {})
    assert wizard.get(f"/organizations/{org}/members").status_code == 200


def test_blocking_a_member(app, demo_pki, org, wizard):
    anna = make_operator(app, demo_pki)
    head = member_of(app, org, user_id(app, "Иванов Иван Иванович"))
    anna.post(f"/operator/organizations/{org}/members/{head['id']}/block", {"reason": "Проверка"})
    assert member_of(app, org, user_id(app, "Иванов Иван Иванович"))["status"] == "blocked"
    r = wizard.get(f"/organizations/{org}")
    assert r.status_code == 403 and "заблокированы" in r.text and "Проверка" in r.text
    assert "Заблокирован" in wizard.get("/join").text and "Проверка" in wizard.get("/join").text
    anna.post(f"/operator/organizations/{org}/members/{head['id']}/unblock", {})
    m = member_of(app, org, user_id(app, "Иванов Иван Иванович"))
    assert m["status"] == "active" and m["roles"] == ["admin", "applications"]
    assert wizard.get(f"/organizations/{org}").status_code == 200


def test_blocked_person_cannot_sign_in_and_is_told_why(app, demo_pki, org, wizard):
    assert wizard.get(f"/organizations/{org}").status_code == 200  # the head is signed in
    anna = make_operator(app, demo_pki)
    page = anna.get("/operator/people?q=иванов").text
    assert "Иванов Иван Иванович" in page
    head_id = user_id(app, "Иванов Иван Иванович")
    anna.post(f"/operator/people/{head_id}/block", {"reason": "Утрата ключа"})
    # the signed-in session ends; a new sign-in is refused with the reason
    r = wizard.client.get(f"/organizations/{org}")
    assert r.status_code == 302
    r = wizard.client.get("/")
    assert r.status_code == 403
    assert "Учётная запись заблокирована" in r.text and "Утрата ключа" in r.text
    other = person_client(app, demo_pki, "head", "rsa")  # any of the person's certificates
    assert other.client.get("/").status_code == 403
    assert anna.post(f"/operator/people/{user_id(app, ANNA)}/block", {"reason": "x"}).status_code == 302
    assert "Нельзя заблокировать самого себя" in anna.get("/operator/people").text
    anna.post(f"/operator/people/{head_id}/unblock", {})
    assert wizard.client.get("/").status_code == 200


def test_organization_list_is_paged_by_keyset(app, demo_pki, org, monkeypatch):
    import html
    import re

    from sqlalchemy import insert

    from registry.identifiers import make_ogrn
    from registry.operator import services
    from registry.organizations.models import Organization

    with app.app_context():
        db.session.execute(insert(Organization), [
            {"kind": "ul", "ogrn": make_ogrn(f"10299{i:07d}"), "full_name": f"ООО «ТЕСТ {i:03d}»",
             "status": "registered", "data": {}, "version": 1} for i in range(23)])
        db.session.commit()
    monkeypatch.setattr(services.organizations, "__kwdefaults__", {"after": None, "size": 10})
    anna = make_operator(app, demo_pki)
    url, names = "/operator/?q=тест", []
    for _ in range(5):
        page = anna.get(url).text
        names += re.findall(r"ООО «ТЕСТ (\d{3})»", page)
        link = re.search(r'href="([^"]+)">Дальше →', page)
        if link is None:
            break
        url = html.unescape(link.group(1))
    assert names == [f"{i:03d}" for i in range(23)]
