"""ИНН, ОГРН, ОГРНИП, СНИЛС and КПП: formats, checksums and the messages people see."""

from __future__ import annotations

import pytest

from registry.identifiers import (
    check_inn,
    check_kpp,
    check_ogrn,
    check_ogrnip,
    check_snils,
    digits,
    format_snils,
    inn_control,
    make_inn,
    make_ogrn,
    make_ogrnip,
    make_snils,
    snils_control,
)

INN_LENGTH = "ИНН должен состоять из 10 или 12 цифр"
INN_CHECKSUM = "Неверное контрольное число ИНН — проверьте, нет ли опечатки"
OGRN_LENGTH = "ОГРН должен состоять из 13 цифр"
OGRN_CHECKSUM = "Неверное контрольное число ОГРН — проверьте, нет ли опечатки"
OGRNIP_LENGTH = "ОГРНИП должен состоять из 15 цифр"
OGRNIP_CHECKSUM = "Неверное контрольное число ОГРНИП — проверьте, нет ли опечатки"
SNILS_LENGTH = "СНИЛС должен состоять из 11 цифр"
SNILS_CHECKSUM = "Неверное контрольное число СНИЛС — проверьте, нет ли опечатки"
KPP_PATTERN = "КПП должен состоять из 9 символов: 4 цифры, 2 цифры или латинские буквы, 3 цифры"


@pytest.mark.parametrize("value", [
    "7707083893",         # ПАО Сбербанк
    "7736050003",         # ПАО «Газпром»
    "500100732259",       # a person
    "7707 083 893",       # spaces people type
    "7707-083-893",
    " 500100732259 ",
])
def test_valid_inn(value):
    assert check_inn(value) is None


@pytest.mark.parametrize("value, message", [
    (None, INN_LENGTH),
    ("", INN_LENGTH),
    ("770708389", INN_LENGTH),              # 9 digits
    ("77070838931", INN_LENGTH),            # 11 digits
    ("7707O83893", INN_LENGTH),             # a letter O instead of zero
    ("77070838９3", INN_LENGTH),            # a full-width digit
    ("²²²²²²²²²²", INN_LENGTH),             # digits to str.isdigit, not to int()
    ("7707083894", INN_CHECKSUM),
    ("500100732258", INN_CHECKSUM),         # second control digit wrong
    ("500100732269", INN_CHECKSUM),         # first control digit wrong
])
def test_invalid_inn(value, message):
    assert check_inn(value) == message


def test_inn_of_a_required_length():
    assert check_inn("7707083893", 10) is None
    assert check_inn("500100732259", 12) is None
    assert check_inn("500100732259", 10) == "ИНН должен состоять из 10 цифр"
    assert check_inn("7707083893", 12) == "ИНН должен состоять из 12 цифр"


def test_inn_control_digits():
    assert inn_control("7707083893") == "3"
    assert inn_control("500100732259") == "59"
    assert make_inn("770708389") == "7707083893"
    assert make_inn("5001007322") == "500100732259"
    with pytest.raises(ValueError):
        make_inn("77")


@pytest.mark.parametrize("value", ["1027700132195", "1027739609391", "1027 7001 32195", make_ogrn("102770000002")])
def test_valid_ogrn(value):
    assert check_ogrn(value) is None


@pytest.mark.parametrize("value, message", [
    (None, OGRN_LENGTH),
    ("102770013219", OGRN_LENGTH),
    ("10277001321950", OGRN_LENGTH),
    ("102770013219A", OGRN_LENGTH),
    ("1027700132196", OGRN_CHECKSUM),
    ("1027700132190", OGRN_CHECKSUM),
])
def test_invalid_ogrn(value, message):
    assert check_ogrn(value) == message


def test_ogrn_whose_remainder_is_ten_ends_with_zero():
    # The first 12 digits give remainder 10 modulo 11; the control digit is its last digit, 0.
    prefix = next(f"1027700{n:05d}" for n in range(100000) if int(f"1027700{n:05d}") % 11 == 10)
    assert make_ogrn(prefix).endswith("0")
    assert check_ogrn(prefix + "0") is None
    assert check_ogrn(prefix + "1") == OGRN_CHECKSUM


@pytest.mark.parametrize("value", ["304500116000157", "316774600031611", make_ogrnip("30477000000001")])
def test_valid_ogrnip_modulo_13(value):
    assert check_ogrnip(value) is None


def test_ogrnip_uses_modulo_13_not_11():
    # 31677460003161: mod 13 gives 1, mod 11 would give 5 (what a mod-11 checker accepts).
    prefix = "31677460003161"
    assert int(prefix) % 13 % 10 == 1 and int(prefix) % 11 % 10 == 5
    assert check_ogrnip(prefix + "1") is None
    assert check_ogrnip(prefix + "5") == OGRNIP_CHECKSUM
    assert make_ogrnip(prefix) == prefix + "1"


@pytest.mark.parametrize("value, message", [
    (None, OGRNIP_LENGTH),
    ("1027700132195", OGRNIP_LENGTH),    # an ОГРН is not an ОГРНИП
    ("3045001160001570", OGRNIP_LENGTH),
    ("30450011600015X", OGRNIP_LENGTH),
    ("304500116000158", OGRNIP_CHECKSUM),
])
def test_invalid_ogrnip(value, message):
    assert check_ogrnip(value) == message


@pytest.mark.parametrize("value", [
    "112-233-445 95",     # the usual example
    "11223344595",
    "001-001-998 00",     # up to 001-001-998 numbers carry no checksum…
    "001-001-998 77",     # …so any two digits pass
    "000-000-001 99",
    "001-019-997 00",     # sum of products 100 → 00
    "001-029-888 00",     # sum 101 → 00
    "002-999-989 00",     # sum 201: 201 mod 101 = 100 → 00
    "003-998-987 00",     # sum 202: 202 mod 101 = 0 → 00
    "001-002-000 15",     # sum 15 < 100: the sum itself
])
def test_valid_snils(value):
    assert check_snils(value) is None


@pytest.mark.parametrize("value, message", [
    (None, SNILS_LENGTH),
    ("112-233-445", SNILS_LENGTH),
    ("112-233-445 951", SNILS_LENGTH),
    ("112-233-44a 95", SNILS_LENGTH),
    ("112-233-445 96", SNILS_CHECKSUM),
    ("001-001-999 00", SNILS_CHECKSUM),   # the first number that is checked (control 65)
    ("001-019-997 100", SNILS_LENGTH),
    ("001-019-997 01", SNILS_CHECKSUM),
])
def test_invalid_snils(value, message):
    assert check_snils(value) == message


def test_snils_control_and_formatting():
    assert snils_control("112233445") == 95
    assert snils_control("001019997") == 0
    assert snils_control("001001999") == 65
    assert make_snils("112233445") == "11223344595"
    assert make_snils("001029888") == "00102988800"
    assert format_snils("11223344595") == "112-233-445 95"
    assert format_snils("123") == "123"


@pytest.mark.parametrize("value", ["770101001", "7701AB001", "7701ab001", "7701 01 001", "773601001"])
def test_valid_kpp(value):
    assert check_kpp(value) is None


@pytest.mark.parametrize("value", [None, "", "77010100", "7701010011", "77010А001",  # Cyrillic А
                                   "AB0101001", "770101A01", "7701_1001"])
def test_invalid_kpp(value):
    assert check_kpp(value) == KPP_PATTERN


def test_digits_strips_separators_only():
    assert digits(" 77-07 083\t893 ") == "7707083893"
    assert digits(None) == ""
    assert digits("7707083893") == "7707083893"
    assert digits("77.07") == "77.07"
