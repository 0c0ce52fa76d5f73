"""Russian registration identifiers: format and checksum checks.

ИНН (10 digits for a legal entity, 12 for a person), ОГРН (13), ОГРНИП (15), СНИЛС (11) and
КПП (9 characters, pattern only). Each ``check_*`` returns ``None`` when the value is valid and a
Russian message otherwise, so forms and certificate parsing share one source of truth. A leaf
module (standard library only): the certificate core uses it without loading the web application.
"""

from __future__ import annotations

import re
from operator import mul

__all__ = [
    "digits", "inn_control", "check_inn", "check_ogrn", "check_ogrnip", "snils_control",
    "check_snils", "check_kpp", "format_snils", "make_inn", "make_ogrn", "make_ogrnip",
    "make_snils",
]

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_KPP_RE = re.compile(r"^[0-9]{4}[0-9A-Z]{2}[0-9]{3}$")
_SEPARATORS = re.compile(r"[\s\-]")


def digits(value: str | None) -> str:
    """Strip spaces, dashes and other separators people type between digits."""
    if value and value.isascii() and value.isdigit():
        return value
    return _SEPARATORS.sub("", value or "")


def _ascii_digits(value: str) -> bool:
    """Only 0-9 (``str.isdigit`` also accepts ² or ٣, which ``int`` then refuses or mangles)."""
    return value.isascii() and value.isdigit()


def _weighted(value: str, weights: tuple[int, ...]) -> int:
    return sum(map(mul, map(int, value[:len(weights)]), weights))


def inn_control(value: str) -> str:
    """Return the control digit(s) an ИНН of this length must end with."""
    if len(value) == 10:
        return str(_weighted(value, _INN10_WEIGHTS) % 11 % 10)
    first = _weighted(value, _INN12_WEIGHTS_1) % 11 % 10
    second = _weighted(value[:10] + str(first), _INN12_WEIGHTS_2) % 11 % 10
    return f"{first}{second}"


def check_inn(value: str | None, length: int | None = None) -> str | None:
    """Validate an ИНН of 10 (legal entity) or 12 (person) digits, or the given length."""
    v = digits(value)
    lengths = (length,) if length else (10, 12)
    if not _ascii_digits(v) or len(v) not in lengths:
        want = " или ".join(str(n) for n in lengths)
        return f"ИНН должен состоять из {want} цифр"
    if not v.endswith(inn_control(v)):
        return "Неверное контрольное число ИНН — проверьте, нет ли опечатки"
    return None


def check_ogrn(value: str | None) -> str | None:
    """Validate an ОГРН: 13 digits, control digit = first 12 digits mod 11 mod 10."""
    v = digits(value)
    if not _ascii_digits(v) or len(v) != 13:
        return "ОГРН должен состоять из 13 цифр"
    if int(v[:12]) % 11 % 10 != int(v[12]):
        return "Неверное контрольное число ОГРН — проверьте, нет ли опечатки"
    return None


def check_ogrnip(value: str | None) -> str | None:
    """Validate an ОГРНИП: 15 digits, control digit = first 14 digits mod 13 mod 10."""
    v = digits(value)
    if not _ascii_digits(v) or len(v) != 15:
        return "ОГРНИП должен состоять из 15 цифр"
    if int(v[:14]) % 13 % 10 != int(v[14]):
        return "Неверное контрольное число ОГРНИП — проверьте, нет ли опечатки"
    return None


def snils_control(value: str) -> int:
    """Control number of the first nine digits of a СНИЛС (100 and 101 become 0)."""
    total = sum(int(c) * w for c, w in zip(value[:9], range(9, 0, -1), strict=False))
    if total > 101:
        total %= 101
    return 0 if total in (100, 101) else total


def check_snils(value: str | None) -> str | None:
    """Validate a СНИЛС: 11 digits; numbers up to 001-001-998 carry no checksum."""
    v = digits(value)
    if not _ascii_digits(v) or len(v) != 11:
        return "СНИЛС должен состоять из 11 цифр"
    if int(v[:9]) <= 1001998:
        return None
    if snils_control(v) != int(v[9:]):
        return "Неверное контрольное число СНИЛС — проверьте, нет ли опечатки"
    return None


def check_kpp(value: str | None) -> str | None:
    """Validate a КПП: 9 characters, 4 digits, 2 digits or capital letters, 3 digits."""
    v = digits(value).upper()
    if not _KPP_RE.match(v):
        return "КПП должен состоять из 9 символов: 4 цифры, 2 цифры или латинские буквы, 3 цифры"
    return None


def format_snils(value: str) -> str:
    """Format 11 digits as ``123-456-789 01``."""
    v = digits(value)
    return f"{v[:3]}-{v[3:6]}-{v[6:9]} {v[9:]}" if len(v) == 11 else value


def make_inn(prefix: str) -> str:
    """Complete a 9- or 10-digit prefix to a valid 10- or 12-digit ИНН (tests, demo data)."""
    if len(prefix) == 9:
        return prefix + inn_control(prefix + "0")
    if len(prefix) == 10:
        first = _weighted(prefix, _INN12_WEIGHTS_1) % 11 % 10
        second = _weighted(prefix + str(first), _INN12_WEIGHTS_2) % 11 % 10
        return f"{prefix}{first}{second}"
    raise ValueError("prefix must have 9 or 10 digits")


def make_ogrn(prefix: str) -> str:
    """Complete a 12-digit prefix to a valid ОГРН."""
    return prefix + str(int(prefix) % 11 % 10)


def make_ogrnip(prefix: str) -> str:
    """Complete a 14-digit prefix to a valid ОГРНИП."""
    return prefix + str(int(prefix) % 13 % 10)


def make_snils(prefix: str) -> str:
    """Complete a 9-digit prefix to a valid СНИЛС."""
    return f"{prefix}{snils_control(prefix):02d}"
