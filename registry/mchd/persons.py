"""Who is who in an МЧД check: a certificate, an account or a party of the document, compared
by СНИЛС, then by personal ИНН (an organization by its ИНН), and described in Russian."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..pki import QualifiedCertificate
from .model import Principal


def identity(who: Any) -> tuple[str | None, str | None]:
    """(СНИЛС, ИНН) of a certificate, an account, a person or an organization of the document."""
    if who is None:
        return None, None
    if isinstance(who, QualifiedCertificate):
        return who.snils, who.personal_inn
    if isinstance(who, Principal):
        return (who.person.snils, who.person.inn) if who.person else (None, who.inn)
    return getattr(who, "snils", None), getattr(who, "inn", None)


def same_person(a: Any, b: Any) -> bool:
    """By СНИЛС when both have one, else by ИНН."""
    (snils_a, inn_a), (snils_b, inn_b) = identity(a), identity(b)
    if snils_a and snils_b:
        return snils_a == snils_b
    return bool(inn_a and inn_b and inn_a == inn_b)


def snils_text(value: str) -> str:
    """«112-233-445 95» for 11 digits."""
    return f"{value[:3]}-{value[3:6]}-{value[6:9]} {value[9:]}" if len(value) == 11 else value


def describe(who: Any) -> str:
    """«Иванов Иван Иванович (СНИЛС 112-233-445 95, ИНН 770123456703)»."""
    if isinstance(who, QualifiedCertificate):
        name, (snils, inn) = who.full_name or who.subject, identity(who)
    else:
        name = getattr(who, "full_name", "") or ""
        snils, inn = identity(who)
    ids = ", ".join(x for x in (f"СНИЛС {snils_text(snils)}" if snils else "",
                                f"ИНН {inn}" if inn else "") if x)
    return f"{name} ({ids})" if ids else name


def day(value: date) -> str:
    return value.strftime("%d.%m.%Y")
