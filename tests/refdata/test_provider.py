"""The optional HTTP provider speaking ``findById/party``, against a real local server."""

from __future__ import annotations

import time
from datetime import date

from registry.refdata.egrul import import_egrul
from registry.refdata.egrul_xml import write_extract
from registry.refdata.services import lookup_party, lookup_provider

from .conftest import legal_entity

SBERBANK = {
    "value": "ПАО СБЕРБАНК",
    "unrestricted_value": "ПАО СБЕРБАНК",
    "data": {
        "kpp": "773601001",
        "capital": None,
        "management": {"name": "Греф Герман Оскарович", "post": "ПРЕЗИДЕНТ, ПРЕДСЕДАТЕЛЬ ПРАВЛЕНИЯ",
                       "disqualified": None},
        "founders": None,
        "branch_type": "MAIN",
        "branch_count": 88,
        "type": "LEGAL",
        "state": {"status": "ACTIVE", "code": None, "actuality_date": 1767225600000,
                  "registration_date": 677376000000, "liquidation_date": None},
        "opf": {"type": "2014", "code": "12247", "full": "Публичное акционерное общество", "short": "ПАО"},
        "name": {"full_with_opf": "ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО \"СБЕРБАНК РОССИИ\"",
                 "short_with_opf": "ПАО СБЕРБАНК", "full": "СБЕРБАНК РОССИИ", "short": "СБЕРБАНК"},
        "inn": "7707083893",
        "ogrn": "1027700132195",
        "okpo": "00032537",
        "okved": "64.19",
        "okveds": [{"main": True, "type": "2014", "code": "64.19", "name": "Денежное посредничество прочее"},
                   {"main": False, "type": "2014", "code": "66.19", "name": "Деятельность вспомогательная"}],
        "address": {"value": "г Москва, ул Вавилова, д 19",
                    "unrestricted_value": "117312, г Москва, Академический р-н, ул Вавилова, д 19",
                    "invalidity": None, "data": {"postal_code": "117312"}},
        "ogrn_date": 677376000000,
    },
}

ENTREPRENEUR = {
    "value": "ИП Фёдоров Пётр Ильич",
    "data": {
        "type": "INDIVIDUAL", "inn": "500100732259", "ogrn": "304500116000157", "kpp": None,
        "fio": {"surname": "Фёдоров", "name": "Пётр", "patronymic": "Ильич"},
        "opf": {"full": "Индивидуальный предприниматель", "short": "ИП"},
        "name": {"full_with_opf": "Индивидуальный предприниматель Фёдоров Пётр Ильич",
                 "short_with_opf": "ИП Фёдоров Пётр Ильич"},
        "state": {"status": "LIQUIDATED", "registration_date": 1086048000000, "actuality_date": 1767225600000},
        "okved": "47.77", "okveds": None,
        "address": {"value": "г Москва", "invalidity": {"code": "FNS", "decision": {"court_name": None}}},
    },
}


def test_found_party_is_mapped_and_the_token_sent(app, db_session, provider):
    provider.answer(body={"suggestions": [SBERBANK]})
    with app.app_context():
        result = lookup_party("7707083893")
    assert (result.source, result.error) == ("provider", None)
    party = result.party
    assert (party.kind, party.ogrn, party.inn, party.kpp) == ("ul", "1027700132195", "7707083893", "773601001")
    assert party.full_name == "ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО \"СБЕРБАНК РОССИИ\""
    assert party.short_name == "ПАО СБЕРБАНК"
    assert party.opf == "Публичное акционерное общество"
    assert party.reg_date == date(1991, 6, 20)
    assert party.extract_date == date(2026, 1, 1)
    assert party.address == "117312, г Москва, Академический р-н, ул Вавилова, д 19"
    assert party.status == "Действующее" and not party.liquidated
    assert party.head == {"kind": "person", "surname": "Греф", "given": "Герман", "patronymic": "Оскарович",
                          "inn": None, "title": "ПРЕЗИДЕНТ, ПРЕДСЕДАТЕЛЬ ПРАВЛЕНИЯ", "date": None}
    assert party.okved == {"main": "64.19", "additional": ["66.19"]}
    assert party.flags == {"unreliable_address": False, "unreliable_head": False, "disqualified_head": False}
    assert party.source == "provider" and party.confirmed

    [request] = provider.requests
    assert request["path"] == "/suggestions/api/4_1/rs/findById/party"
    assert request["headers"]["Authorization"] == "Token secret-token-123"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"] == {"query": "7707083893", "branch_type": "MAIN"}


def test_entrepreneur_and_unreliable_address_from_the_provider(app, db_session, provider):
    provider.answer(body={"suggestions": [ENTREPRENEUR]})
    with app.app_context():
        party = lookup_party("304500116000157").party
    assert (party.kind, party.ogrn, party.inn, party.kpp) == ("ip", "304500116000157", "500100732259", None)
    assert party.head == {"kind": "person", "surname": "Фёдоров", "given": "Пётр", "patronymic": "Ильич",
                          "inn": "500100732259", "title": "Индивидуальный предприниматель", "date": None}
    assert party.liquidated and party.status == "Ликвидировано"
    assert party.okved == {"main": "47.77", "additional": []}
    assert party.flags["unreliable_address"] is True
    assert provider.requests[0]["body"]["query"] == "304500116000157"


def test_head_office_is_chosen_among_branches_and_managers_give_the_head_inn(app, db_session, provider):
    branch = {"value": "ФИЛИАЛ", "data": {**SBERBANK["data"], "branch_type": "BRANCH", "kpp": "784243001"}}
    main = {**SBERBANK, "data": {**SBERBANK["data"],
                                 "management": {"name": "Греф Герман Оскарович", "post": "ПРЕЗИДЕНТ",
                                                "disqualified": True},
                                 "managers": [{"inn": "500100732259", "post": "ПРЕЗИДЕНТ", "type": "EMPLOYEE",
                                               "fio": {"surname": "Греф", "name": "Герман",
                                                       "patronymic": "Оскарович"}}]}}
    provider.answer(body={"suggestions": [branch, main]})
    with app.app_context():
        party = lookup_party("7707083893").party
    assert party.kpp == "773601001"
    assert party.head["inn"] == "500100732259" and party.head["surname"] == "Греф"
    assert party.flags["disqualified_head"] is True


def test_managing_company_from_the_provider(app, db_session, provider):
    managed = {**SBERBANK, "data": {**SBERBANK["data"], "managers": [
        {"inn": "7707083893", "ogrn": "1027700132195", "name": "ПАО СБЕРБАНК", "type": "MANAGER"}]}}
    provider.answer(body={"suggestions": [managed]})
    with app.app_context():
        party = lookup_party("7707083893").party
    assert party.head == {"kind": "legal_entity", "full_name": "ПАО СБЕРБАНК", "inn": "7707083893",
                          "ogrn": "1027700132195", "kpp": None}


def test_not_found(app, db_session, provider):
    provider.answer(body={"suggestions": []})
    with app.app_context():
        result = lookup_party("7707083893")
    assert (result.party, result.source, result.error) == (None, "provider", None)
    assert len(provider.requests) == 1


def test_http_errors_are_explained(app, db_session, provider):
    expected = {
        401: "Сервис ЕГРЮЛ отклонил ключ доступа (401): проверьте REGISTRY_PARTY_PROVIDER_TOKEN.",
        402: "У сервиса ЕГРЮЛ закончился оплаченный лимит запросов (402).",
        403: "Сервис ЕГРЮЛ запретил доступ (403): проверьте ключ и адрес сервиса.",
        429: "Сервис ЕГРЮЛ получил слишком много запросов (429): повторите через минуту.",
        500: "Сервис ЕГРЮЛ ответил ошибкой 500: повторите позже.",
        503: "Сервис ЕГРЮЛ ответил ошибкой 503: повторите позже.",
    }
    with app.app_context():
        for status, message in expected.items():
            provider.answer(status=status, body={"family": "CLIENT_ERROR", "reason": "whatever"})
            result = lookup_party("7707083893")
            assert (result.party, result.source, result.error) == (None, "provider", message), status
    assert len(provider.requests) == len(expected)


def test_timeout(app, db_session, provider):
    provider.answer(body={"suggestions": [SBERBANK]}, delay=2.5)
    with app.app_context():
        start = time.monotonic()
        result = lookup_party("7707083893")
        elapsed = time.monotonic() - start
    assert (result.party, result.source) == (None, "provider")
    assert result.error == "Сервис ЕГРЮЛ не ответил за 1 с: повторите позже."
    assert 0.9 < elapsed < 2.4


def test_unreadable_answers(app, db_session, provider):
    unreadable = "Сервис ЕГРЮЛ прислал ответ, который не удалось прочитать."
    with app.app_context():
        for body in ("<html>Bad gateway</html>", "{\"suggestions\": [", b"\xff\xfe\x00garbage", "[]",
                     {"suggestions": "none"}, {"suggestions": [{"value": "x", "data": {"inn": "7707083893"}}]}):
            provider.answer(body=body)
            result = lookup_party("7707083893")
            assert (result.party, result.source, result.error) == (None, "provider", unreadable), body


def test_unreachable_provider(app, db_session, provider, monkeypatch):
    provider.close()
    with app.app_context():
        result = lookup_provider("7707083893")
    assert (result.party, result.source) == (None, "provider")
    assert result.error.startswith("Сервис ЕГРЮЛ недоступен (")


def test_local_egrul_is_consulted_before_the_provider(app, db_session, provider, tmp_path):
    entity = legal_entity(1)
    write_extract(tmp_path / "egrul.xml", [entity])
    provider.answer(body={"suggestions": [SBERBANK]})
    with app.app_context():
        import_egrul([tmp_path / "egrul.xml"])
        for query in (entity["ogrn"], entity["inn"]):
            result = lookup_party(query)
            assert (result.source, result.party.ogrn, result.party.source) == (
                "egrul_local", entity["ogrn"], "egrul_local")
        assert provider.requests == []
        # Not in the local copy: the provider is asked.
        assert lookup_party("7707083893").party.ogrn == "1027700132195"
    assert [r["body"]["query"] for r in provider.requests] == ["7707083893"]


def test_a_bad_query_never_reaches_the_provider(app, db_session, provider):
    with app.app_context():
        result = lookup_party("7707083894")
    assert result.error == "Неверное контрольное число ИНН — проверьте, нет ли опечатки"
    assert provider.requests == []


def test_no_provider_configured(app, db_session):
    assert not app.config["REGISTRY_PARTY_PROVIDER_URL"]
    with app.app_context():
        result = lookup_provider("7707083893")
    assert (result.party, result.source, result.error) == (None, None, None)
