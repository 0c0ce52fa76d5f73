"""Checking МЧД files the tests build in both formats, signed with `openssl cms -sign -engine
gost`: each case has its own code and Russian message."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from registry.core import clock
from registry.mchd import document, model
from registry.mchd import messages as M
from registry.mchd import verify as V
from registry.mchd.model import DocumentError

from .builder import build, person, principal, sign
from .conftest import OTHER_ORG

TODAY = clock.today()


def check(xml, sig, context, **kwargs):
    return V.verify(xml, sig, context=context(), **kwargs)


@pytest.mark.parametrize("fmt", ["003", "002"])
def test_valid_power_of_attorney(fmt, head, context):
    xml, name = build(fmt)
    result = check(xml, sign(xml, head), context, file_name=name + ".xml",
                   representative=model.Person("Сидорова", "Анна", None, None,
                                                  person("employee1")["snils"].replace("-", "").replace(" ", "")))
    assert result.valid, result.message
    assert result.code == "ok" and result.message == "Доверенность действительна."
    assert result.document.format == fmt
    assert result.principal["inn"] == principal()["inn"]
    assert result.representative["full_name"] == "Сидорова Анна Сергеевна"
    assert [p["code"] for p in result.powers] == ["DMDK_APPLICATIONS", "DMDK_PARTICIPANT"]
    assert result.valid_from == TODAY - timedelta(days=1)
    assert result.valid_to == TODAY + timedelta(days=365)
    assert result.signer.snils == person("employee1")["snils"] or result.signer.surname == "Иванов"
    assert [c.name for c in result.checks] == ["xml", "file_name", "number", "dates", "signature",
                                               "time", "signer", "egrul", "representative", "revocation"]
    assert all(c.ok for c in result.checks)
    [time_check] = [c for c in result.checks if c.name == "time"]
    assert time_check.warning and "не подтверждено штампом времени" in time_check.message
    assert not result.time_proven
    data = result.to_dict()
    assert set(data) >= {"valid", "code", "message", "principal", "representative", "powers",
                         "valid_from", "valid_to"}


def test_text_powers_are_read(head, context):
    xml, _ = build(powers="Представлять интересы организации в ГИИС ДМДК")
    result = check(xml, sign(xml, head), context)
    assert result.valid and result.document.text_only
    assert [(p["code"], p["name"]) for p in result.powers] == [
        (None, "Представлять интересы организации в ГИИС ДМДК")]


def test_signed_by_someone_who_is_not_the_head(stranger, context):
    xml, _ = build()  # names the head as ЛицоБезДов; Петров signs
    result = check(xml, sign(xml, stranger), context)
    assert result.code == M.SIGNER_NOT_SIGNATORY
    assert "Петров Пётр Петрович" in result.message and "Иванов Иван Иванович" in result.message


def test_signed_by_the_head_of_another_company(other_head, context):
    xml, _ = build(signatory={**person("head"), "surname": "Орлов", "given": "Олег",
                              "patronymic": "Петрович",
                              "inn": other_head.certificate.personal_inn,
                              "snils": other_head.certificate.snils})
    result = check(xml, sign(xml, other_head), context)
    assert result.code == M.SIGNER_NOT_HEAD
    assert "руководитель: Иванов Иван Иванович" in result.message


def test_the_head_cannot_sign_for_another_company(head, context):
    xml, _ = build(org=principal(**OTHER_ORG))
    result = check(xml, sign(xml, head), context)
    assert result.code == M.SIGNER_NOT_HEAD and "Орлов" in result.message


def test_principal_unknown_to_egrul(head, context):
    xml, _ = build()
    result = V.verify(xml, sign(xml, head), context=context(head_of=lambda p: None))
    assert result.code == M.PRINCIPAL_UNKNOWN and "нет в сведениях ЕГРЮЛ" in result.message


def test_signed_by_the_representative_themself(employee, context):
    xml, _ = build()
    result = check(xml, sign(xml, employee), context)
    assert result.code == M.SIGNED_BY_REPRESENTATIVE
    assert "подписана самим представителем" in result.message


def test_tampered_bytes(head, context):
    xml, _ = build()
    sig = sign(xml, head)
    tampered = xml.replace("Работа с заявлениями".encode(), "Работа с договорами".encode())
    assert tampered != xml
    result = check(tampered, sig, context)
    assert result.code == M.TAMPERED and "подпись сделана не под этим файлом" in result.message.lower()


def test_wrong_file_name(head, context):
    xml, name = build()
    result = check(xml, sign(xml, head), context, file_name="доверенность.xml")
    assert result.code == M.FILE_NAME and name in result.message


def test_expired(head, context):
    xml, _ = build(issued=TODAY - timedelta(days=30), until=TODAY - timedelta(days=1))
    result = check(xml, sign(xml, head), context)
    assert result.code == M.EXPIRED
    assert (TODAY - timedelta(days=1)).strftime("%d.%m.%Y") in result.message


def test_not_yet_valid(head, context):
    xml, _ = build(issued=TODAY + timedelta(days=3), until=TODAY + timedelta(days=30))
    result = check(xml, sign(xml, head), context)
    assert result.code == M.NOT_YET_VALID and "ещё не действует" in result.message


def test_judged_as_of_a_moment(head, context):
    xml, _ = build(issued=TODAY - timedelta(days=1), until=TODAY + timedelta(days=10))
    sig = sign(xml, head)
    later = datetime.now(timezone.utc) + timedelta(days=20)
    assert V.verify(xml, sig, at=later, context=context()).code == M.EXPIRED
    assert V.verify(xml, sig, at=datetime.now(timezone.utc), context=context()).valid


def test_end_before_issue(head, context):
    xml, _ = build(issued=TODAY, until=TODAY - timedelta(days=10))
    assert check(xml, sign(xml, head), context).code == M.BAD_DATES


def test_number_must_be_a_guid(head, context):
    xml, _ = build("002", number="12345")
    result = check(xml, sign(xml, head), context)
    assert result.code == M.BAD_NUMBER and "GUID" in result.message
    xml, _ = build("003", number="12345")  # the official schema says it first
    result = check(xml, sign(xml, head), context)
    assert result.code == model.SCHEMA and "НомДовер" in result.message


def test_signature_not_cms(head, context):
    xml, _ = build()
    result = check(xml, b"not a signature", context)
    assert result.code == M.UNREADABLE_SIGNATURE


# -- schema violations and hostile XML ------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["003", "002"])
@pytest.mark.parametrize("drop", ["СвУпПред", "СвПолн", "ФИО"])
def test_schema_violations(fmt, drop, head, context):
    xml, _ = build(fmt, drop=drop)
    result = check(xml, b"", context)
    if fmt == "003":
        assert result.code == model.SCHEMA and "не соответствует официальной схеме" in result.message
    elif drop == "ФИО":  # the head's name is gone, the file's Подписант still names them
        assert result.document.signatory.full_name == "Иванов Иван Иванович"
        assert result.code == M.UNREADABLE_SIGNATURE
    else:  # no official schema of 002: what it lacks is named
        assert result.code == model.INCOMPLETE and "не хватает обязательных сведений" in result.message


def test_schema_checks_values(context):
    xml, _ = build(org=principal(inn="77010000"))
    result = check(xml, b"", context)
    assert result.code == model.SCHEMA and "ИННЮЛ" in result.message


def test_unknown_format(context):
    xml = '<?xml version="1.0"?><Доверенность ВерсФорм="001" ИдФайл="x"/>'.encode()
    assert check(xml, b"", context).code == model.UNKNOWN_FORMAT
    assert check(b"<a>", b"", context).code == model.MALFORMED


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<Доверенность ВерсФорм="002" ИдФайл="&lol9;"/>""".encode()
XXE = """<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Доверенность ВерсФорм="002" ИдФайл="&x;"/>""".encode()
XXE_NETWORK = """<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://127.0.0.1:9/x.dtd">
<Доверенность ВерсФорм="002" ИдФайл="a"/>""".encode()


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE, XXE_NETWORK], ids=["laughs", "xxe", "dtd"])
def test_xml_bombs_are_refused_quickly(data, context):
    started = time.monotonic()
    result = check(data, b"", context)
    assert result.code == model.FORBIDDEN and "DOCTYPE" in result.message
    assert time.monotonic() - started < 1
    with pytest.raises(DocumentError) as raised:
        document.read(data.replace(b"<!DOCTYPE", b"<!doctype"))
    assert raised.value.code == model.FORBIDDEN


def test_huge_file_is_refused_before_parsing(context):
    xml, _ = build()
    huge = xml.replace(b"<?xml version='1.0' encoding='UTF-8'?>",
                       b"<?xml version='1.0' encoding='UTF-8'?>" + b"<!-- " + b"x" * (3 << 20) + b" -->")
    started = time.monotonic()
    result = check(huge, b"", context)
    assert result.code == model.TOO_LARGE and "слишком большой" in result.message
    assert time.monotonic() - started < 1


def test_deeply_nested_xml_is_malformed_not_a_crash(context):
    data = b"<a>" * 100_000 + b"</a>" * 100_000
    assert check(data, b"", context).code in (model.MALFORMED, model.UNKNOWN_FORMAT)


# -- re-delegation (передоверие) ------------------------------------------------------------------
def chain(head, employee, *, parent_kwargs=None, child_kwargs=None):
    """A first МЧД (head -> Сидорова) and a re-delegation (Сидорова -> Петров)."""
    parent_xml, _ = build(**(parent_kwargs or {}))
    parent = document.read(parent_xml)
    values = dict(signatory=None, delegator="employee1", representative="ip", redelegation="1",
                  parent=parent.number, powers=[("DMDK_APPLICATIONS", "Работа с заявлениями")],
                  until=TODAY + timedelta(days=100))
    values.update(child_kwargs or {})
    child_xml, _ = build(**values)
    return (parent_xml, sign(parent_xml, head)), (child_xml, sign(child_xml, employee)), parent.number


def parents_of(*pairs):
    found = {document.read(x).number: (x, s) for x, s in pairs}
    return lambda number, inn: found.get(number)


def test_valid_redelegation_is_checked_up_to_the_first(head, employee, context):
    parent, (xml, sig), number = chain(head, employee)
    result = V.verify(xml, sig, context=context(parents=parents_of(parent)))
    assert result.valid, result.message
    assert result.parent is not None and result.parent.valid and result.parent.number == number
    assert "chain" in [c.name for c in result.checks]


@pytest.mark.parametrize("fmt", ["003", "002"])
def test_two_hops_of_redelegation(fmt, head, employee, stranger, context):
    first_xml, _ = build(fmt, redelegation="3")
    first = document.read(first_xml).number
    second_xml, _ = build(fmt, signatory=None, delegator="employee1", representative="ip",
                          redelegation="3", parent=first, first=first)
    second = document.read(second_xml).number
    third_xml, _ = build(fmt, signatory=None, delegator="ip", representative="employee2",
                         redelegation="1", parent=second, first=first)
    parents = parents_of((first_xml, sign(first_xml, head)), (second_xml, sign(second_xml, employee)))
    result = V.verify(third_xml, sign(third_xml, stranger), context=context(parents=parents))
    assert result.valid, result.message
    assert result.parent.parent.number == first


def test_redelegation_without_its_parent(head, employee, context):
    _parent, (xml, sig), number = chain(head, employee)
    result = V.verify(xml, sig, context=context())
    assert result.code == M.PARENT_MISSING and number in result.message


def test_redelegation_of_a_power_without_that_right(head, employee, context):
    parent, (xml, sig), number = chain(head, employee, parent_kwargs={"redelegation": "1"})
    result = V.verify(xml, sig, context=context(parents=parents_of(parent)))
    assert result.code == M.REDELEGATION_FORBIDDEN and number in result.message


def test_redelegation_from_an_expired_parent(head, employee, context):
    parent, (xml, sig), _ = chain(head, employee, parent_kwargs={
        "issued": TODAY - timedelta(days=20), "until": TODAY - timedelta(days=2)},
        child_kwargs={"until": TODAY + timedelta(days=5)})
    result = V.verify(xml, sig, context=context(parents=parents_of(parent)))
    assert result.code == M.PARENT_INVALID and "Срок действия доверенности истёк" in result.message


def test_redelegation_by_someone_else_than_the_parents_representative(head, employee, stranger,
                                                                      context):
    parent, (xml, _sig), _ = chain(head, employee, child_kwargs={"delegator": "ip",
                                                                  "representative": "employee2"})
    result = V.verify(xml, sign(xml, stranger), context=context(parents=parents_of(parent)))
    assert result.code == M.PARENT_MISMATCH and "не тот, кому выдана" in result.message


def test_redelegation_cannot_add_powers(head, employee, context):
    parent, (xml, sig), _ = chain(head, employee, child_kwargs={
        "powers": [("DMDK_ADMIN", "Администрирование")]})
    result = V.verify(xml, sig, context=context(parents=parents_of(parent)))
    assert result.code == M.PARENT_MISMATCH and "DMDK_ADMIN" in result.message


def test_redelegation_cannot_outlive_its_parent(head, employee, context):
    parent, (xml, sig), _ = chain(head, employee, parent_kwargs={"until": TODAY + timedelta(days=10)},
                                  child_kwargs={"until": TODAY + timedelta(days=50)})
    result = V.verify(xml, sig, context=context(parents=parents_of(parent)))
    assert result.code == M.PARENT_MISMATCH and "дольше срока" in result.message


def test_revoked_through_the_registry(head, context):
    xml, _ = build()
    result = V.verify(xml, sign(xml, head),
                      context=context(revocation=lambda number, inn: "revoked: 01.12.2026"))
    assert result.code == M.REVOKED and "отозвана 01.12.2026" in result.message
    unknown = V.verify(xml, sign(xml, head),
                       context=context(revocation=lambda number, inn: "unknown: реестр недоступен"))
    assert unknown.valid and "реестр недоступен" in unknown.checks[-1].message


def test_each_failure_has_its_own_message():
    assert len(set(M.MESSAGES.values())) == len(M.MESSAGES)
    assert all(any("а" <= ch <= "я" for ch in text) for text in M.MESSAGES.values())
    assert uuid.UUID  # the numbers the builder makes are GUIDs


def test_signed_before_the_issue_date(head, context):
    xml, _ = build(issued=TODAY + timedelta(days=5), until=TODAY + timedelta(days=30))
    later = datetime.now(timezone.utc) + timedelta(days=10)
    result = V.verify(xml, sign(xml, head), at=later, context=context())
    assert result.code == M.SIGNED_BEFORE_ISSUE and "раньше даты её выдачи" in result.message


def test_liquidated_principal(head, context):
    from registry.pki.demo_pki import PEOPLE

    from .conftest import head_record

    xml, _ = build()
    result = V.verify(xml, sign(xml, head), context=context(
        head_of=lambda p: head_record(PEOPLE["head"], liquidated=True)))
    assert result.code == M.PRINCIPAL_LIQUIDATED and "ликвидирована" in result.message


def test_windows_1251_file_is_read(head, context):
    data, _ = build("002")  # as issued: windows-1251
    assert data.startswith(b"<?xml version='1.0' encoding='windows-1251'?>")
    assert "РОМАШКА".encode("cp1251") in data
    result = check(data, sign(data, head), context)
    assert result.valid, result.message
    assert result.principal["name"].endswith("«РОМАШКА»")


def test_an_unreadable_signature_is_explained_and_the_steps_not_made_are_named(context):
    xml, name = build()
    result = check(xml, b"not a signature at all", context, file_name=name + ".xml",
                   representative=model.Person("Сидорова", "Анна", None, None, None))
    assert result.code == M.UNREADABLE_SIGNATURE
    assert "это не файл электронной подписи в формате CMS" in result.message
    assert "DER" not in result.message and "base64" not in result.message
    steps = [(c.name, c.ok, c.skipped) for c in result.checks]
    assert steps == [("xml", True, False), ("file_name", True, False), ("number", True, False),
                     ("dates", True, False), ("signature", False, False), ("time", False, True),
                     ("signer", False, True), ("egrul", False, True), ("representative", False, True),
                     ("revocation", False, True)]
    assert all(c.message == V.NOT_REACHED for c in result.checks if c.skipped)


def test_the_signer_is_named_with_the_right_verb(head, context):
    xml, _ = build()
    [signer] = [c for c in check(xml, sign(xml, head), context).checks if c.name == "signer"]
    assert signer.message.startswith("Подписал Иванов Иван Иванович")


def test_a_failure_at_the_last_step_leaves_nothing_unnamed(head, context):
    xml, _ = build()
    result = check(xml, sign(xml, head), context,
                   representative=model.Person("Кузнецов", "Олег", None, None, "44556677828"))
    assert result.code == M.REPRESENTATIVE
    assert [c.name for c in result.checks if c.skipped] == ["revocation"]
