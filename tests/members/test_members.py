"""Joining, the roles page, the last administrator, the organization journal and its CSV."""

from __future__ import annotations

import csv
import io

from registry.pki.demo_pki import ORGANIZATION

from .conftest import member_of, person_client, user_id

ANNA = "Сидорова Анна Сергеевна"


def join(app, demo_pki, org_id, unit=""):
    anna = person_client(app, demo_pki, "employee1")
    page = anna.get("/join").text
    # an individual's certificate: the organization is found by its ИНН
    assert "Ваш сертификат выдан физическому лицу" in page
    r = anna.post("/join", {"query": ORGANIZATION["inn"], "find": "x"})
    assert ORGANIZATION["full_name"] in r.text and "Санкт-Петербурге" in r.text
    r = anna.post("/join", {"organization": str(org_id), "unit": unit, "position": "Ювелир",
                            "department": "Цех", "submit": "x"})
    assert r.status_code == 302
    return anna


def test_employee_joins_and_waits_for_roles(app, demo_pki, org):
    anna = join(app, demo_pki, org)
    page = anna.get("/join").text
    assert "Ожидает назначения ролей" in page
    m = member_of(app, org, user_id(app, ANNA))
    assert m["status"] == "pending" and m["roles"] == []
    # until roles are assigned the employee sees nothing of the organization
    r = anna.get(f"/organizations/{org}")
    assert r.status_code == 403 and "ожидает назначения ролей" in r.text
    assert anna.get(f"/organizations/{org}/members").status_code == 403


def test_join_a_branch(app, demo_pki, org):
    with app.app_context():
        from registry.extensions import db
        from registry.organizations.models import Organization
        branch_id = db.session.get(Organization, org).data["branches"][0]["id"]
    join(app, demo_pki, org, unit=branch_id)
    assert member_of(app, org, user_id(app, ANNA))["branch_id"] == branch_id


def test_join_unknown_number_is_explained(app, demo_pki, org):
    anna = person_client(app, demo_pki, "employee1")
    r = anna.post("/join", {"query": "7701000010", "find": "x"})
    assert "Неверное контрольное число ИНН" in r.text
    r = anna.post("/join", {"query": "7707083893", "find": "x"})
    assert "не зарегистрирована в реестре" in r.text


def test_legal_entity_certificate_offers_its_organization(app, demo_pki, org, issue_certificate):
    from registry.identifiers import make_inn, make_snils
    from registry.pki import oids
    cert = issue_certificate([("C", "RU"), ("O", ORGANIZATION["name"]), (oids.OGRN, ORGANIZATION["ogrn"]),
                              (oids.INN_LE, ORGANIZATION["inn"]), ("CN", ORGANIZATION["name"]),
                              ("SN", "Смирнова"), ("G", "Ольга Ивановна"), (oids.SNILS, make_snils("556677889")),
                              (oids.INN, make_inn("7705555555"))])
    client = app.test_client()
    client.certificate = cert.pem
    page = client.get("/join").text
    assert "В вашем сертификате указана организация" in page and ORGANIZATION["full_name"] in page


def test_admin_assigns_roles_and_removes_them(app, demo_pki, org, wizard):
    anna = join(app, demo_pki, org)
    m = member_of(app, org, user_id(app, ANNA))
    page = wizard.get(f"/organizations/{org}/members?status=pending").text
    assert ANNA in page and "Ювелир" in page and "Ожидает назначения ролей" in page
    wizard.get(f"/organizations/{org}/members/{m['id']}")
    r = wizard.post(f"/organizations/{org}/members/{m['id']}",
                    {"role_applications": "y", "role_dmdk_participant": "y", "version": m["version"]})
    assert r.status_code == 302
    assert member_of(app, org, user_id(app, ANNA))["status"] == "active"
    # now the employee sees the organization, but may not assign roles
    assert anna.get(f"/organizations/{org}").status_code == 200
    assert anna.get(f"/organizations/{org}/members").status_code == 403
    m = member_of(app, org, user_id(app, ANNA))
    # No role ticked: asked first, nothing written yet.
    r = wizard.post(f"/organizations/{org}/members/{m['id']}", {"version": m["version"]})
    assert r.status_code == 200 and "Ни одна роль не отмечена" in r.text
    assert member_of(app, org, user_id(app, ANNA))["status"] == "active"
    r = wizard.post(f"/organizations/{org}/members/{m['id']}",
                    {"version": m["version"], "confirm_remove": "1", "remove": "x"})
    assert r.status_code == 302
    assert "удалён из организации" in wizard.get(r.location).text
    m = member_of(app, org, user_id(app, ANNA))
    assert m["status"] == "removed" and m["roles"] == []
    r = anna.get(f"/organizations/{org}")
    assert r.status_code == 403 and "снял с вас все роли" in r.text
    # a removed member may be given roles again
    r = wizard.post(f"/organizations/{org}/members/{m['id']}", {"role_admin": "y", "version": m["version"]})
    assert member_of(app, org, user_id(app, ANNA))["status"] == "active"


def test_a_pending_member_saved_without_roles_is_removed_only_when_confirmed(app, demo_pki, org,
                                                                              wizard):
    join(app, demo_pki, org)
    m = member_of(app, org, user_id(app, ANNA))
    card = f"/organizations/{org}/members/{m['id']}"
    r = wizard.post(card, {"version": m["version"]})
    assert r.status_code == 200
    assert "Ни одна роль не отмечена" in r.text and "Изменений нет" not in r.text
    assert member_of(app, org, user_id(app, ANNA))["status"] == "pending"
    assert "статус: Удален" not in wizard.get(f"/organizations/{org}/journal").text
    r = wizard.post(card, {"version": m["version"], "confirm_remove": "1", "remove": "x"})
    assert r.status_code == 302
    page = wizard.get(r.location).text
    assert f"Сотрудник {ANNA} удалён из организации" in page and "Изменений нет" not in page
    assert member_of(app, org, user_id(app, ANNA))["status"] == "removed"
    assert "статус: Удален" in wizard.get(f"/organizations/{org}/journal").text
    # A removed member saved without roles again: nothing happens, and the page says so.
    m = member_of(app, org, user_id(app, ANNA))
    r = wizard.post(card, {"version": m["version"]})
    assert r.status_code == 302 and "Изменений нет" in wizard.get(r.location).text


def test_stale_card_is_a_conflict_not_an_overwrite(app, demo_pki, org, wizard):
    join(app, demo_pki, org)
    m = member_of(app, org, user_id(app, ANNA))
    r = wizard.post(f"/organizations/{org}/members/{m['id']}", {"role_applications": "y", "version": m["version"]})
    assert r.status_code == 302
    # a second administrator's card was opened at the old version
    r = wizard.post(f"/organizations/{org}/members/{m['id']}", {"role_admin": "y", "version": m["version"]})
    assert r.status_code == 409
    assert "уже изменил Иванов Иван Иванович" in r.text
    assert member_of(app, org, user_id(app, ANNA))["roles"] == ["applications"]


def test_last_administrator_keeps_the_role(app, org, wizard):
    head = user_id(app, "Иванов Иван Иванович")
    m = member_of(app, org, head)
    r = wizard.post(f"/organizations/{org}/members/{m['id']}", {"role_applications": "y", "version": m["version"]})
    assert r.status_code == 422
    assert "единственный администратор" in r.text
    assert member_of(app, org, head)["roles"] == ["admin", "applications"]  # as registered


def test_foreign_member_card_is_not_found(app, demo_pki, org, wizard):
    assert wizard.get(f"/organizations/{org}/members/999999").status_code == 404


def test_journal_lists_and_exports(app, demo_pki, org, wizard):
    join(app, demo_pki, org)
    m = member_of(app, org, user_id(app, ANNA))
    wizard.post(f"/organizations/{org}/members/{m['id']}", {"role_applications": "y", "version": m["version"]})
    person_client(app, demo_pki, "employee1").get("/")  # already signed in: no new sign-in entry
    page = wizard.get(f"/organizations/{org}/journal").text
    for text in ("Регистрация организации", "Присоединение сотрудника", "Изменение ролей",
                 "назначены: Работа с заявлениями", ANNA):
        assert text in page, text
    page = wizard.get(f"/organizations/{org}/journal?event=roles").text
    assert "Изменение ролей" in page and "Присоединение сотрудника</td>" not in page
    page = wizard.get(f"/organizations/{org}/journal?person=сидорова").text
    assert "Регистрация организации</td>" not in page and ANNA in page
    page = wizard.get(f"/organizations/{org}/journal?date_from=99.99.2020").text
    assert "Даты 99.99.2020 не существует" in page
    assert "Укажите дату в формате ДД.ММ.ГГГГ" in wizard.get(f"/organizations/{org}/journal?date_from=1.1.20").text
    r = wizard.get(f"/organizations/{org}/journal?format=csv")
    assert r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Дата и время", "Событие", "Сотрудник"]
    assert any(row[1] == "Изменение ролей" and row[2] == ANNA for row in rows[1:])


def test_sign_ins_of_members_go_to_the_journal(app, demo_pki, org, wizard):
    head = person_client(app, demo_pki, "head", "rsa")  # a second certificate: a new sign-in
    head.get("/")
    page = wizard.get(f"/organizations/{org}/journal?event=sign_in").text
    assert "Вход в реестр" in page


def test_profile_edit_goes_to_the_journal(app, org, wizard):
    from ..organizations.conftest import GENERAL
    base = f"/organizations/{org}/edit"
    wizard.post(base, {})
    wizard.step("general", {**GENERAL, "phone": "+7 495 000-00-00"}, base=base)
    assert wizard.step("review", {}, base=base).status_code == 302
    page = wizard.get(f"/organizations/{org}/journal?event=profile").text
    assert "Версия 2: изменено 1 — Общие реквизиты" in page


def test_position_and_email_the_person_sees_in_the_profile_are_shown_to_the_administrator(
        app, demo_pki, org, wizard):
    from tests.organizations.conftest import csrf
    from tests.test_every_page import visible_text

    def text(url):
        return " ".join(visible_text(wizard.get(url).text).split())

    join(app, demo_pki, org)  # position «Ювелир» typed; the e-mail only in the certificate
    members = text(f"/organizations/{org}/members")
    # The head typed no position: his certificate's is shown, and said to be.
    assert "Генеральный директор" in members and "из сертификата" in members
    assert "Ювелир" in members
    m = member_of(app, org, user_id(app, ANNA))
    card = text(f"/organizations/{org}/members/{m['id']}")
    email = demo_pki.person("employee1", "ecdsa").certificate.email
    assert email and f"{email} (из сертификата)" in card
    assert "Ювелир (из сертификата)" not in card
    # Once the profile has its own, that is shown.
    anna = person_client(app, demo_pki, "employee1")
    page = anna.get("/profile").text
    r = anna.client.post("/profile", data={"csrf_token": csrf(page), "email": "anna@romashka.example",
                                           "phone": "", "position": "Ювелир", "department": "Цех"})
    assert r.status_code == 302
    card = text(f"/organizations/{org}/members/{m['id']}")
    assert "anna@romashka.example" in card and email not in card
