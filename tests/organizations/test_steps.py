"""Each wizard step's rules on the server, through the real HTTP client (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from registry.extensions import db
from registry.identifiers import make_inn, make_ogrn
from registry.organizations.models import OrganizationDraft
from registry.pki.demo_pki import ENTREPRENEUR_OGRNIP, ORGANIZATION, PEOPLE
from registry.refdata.models import OkvedCode

from .conftest import BENEFICIARY, GENERAL, HEAD, OKVED, PREMISES, Wizard

BASE = "/organizations/register"


def draft_data(app):
    with app.app_context():
        draft = db.session.scalar(select(OrganizationDraft))
        return draft.step, draft.data


# -- search -------------------------------------------------------------------------------------
@pytest.mark.parametrize("query, message", [
    ("7701000010", "Неверное контрольное число ИНН"),
    ("1027700000010", "Неверное контрольное число ОГРН"),
    ("304770000000010", "Неверное контрольное число ОГРНИП"),
    ("12345", "Введите ОГРН (13 цифр), ОГРНИП (15 цифр) или ИНН (10 или 12 цифр)"),
    ("", "Обязательное поле"),
])
def test_search_checks_the_number(wizard, query, message):
    r = wizard.start(query)
    assert r.status_code == 422
    assert message in r.text
    assert f'value="{query}"' in r.text or not query  # what was typed stays


def test_search_by_inn_finds_the_organization(app, wizard):
    r = wizard.start(ORGANIZATION["inn"])
    assert r.status_code == 302
    step, data = draft_data(app)
    assert step == "general"
    assert data["okved"]["main"] == "32.12" and data["okved"]["others"] == "46.48, 47.77"
    assert data["head"]["surname"] == "Иванов"
    assert data["branches"][0]["kpp"] == "781045001"


def test_not_the_head_is_refused_with_both_sides_shown(client, demo_pki, refdata):
    client.certificate = demo_pki.person("employee1", "ecdsa").pem
    r = Wizard(client).start(ORGANIZATION["ogrn"])
    assert r.status_code == 403
    assert "Вы не указаны руководителем этой организации" in r.text
    assert "Сидорова Анна Сергеевна" in r.text and PEOPLE["employee1"]["inn"] in r.text
    assert "Иванов Иван Иванович" in r.text and PEOPLE["head"]["inn"] in r.text
    assert "выписка от 01.11.2026" in r.text and "Генеральный директор" in r.text


def test_entrepreneur_registers_by_ogrnip(app, client, demo_pki, refdata):
    client.certificate = demo_pki.person("ip", "ecdsa").pem
    r = Wizard(client).start(ENTREPRENEUR_OGRNIP)
    assert r.status_code == 302
    step, data = draft_data(app)
    assert data["head"]["surname"] == "Петров"


def test_an_organization_is_registered_once(app, wizard, client, demo_pki):
    from .conftest import register
    register(app, wizard, ORGANIZATION["ogrn"])
    r = wizard.start(ORGANIZATION["ogrn"])
    assert r.status_code == 409
    assert "уже зарегистрирована" in r.text and "Иванов Иван Иванович" in r.text


def test_unknown_organization_offers_manual_entry(app, client, demo_pki, refdata, issue_certificate):
    ogrn, inn = make_ogrn("102770000099"), make_inn("770100099")
    wizard = Wizard(client)
    client.certificate = demo_pki.person("head", "ecdsa").pem
    r = wizard.start(ogrn)
    assert r.status_code == 200
    assert "не найдена в ЕГРЮЛ" in r.text and f'value="{ogrn}"' in r.text
    manual = {"full_name": "ООО «НОВАЯ»", "short_name": "", "ogrn": ogrn, "inn": inn,
              "kpp": "770101001", "address": "г. Москва"}
    # The head's certificate names another organization: refused, nothing typed is lost.
    r = wizard.post(f"{BASE}/manual", manual)
    assert r.status_code == 422
    assert "только с сертификатом, выданным на неё" in r.text and "ООО «НОВАЯ»" in r.text
    # A certificate issued to that organization may go on, marked «не подтверждено ЕГРЮЛ».
    from registry.pki import oids
    cert = issue_certificate([("C", "RU"), ("O", "ООО «НОВАЯ»"), (oids.OGRN, ogrn), (oids.INN_LE, inn),
                              ("CN", "ООО «НОВАЯ»"), ("SN", "Новиков"), ("G", "Николай Николаевич"),
                              (oids.INN, make_inn("7709999999"))])
    client.certificate = cert.pem
    wizard = Wizard(client)
    r = wizard.post(f"{BASE}/manual", manual)
    assert r.status_code == 302, r.text
    page = wizard.get(f"{BASE}/general").text
    assert "не подтверждено ЕГРЮЛ" in page


# -- общие реквизиты ----------------------------------------------------------------------------
@pytest.mark.parametrize("field, value, message", [
    ("email", "", "Обязательное поле"),
    ("email", "office@", "Проверьте адрес электронной почты"),
    ("phone", "12-34", "Укажите 10–15 цифр"),
    ("website", "not a site", "Укажите адрес вида https://example.ru"),
    ("applicant_category", "", "Обязательное поле"),
    ("applicant_category", "spy", "Выберите значение из списка"),
])
def test_general_step_rules(app, wizard, field, value, message):
    wizard.start(ORGANIZATION["ogrn"])
    r = wizard.refused("general", {**GENERAL, field: value})
    assert r.status_code == 200
    assert message in r.text
    assert "office@romashka.example" in r.text or field == "email"  # the rest stays typed
    assert draft_data(app)[0] == "general"


def test_postal_address_required_unless_same_as_legal(wizard):
    wizard.start(ORGANIZATION["ogrn"])
    data = {k: v for k, v in GENERAL.items() if k != "postal_same"}
    r = wizard.refused("general", {**data, "postal_index": "12345"})
    assert r.status_code == 200
    assert "Укажите 6 цифр, например 125009" in r.text
    assert "Укажите почтовый адрес" in r.text
    r = wizard.step("general", {**data, "postal_index": "125009", "postal_address": "Москва, а/я 5"})
    assert r.status_code == 302


# -- ОКВЭД --------------------------------------------------------------------------------------
@pytest.mark.parametrize("values, message", [
    ({"main": ""}, "Укажите основной вид деятельности"),
    ({"main": "32"}, "слишком общий"),
    ({"main": "32.1"}, "слишком общий"),
    ({"main": "99.99"}, "нет в классификаторе ОКВЭД2"),
    ({"auxiliary_1": "32.12"}, "уже выбран"),
    ({"others": "47.77, 46.48, 47.77"}, "уже выбран"),
    ({"others": "47.77 abc"}, "не похож на код ОКВЭД2"),
])
def test_okved_rules(wizard, values, message):
    wizard.start(ORGANIZATION["ogrn"])
    wizard.step("general", GENERAL)
    r = wizard.refused("okved", {**OKVED, **values})
    assert r.status_code == 200
    assert message in r.text


def test_okved_codes_of_four_digits_or_more_pass(app, wizard):
    wizard.start(ORGANIZATION["ogrn"])
    wizard.step("general", GENERAL)
    r = wizard.step("okved", {**OKVED, "auxiliary_2": "95.25.2", "others": "47.77\n47.19; 25.99"})
    assert r.status_code == 302
    assert draft_data(app)[1]["okved"]["auxiliary_2"] == "95.25.2"


def test_okved_without_classifier_is_not_accepted(app, wizard):
    wizard.start(ORGANIZATION["ogrn"])
    wizard.step("general", GENERAL)
    with app.app_context():
        db.session.execute(delete(OkvedCode))
        db.session.commit()
    page = wizard.get(f"{BASE}/okved").text
    assert "Классификатор ОКВЭД2 не загружен" in page
    r = wizard.refused("okved", OKVED)
    assert r.status_code == 200 and "Классификатор ОКВЭД2 не загружен" in r.text


def test_okved_search_without_script_keeps_what_is_typed(app, wizard):
    wizard.start(ORGANIZATION["ogrn"])
    wizard.step("general", GENERAL)
    typed = {**OKVED, "notes": "пояснение", "q": "ювелирных изделий ремонт"}
    r = wizard.step("okved", typed, button="search")
    assert r.status_code == 200
    assert "95.25" in r.text and "Ремонт часов и ювелирных изделий" in r.text
    assert "пояснение" in r.text
    r = wizard.step("okved", {**typed, "pick": "auxiliary_2:95.25"}, button="search")
    assert 'value="95.25"' in r.text
    # ё is е and case does not matter: «пчёл» and «ПЧЕЛ» find beekeeping
    r1 = wizard.step("okved", {**typed, "q": "пчёл"}, button="search").text
    r2 = wizard.step("okved", {**typed, "q": "ПЧЕЛ"}, button="search").text
    assert "01.49.1" in r1 and "01.49.1" in r2 and "Пчеловодство" in r1
    # a code prefix lists codes of at least four digits only
    r3 = wizard.step("okved", {**typed, "q": "32.1"}, button="search").text
    assert "32.12" in r3 and ">32.1<" not in r3


# -- руководитель -------------------------------------------------------------------------------
def _to_head(wizard):
    wizard.start(ORGANIZATION["ogrn"])
    wizard.step("general", GENERAL)
    wizard.step("okved", OKVED)


@pytest.mark.parametrize("values, message", [
    ({"birth_date": "31.02.1980"}, "Даты 31.02.1980 не существует: проверьте день и месяц"),
    ({"birth_date": "15.5.80"}, "Укажите дату в формате ДД.ММ.ГГГГ"),
    ({"birth_date": "01.01.2999"}, "Дата должна быть в прошлом"),
    ({"birth_date": ""}, "Обязательное поле"),
    ({"doc_series": "45"}, "Серия паспорта РФ — 4 цифры"),
    ({"doc_number": "12345"}, "Номер паспорта РФ — 6 цифр"),
    ({"doc_type": ""}, "Обязательное поле"),
    ({"reg_address": ""}, "Обязательное поле"),
    ({"snils": "112-233-445 00"}, "Неверное контрольное число СНИЛС"),
    ({"inn": "7701000019"}, "ИНН должен состоять из 12 цифр"),
])
def test_head_person_rules(wizard, values, message):
    _to_head(wizard)
    r = wizard.refused("head", {**HEAD, **values})
    assert r.status_code == 200
    assert message in r.text
    assert "г. Москва, ул. Ленина, д. 1, кв. 2" in r.text or values.get("reg_address") == ""


def test_head_legal_entity_and_foreign(app, wizard):
    _to_head(wizard)
    legal = {"kind": "legal", "le_full_name": "АО «УПРАВЛЯЮЩАЯ»", "le_short_name": "АО «УК»",
             "le_inn": "7701000010", "le_kpp": "770101001", "le_ogrn": ORGANIZATION["ogrn"], "le_address": "Москва"}
    r = wizard.refused("head", legal)
    assert r.status_code == 200 and "Неверное контрольное число ИНН" in r.text
    r = wizard.step("head", {**legal, "le_inn": ORGANIZATION["inn"]})
    assert r.status_code == 302
    wizard.get(f"{BASE}/head")
    r = wizard.refused("head", {"kind": "foreign", "fo_name": "Gold Ltd", "fo_short_name": "Gold",
                             "fo_ident": "HE123456"})
    assert r.status_code == 200 and "Обязательное поле" in r.text
    r = wizard.step("head", {"kind": "foreign", "fo_name": "Gold Ltd", "fo_short_name": "Gold",
                             "fo_ident": "HE123456", "fo_country": "196"})
    assert r.status_code == 302
    assert draft_data(app)[1]["head"]["fo_country"] == "196"


# -- lists --------------------------------------------------------------------------------------
def _give_branches_okved(wizard, okved="47.77"):
    """The ТОП prefilled from ЕГРЮЛ need an ОКВЭД code before «Далее» passes."""
    app = wizard.client.application
    for item in draft_data(app)[1]["branches"]:
        values = {k: v for k, v in item.items() if k != "id"}
        assert wizard.add("branches", {**values, "okved": okved, "item": item["id"]}).status_code == 302


def _to(wizard, step):
    _to_head(wizard)
    wizard.step("head", HEAD)
    for s in ("premises", "branches", "beneficiaries"):
        if s == step:
            return
        if s == "branches":
            _give_branches_okved(wizard)
        wizard.step(s, {"action": "nav"})


def test_premises_add_edit_remove(app, wizard):
    _to(wizard, "premises")
    r = wizard.refused_item("premises", {**PREMISES, "cadastral_number": "77-01"})
    assert r.status_code == 200 and "Укажите номер вида 77:01:0001001:1234" in r.text
    assert PREMISES["address"] in r.text
    assert wizard.add("premises", PREMISES).status_code == 302
    assert wizard.add("premises", {**PREMISES, "address": "г. Москва, ул. Мира, д. 7"}).status_code == 302
    items = draft_data(app)[1]["premises"]
    assert len(items) == 2
    r = wizard.add("premises", {**PREMISES, "purpose": "Склад", "item": items[0]["id"]})
    assert r.status_code == 302
    r = wizard.post(f"{BASE}/premises", {"action": "remove", "item": items[1]["id"]})
    assert r.status_code == 302
    items = draft_data(app)[1]["premises"]
    assert [i["purpose"] for i in items] == ["Склад"]
    assert "Склад" in wizard.get(f"{BASE}/premises?edit={items[0]['id']}").text
    assert wizard.get(f"{BASE}/premises?edit=nope").status_code == 404


def test_branch_rules(app, wizard):
    _to(wizard, "branches")
    branch = {"kind": "representative", "name": "Представительство в Казани", "kpp": "16554",
              "address": "Казань", "okved": ""}
    r = wizard.refused_item("branches", branch)
    assert r.status_code == 200
    assert "КПП должен состоять из 9 символов" in r.text and "Укажите хотя бы один код ОКВЭД2" in r.text
    r = wizard.refused_item("branches", {**branch, "kpp": "165545001", "okved": "47.77, 47.77"})
    assert r.status_code == 200 and "уже выбран" in r.text
    r = wizard.add("branches", {**branch, "kpp": "165545001", "okved": "47.77 32.12"})
    assert r.status_code == 302
    assert draft_data(app)[1]["branches"][-1]["okved"] == "47.77, 32.12"


def test_a_refused_step_is_shown_again_from_the_draft_and_forgotten_once_accepted(app, wizard):
    """Redirect after POST: what was wrong is kept in the draft, so opening (or reloading)
    the step shows it again without sending anything, and an accepted step forgets it."""
    _to(wizard, "premises")
    wizard.refused_item("premises", {**PREMISES, "cadastral_number": "77-01"})
    for _ in range(2):
        page = wizard.get(f"{BASE}/premises").text
        assert "Укажите номер вида 77:01:0001001:1234" in page and 'value="77-01"' in page
    assert wizard.add("premises", PREMISES).status_code == 302
    page = wizard.get(f"{BASE}/premises").text
    assert "Укажите номер вида 77:01:0001001:1234" not in page and 'value="77-01"' not in page
    assert "premises" not in (draft_data(app)[1].get("errors") or {})
    assert wizard.step("premises", {"action": "nav"}).status_code == 302
    # The branch from ЕГРЮЛ has no ОКВЭД: «Далее» refused, the problems stay until it is fixed.
    wizard.refused("branches", {"action": "nav"})
    assert "Чтобы перейти дальше, исправьте записи" in wizard.get(f"{BASE}/branches").text
    _give_branches_okved(wizard)
    assert "Чтобы перейти дальше" not in wizard.get(f"{BASE}/branches").text
    assert wizard.step("branches", {"action": "nav"}).location.endswith("/beneficiaries")
    # A form step too: the text and its errors, then nothing once accepted.
    page = wizard.refused("okved", {**OKVED, "auxiliary_1": "99.99"})
    assert "нет в классификаторе" in page.text
    from tests.test_every_page import visible_text
    page = visible_text(wizard.get(f"{BASE}/okved").text)
    assert "нет в классификаторе" in page and "CSRF" not in page and "token" not in page
    assert wizard.step("okved", OKVED).status_code == 302
    assert "нет в классификаторе" not in wizard.get(f"{BASE}/okved").text
    assert "okved" not in (draft_data(app)[1].get("errors") or {})


def test_beneficiary_rules(app, wizard):
    _to(wizard, "beneficiaries")
    r = wizard.refused_item("beneficiaries", {**BENEFICIARY, "active": ""})
    assert r.status_code == 200 and "Укажите дату, до которой сведения были действительны" in r.text
    r = wizard.refused_item("beneficiaries", {**BENEFICIARY, "inn": "500100732258"})
    assert r.status_code == 200 and "Неверное контрольное число ИНН" in r.text
    r = wizard.add("beneficiaries", {**BENEFICIARY, "active": "", "valid_until": "01.01.2025"})
    assert r.status_code == 302
    assert draft_data(app)[1]["beneficiaries"][0]["valid_until"] == "2025-01-01"


# -- drafts -------------------------------------------------------------------------------------
def test_back_keeps_invalid_text_and_review_names_the_step(app, wizard):
    _to_head(wizard)
    r = wizard.step("head", {**HEAD, "doc_number": "12"}, button="back")
    assert r.status_code == 302 and r.location.endswith("/okved")
    step, data = draft_data(app)
    assert step == "okved" and data["raw"]["head"]["doc_number"] == "12"
    page = wizard.get(f"{BASE}/head").text
    assert 'value="12"' in page and "Номер паспорта РФ — 6 цифр" in page


def test_back_with_valid_values_saves_them(app, wizard):
    wizard.start(ORGANIZATION["ogrn"])
    wizard.step("general", GENERAL)
    r = wizard.step("okved", {**OKVED, "notes": "новое"}, button="back")
    assert r.location.endswith("/general")
    assert draft_data(app)[1]["okved"]["notes"] == "новое"


def test_steps_ahead_cannot_be_skipped(wizard):
    wizard.start(ORGANIZATION["ogrn"])
    r = wizard.get(f"{BASE}/review")
    assert r.status_code == 302 and r.location.endswith("/general")
    assert wizard.get(f"{BASE}/nonsense").status_code == 404


def test_review_lists_what_is_missing(wizard):
    _to(wizard, "beneficiaries")
    wizard.step("beneficiaries", {"action": "nav"})
    # A step left with an error through «Назад» is listed by the review, which waits.
    wizard.step("okved", {**OKVED, "auxiliary_1": "99.99"}, button="back")
    page = wizard.get(f"{BASE}/review").text
    assert "есть несохранённые изменения" in page
    r = wizard.refused("review", {})
    assert r.status_code == 200 and "Не все шаги заполнены" in r.text


def test_the_draft_is_resumed_after_leaving(app, client, wizard):
    _to_head(wizard)
    # a new browser session with the same certificate (the person signed out and came back)
    client.delete_cookie("session", domain="localhost")
    page = wizard.get("/organizations/").text
    assert "Незавершённая регистрация" in page and "/organizations/register/head" in page
    r = wizard.get(f"{BASE}/okved")
    assert 'value="32.12"' in r.text


def test_discarding_the_draft(app, wizard):
    wizard.start(ORGANIZATION["ogrn"])
    r = wizard.post(f"{BASE}/discard", {})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(OrganizationDraft)) is None
    assert wizard.get(f"{BASE}/general").location.endswith("/organizations/register")


def test_review_shows_egrul_warnings(app, client, demo_pki, refdata):
    """ЕГРЮЛ marks on the organization are on the review too (and on every step before it)."""
    from registry.refdata.models import EgrulRecord
    with app.app_context():
        record = db.session.scalar(select(EgrulRecord).where(EgrulRecord.ogrn == ORGANIZATION["ogrn"]))
        record.flags = {"unreliable_head": True}
        db.session.commit()
    client.certificate = demo_pki.person("head", "ecdsa").pem
    wizard = Wizard(client)
    assert wizard.start(ORGANIZATION["ogrn"]).status_code == 302
    page = wizard.get(f"{BASE}/general").text
    assert "недостоверности сведений о руководителе" in page


def test_branch_found_in_egrul_fills_the_form(app, wizard):
    _to(wizard, "branches")
    page = wizard.get(f"{BASE}/branches?find=7701000010").text
    assert "Неверное контрольное число ИНН" in page
    page = wizard.get(f"{BASE}/branches?find={ORGANIZATION['ogrn']}").text
    assert "Найденные подразделения" in page and "781045001" in page
    page = wizard.get(f"{BASE}/branches?find={ORGANIZATION['ogrn']}&use=0").text
    assert 'value="781045001"' in page and 'value="Филиал ООО «РОМАШКА» в городе Санкт-Петербурге"' in page
