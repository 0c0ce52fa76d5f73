"""Dead ends of the wizard: every step that cannot advance says why; refused organizations."""

from __future__ import annotations

from sqlalchemy import select

from registry.extensions import db
from registry.organizations.models import OrganizationDraft
from registry.pki.demo_pki import ORGANIZATION

from .conftest import GENERAL, HEAD, OKVED


def _draft(app) -> dict:
    with app.app_context():
        return db.session.scalars(select(OrganizationDraft)).all()[-1].data


def _to_head(wizard):
    assert wizard.start(ORGANIZATION["ogrn"]).status_code == 302
    assert wizard.step("general", GENERAL).status_code == 302
    assert wizard.step("okved", OKVED).status_code == 302


def test_head_variant_errors_of_an_unchosen_variant_do_not_block(app, wizard):
    _to_head(wizard)
    legal = {"kind": "legal", "le_full_name": "ООО «У»", "le_short_name": "У", "le_inn": "1234567890",
             "le_kpp": "770101001", "le_ogrn": "1", "le_address": "Москва"}
    r = wizard.refused("head", legal)
    assert r.status_code == 200
    # The error is at the top of the step as well as at the field.
    assert "error-summary" in r.text and 'href="#le_inn"' in r.text
    # Back to a natural person, filled correctly; the browser still sends the hidden variant.
    r = wizard.step("head", {**legal, **HEAD, "kind": "person"})
    assert r.status_code == 302, r.text
    stored = _draft(app)["head"]
    assert stored["kind"] == "person" and stored["surname"] == "Иванов"
    assert not any(k.startswith(("le_", "fo_")) for k in stored)


def test_every_refused_step_shows_why_at_the_top(app, wizard):
    assert wizard.start(ORGANIZATION["ogrn"]).status_code == 302
    r = wizard.refused("general", {**GENERAL, "email": "nope"})
    assert r.status_code == 200
    assert "error-summary" in r.text and "Проверьте адрес электронной почты" in r.text
    assert wizard.step("general", GENERAL).status_code == 302
    r = wizard.refused("okved", {**OKVED, "main": ""})
    assert r.status_code == 200 and "error-summary" in r.text
    assert 'href="#main"' in r.text


def test_an_ended_organization_is_refused_at_the_search(app, wizard):
    from registry.refdata.demo_data import demo_records
    vector = next(r for r in demo_records() if r.get("status") == "Ликвидировано")
    r = wizard.post("/organizations/register", {"query": vector["ogrn"]})
    assert r.status_code == 422
    assert "Регистрация невозможна" in r.text and "Ликвидировано" in r.text
    assert "выписка от" in r.text and 'name="confirm"' not in r.text
    r = wizard.post("/organizations/register", {"query": vector["ogrn"], "confirm": "1"})
    assert r.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(OrganizationDraft)).all() == []


def test_egrul_warnings_are_shown_from_the_search_on(app, wizard):
    from registry.refdata.models import EgrulRecord
    with app.app_context():
        record = db.session.scalar(select(EgrulRecord).where(EgrulRecord.ogrn == ORGANIZATION["ogrn"]))
        record.flags = {"unreliable_address": True, "disqualified_head": True}
        db.session.commit()
    r = wizard.post("/organizations/register", {"query": ORGANIZATION["ogrn"]})
    # The search shows the organization found, with the warnings, to click.
    assert r.status_code == 200 and "Найдена организация" in r.text
    assert "недостоверности сведений об адресе" in r.text and "дисквалифицирован" in r.text
    with app.app_context():
        assert db.session.scalars(select(OrganizationDraft)).all() == []
    r = wizard.post("/organizations/register", {"query": ORGANIZATION["ogrn"], "confirm": "1"})
    assert r.status_code == 302
    page = wizard.get(r.location).text
    assert "Общие реквизиты" in page and "дисквалифицирован" in page


def test_entrepreneur_without_an_address_cannot_tick_same_as_legal(app, client, demo_pki, refdata):
    from registry.pki.demo_pki import ENTREPRENEUR_OGRNIP

    from .conftest import Wizard
    client.certificate = demo_pki.person("ip", "ecdsa").pem
    wizard = Wizard(client)
    assert wizard.start(ENTREPRENEUR_OGRNIP).status_code == 302
    assert _draft(app)["general"]["postal_same"] is False  # nothing to coincide with
    r = wizard.refused("general", GENERAL)  # ticked anyway
    assert r.status_code == 200 and "В ЕГРИП нет адреса" in r.text and "error-summary" in r.text
    r = wizard.step("general", {**{k: v for k, v in GENERAL.items() if k != "postal_same"},
                                "postal_index": "101000", "postal_address": "г. Москва, ул. Мира, д. 1"})
    assert r.status_code == 302
    page = wizard.get("/organizations/register/general").text
    assert "совпадает с юридическим:" not in page


def test_a_branch_without_okved_stops_next_and_the_head_office_is_not_its_own_unit(app, wizard):
    _to_head(wizard)
    assert wizard.step("head", HEAD).status_code == 302
    assert wizard.step("premises", {"action": "nav"}).status_code == 302
    # The branch imported from ЕГРЮЛ has no ОКВЭД yet: «Далее» says so and stays.
    r = wizard.refused("branches", {"action": "nav"})
    assert r.status_code == 200
    assert "Запись 1" in r.text and "Укажите хотя бы один код ОКВЭД2" in r.text
    assert _draft(app).get("done", [])[-1] == "premises"
    # «Назад» is never blocked.
    assert wizard.step("branches", {"action": "nav"}, button="back").status_code == 302
    page = wizard.get(f"/organizations/register/branches?find={ORGANIZATION['ogrn']}").text
    assert "781045001" in page
    assert page.count("Заполнить форму") == 1  # the branch, not РОМАШКА itself


def test_several_codes_in_a_one_code_field_are_explained(app, wizard):
    assert wizard.start(ORGANIZATION["ogrn"]).status_code == 302
    assert wizard.step("general", GENERAL).status_code == 302
    r = wizard.refused("okved", {**OKVED, "auxiliary_1": "46.48, 47.77, 95.25"})
    assert r.status_code == 200
    assert "По одному коду в поле; вспомогательных видов — не больше двух" in r.text
    assert "не похож на код ОКВЭД2" not in r.text
    r = wizard.refused("okved", {**OKVED, "main": "32.12 46.48"})
    assert r.status_code == 200 and "ровно один код" in r.text


def test_what_the_product_knows_is_prefilled(app, client, demo_pki, wizard):
    from registry.pki.demo_pki import PEOPLE
    from registry.refdata.demo_data import demo_records

    # The head's СНИЛС comes from his certificate.
    assert wizard.start(ORGANIZATION["ogrn"]).status_code == 302
    assert _draft(app)["head"]["snils"] == PEOPLE["head"]["snils"]
    # A managing organization's requisites come from the local ЕГРЮЛ copy.
    from registry.refdata.models import EgrulRecord
    vector = next(r for r in demo_records() if r.get("status") == "Ликвидировано")
    with app.app_context():
        record = db.session.scalar(select(EgrulRecord).where(EgrulRecord.ogrn == vector["ogrn"]))
        record.status, record.liquidated = "Действующее", False
        db.session.commit()
    assert wizard.start(vector["ogrn"]).status_code == 302
    head = _draft(app)["head"]
    assert head["kind"] == "legal" and head["le_kpp"] == ORGANIZATION["kpp"]
    assert head["le_short_name"] == ORGANIZATION["name"] and head["le_address"]


def test_code_lists_are_stored_with_separators(app, wizard):
    assert wizard.start(ORGANIZATION["ogrn"]).status_code == 302
    assert wizard.step("general", GENERAL).status_code == 302
    assert wizard.step("okved", {**OKVED, "others": "47.77\r\n95.25;  96.09"}).status_code == 302
    assert _draft(app)["okved"]["others"] == "47.77, 95.25, 96.09"
