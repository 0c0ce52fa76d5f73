"""The МЧД the registry issues, read by their real structure: every 003 test file validates
against the official ФНС schema, every branch of the reader (a company, its managing company,
an entrepreneur, a person; a re-delegation; text powers; format 002) gives the right facts,
and the checks judge each kind of principal."""

from __future__ import annotations

import hashlib

import pytest
from lxml import etree

from registry.mchd import document, model
from registry.mchd import messages as M
from registry.mchd import verify as V
from registry.mchd.heads import HeadRecord
from registry.pki.demo_pki import ORGANIZATION, PEOPLE

from ..helpers import ROOT
from .builder import MANAGER, build, person, sign
from .conftest import head_record

OFFICIAL = ROOT.parent / "shared" / "reference" / "ON_EMCHD_1_928_00_01_01_01.xsd"
PARENT = "0f8fad5b-d9cb-469f-a165-70867728950e"
FIRST = "5c3e6a41-2b7d-4f0e-9a1c-7d2e8b4f6a90"

VARIANTS = {
    "company": {},
    "managing-company": {"principal_kind": "manager"},
    "entrepreneur": {"principal_kind": "ip", "signatory": "ip"},
    "person": {"principal_kind": "person", "signatory": "ip"},
    "text-only": {"powers": "Представлять интересы общества в ГИИС ДМДК, подписывать заявления"},
    "text-and-codes": {"text": "Получать уведомления Пробирной палаты"},
    "redelegation": {"signatory": None, "delegator": "employee1", "representative": "employee2",
                     "parent": PARENT},
    "second-redelegation": {"signatory": None, "delegator": "employee1", "representative": "employee2",
                            "parent": PARENT, "first": FIRST},
    "organization-representative": {"representative_org": {
        "name": "ООО «ВАСИЛЁК»", "inn": "7707083893", "kpp": "770701001", "ogrn": "1027700132195"}},
}


def test_the_shipped_schema_is_the_official_file_byte_for_byte():
    shipped = document.SCHEMA_003.read_bytes()
    assert hashlib.sha256(shipped).digest() == hashlib.sha256(OFFICIAL.read_bytes()).digest()
    assert b"\r\n" in shipped  # published with CRLF, kept so


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_test_file_of_format_003_validates_against_the_official_schema(variant):
    xml, _ = build(**VARIANTS[variant])
    schema = etree.XMLSchema(etree.parse(str(OFFICIAL)))
    assert schema.validate(etree.fromstring(xml)), schema.error_log


def test_a_company_with_its_head():
    xml, name = build()
    d = document.read(xml)
    assert (d.format, d.file_id) == ("003", name)
    assert d.principal == model.Principal(ORGANIZATION["full_name"], ORGANIZATION["inn"],
                                          ORGANIZATION["kpp"], ORGANIZATION["ogrn"])
    assert d.signatory.full_name == "Иванов Иван Иванович"
    assert d.signatory.position == "Генеральный директор"
    assert d.signatory.snils == PEOPLE["head"]["snils"] and d.signatory.inn == PEOPLE["head"]["inn"]
    assert d.representative.full_name == "Сидорова Анна Сергеевна"
    assert d.kind == "1" and d.internal_number == d.number[:8].upper() and not d.irrevocable
    assert d.system == f"https://m4d.nalog.gov.ru/emchd/check-status?guid={d.number}"
    assert [(p.code, p.name) for p in d.powers] == [
        ("DMDK_APPLICATIONS", "Работа с заявлениями в ГИИС ДМДК"), ("DMDK_PARTICIPANT", "Действия участника ДМДК")]


def test_a_managing_company():
    d = document.read(build(principal_kind="manager")[0])
    assert d.manager.inn == MANAGER["inn"] and d.manager.name == MANAGER["name"]
    assert d.signatory.full_name == "Иванов Иван Иванович"  # the managing company's head


@pytest.mark.parametrize("kind", ["ip", "person"])
def test_an_entrepreneur_or_a_person_signs_for_themself(kind):
    d = document.read(build(principal_kind=kind, signatory="ip")[0])
    assert d.principal.kind == kind and d.principal.inn == PEOPLE["ip"]["inn"]
    assert d.signatory.full_name == "Петров Пётр Петрович"
    assert (d.principal.ogrn is not None) == (kind == "ip")


@pytest.mark.parametrize("fmt", ["003", "002"])
def test_a_redelegation_names_its_parent_and_who_passes_it_on(fmt):
    d = document.read(build(fmt, signatory=None, delegator="employee1", representative="employee2",
                            parent=PARENT, first=FIRST)[0])
    assert d.is_redelegation and d.signatory is None
    assert (d.parent_number, d.first_number) == (PARENT, FIRST)
    assert d.delegator.full_name == d.issuer.full_name == "Сидорова Анна Сергеевна"
    assert d.representative.full_name == "Кузнецов Олег Викторович"
    assert d.principal.inn == ORGANIZATION["inn"]


def test_text_and_coded_powers_are_all_read():
    d = document.read(build(text="Получать уведомления Пробирной палаты")[0])
    assert [p.code for p in d.powers] == [None, "DMDK_APPLICATIONS", "DMDK_PARTICIPANT"]
    assert not d.text_only and d.codes == {"DMDK_APPLICATIONS", "DMDK_PARTICIPANT"}


def test_format_002_as_issued():
    xml, _ = build("002")
    assert xml.startswith(b"<?xml version='1.0' encoding='windows-1251'?>")
    d = document.read(xml)
    assert d.format == "002" and d.principal.name == ORGANIZATION["full_name"]
    assert d.signatory.full_name == "Иванов Иван Иванович" and d.signatory.position == "Генеральный директор"
    assert d.representative.full_name == "Сидорова Анна Сергеевна"
    assert d.system.startswith("https://m4d.nalog.gov.ru/")


@pytest.mark.parametrize(("drop", "named"), [("СвДов", "номер доверенности"), ("СвДоверит", "доверитель"),
                                             ("СвУпПред", "представитель"), ("СвПолн", "полномочия")])
def test_format_002_without_what_it_must_have_is_refused_naming_it(drop, named):
    with pytest.raises(model.DocumentError) as raised:
        document.read(build("002", drop=drop)[0])
    assert raised.value.code == model.INCOMPLETE and named in raised.value.detail


def test_format_002_without_a_head_is_refused():
    xml, _ = build("002")
    root = etree.fromstring(xml)
    for tag in ("ЛицоБезДов", "Подписант"):
        for el in list(root.iter(tag)):
            el.getparent().remove(el)
    with pytest.raises(model.DocumentError) as raised:
        document.read(etree.tostring(root, xml_declaration=True, encoding="windows-1251"))
    assert "руководитель" in raised.value.detail


def test_a_schema_error_names_the_element_without_namespaces():
    with pytest.raises(model.DocumentError) as raised:
        document.read(build(drop="СвПолн")[0])
    assert "СвПолн" in raised.value.detail and "urn://" not in raised.value.detail


# -- the checks for each kind of principal ----------------------------------------------------------
def test_a_managing_companys_head_signs(head, context):
    xml, _ = build(principal_kind="manager")
    egrul = {ORGANIZATION["ogrn"]: HeadRecord("ООО «РОМАШКА»", False, {
        "kind": "legal_entity", "full_name": MANAGER["name"], "inn": MANAGER["inn"], "ogrn": MANAGER["ogrn"]}),
        MANAGER["ogrn"]: head_record(PEOPLE["head"], MANAGER["name"])}
    result = V.verify(xml, sign(xml, head), context=context(head_of=lambda p: egrul.get(p.ogrn)))
    assert result.valid, result.message
    [egrul_check] = [c for c in result.checks if c.name == "egrul"]
    assert "управляющей организации" in egrul_check.message


def test_a_managing_company_that_egrul_does_not_name_is_refused(head, context):
    xml, _ = build(principal_kind="manager")  # ЕГРЮЛ names another managing company
    egrul = {ORGANIZATION["ogrn"]: HeadRecord("ООО «РОМАШКА»", False, {
        "kind": "legal_entity", "full_name": "АО «ЮГ-УПРАВЛЕНИЕ»", "inn": "7736050003", "ogrn": "1027700070518"})}
    result = V.verify(xml, sign(xml, head), context=context(head_of=lambda p: egrul.get(p.ogrn)))
    assert result.code == M.SIGNER_NOT_HEAD
    assert MANAGER["name"] in result.message and "АО «ЮГ-УПРАВЛЕНИЕ»" in result.message


def test_an_entrepreneur_signs_their_own(stranger, context):
    xml, _ = build(principal_kind="ip", signatory="ip")
    d = document.read(xml)
    record = HeadRecord("ИП Петров", False, {"kind": "person", "surname": "Петров", "inn": PEOPLE["ip"]["inn"]})
    result = V.verify(xml, sign(xml, stranger),
                      context=context(head_of=lambda p: record if p.ogrn == d.principal.ogrn else None))
    assert result.valid, result.message
    assert "индивидуальный предприниматель" in [c for c in result.checks if c.name == "egrul"][0].message


def test_a_person_signs_their_own_without_egrul(stranger, context):
    xml, _ = build(principal_kind="person", signatory="ip")
    result = V.verify(xml, sign(xml, stranger), context=context(head_of=lambda p: None))
    assert result.valid, result.message
    assert result.principal["kind"] == "person"


def test_an_organization_as_representative_is_not_the_person_presenting(head, context, employee):
    xml, _ = build(representative_org=VARIANTS["organization-representative"]["representative_org"])
    result = V.verify(xml, sign(xml, head), representative=employee.certificate, context=context())
    assert result.code == M.REPRESENTATIVE and "ВАСИЛЁК" in result.message


def test_json_lists_every_power_with_code_and_name(head, context):
    xml, _ = build(text="Получать уведомления Пробирной палаты")
    data = V.verify(xml, sign(xml, head), context=context()).to_dict()
    assert [(p["code"], p["name"]) for p in data["powers"]] == [
        (None, "Получать уведомления Пробирной палаты"), ("DMDK_APPLICATIONS", "Работа с заявлениями в ГИИС ДМДК"),
        ("DMDK_PARTICIPANT", "Действия участника ДМДК")]
    assert data["head"]["full_name"] == "Иванов Иван Иванович" and data["format"] == "003"
    assert data["status_address"].startswith("https://m4d.nalog.gov.ru/")


def test_the_demo_power_of_attorney_validates_against_the_official_schema():
    from registry.mchd.demo_data import demo_xml

    number = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
    xml = demo_xml(number, f"ON_EMCHD_{ORGANIZATION['inn']}_20261207_{number}")
    schema = etree.XMLSchema(etree.parse(str(OFFICIAL)))
    assert schema.validate(etree.fromstring(xml)), schema.error_log
    assert document.read(xml).representative.full_name == person("employee1")["surname"] + " Анна Сергеевна"

