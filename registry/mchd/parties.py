"""Reading the parties of an МЧД (people, organizations, entrepreneurs) and its dates, with the
element names both formats share (003 in its namespace, 002 without one)."""

from __future__ import annotations

import re
from datetime import date

from lxml import etree

from .model import INCOMPLETE, DocumentError, Person, Power, Principal


class Finder:
    """``find("a/b")`` with the format's namespace (003) or without one (002)."""

    def __init__(self, namespace: str | None):
        self.prefix = f"{{{namespace}}}" if namespace else ""

    def path(self, path: str) -> str:
        return "/".join(part if part in (".", "..") or part.startswith(".//") else self.prefix + part
                        for part in path.split("/"))

    def find(self, el: etree._Element | None, path: str) -> etree._Element | None:
        return None if el is None else el.find(self.path(path))

    def findall(self, el: etree._Element | None, path: str) -> list[etree._Element]:
        return [] if el is None else list(el.findall(self.path(path)))

    def descendant(self, el: etree._Element | None, name: str) -> etree._Element | None:
        return None if el is None else el.find(f".//{self.prefix}{name}")

    def local(self, el: etree._Element) -> str:
        return etree.QName(el).localname

    # -- parties ---------------------------------------------------------------------------------
    def fio(self, el: etree._Element | None) -> etree._Element | None:
        """ФИО directly under ``el`` or under its СведФЛ (both occur)."""
        return self.find(el, "ФИО") if self.find(el, "ФИО") is not None else self.find(el, "СведФЛ/ФИО")

    def person(self, el: etree._Element | None) -> Person | None:
        """A person of type СвФЛТип, ФЛДоверТип, СведИПТип (attributes ИННФЛ, СНИЛС, Должность,
        and ФИО); None when there is no name."""
        fio = self.fio(el)
        if el is None or fio is None or not fio.get("Фамилия"):
            return None
        return Person(surname=fio.get("Фамилия", ""), given=fio.get("Имя", ""),
                      patronymic=fio.get("Отчество") or None, inn=el.get("ИННФЛ") or None,
                      snils=snils_digits(el.get("СНИЛС")), position=el.get("Должность") or None)

    def organization(self, el: etree._Element | None, kind: str = "org") -> Principal | None:
        """An organization of type СвОргТип (НаимОрг, ИННЮЛ, КПП, ОГРН) or СвИнОргТип (НаимИО)."""
        if el is None:
            return None
        name = el.get("НаимОрг") or el.get("НаимИО")
        if not name:
            return None
        return Principal(name=" ".join(name.split()), inn=el.get("ИННЮЛ") or None,
                         kpp=el.get("КПП") or None, ogrn=el.get("ОГРН") or None, kind=kind)

    def entrepreneur(self, el: etree._Element | None) -> Principal | None:
        """An entrepreneur of type СведИПТип (ОГРНИП, ИННФЛ, СНИЛС, НаимИП, ФИО)."""
        who = self.person(el)
        if el is None or who is None:
            return None
        name = el.get("НаимИП") or f"Индивидуальный предприниматель {who.full_name}"
        return Principal(name=name, inn=who.inn, kpp=None, ogrn=el.get("ОГРНИП") or None,
                         kind="ip", person=who)

    def individual(self, el: etree._Element | None) -> Principal | None:
        """A person as a principal (ФЛДовер)."""
        who = self.person(el)
        if who is None:
            return None
        return Principal(name=who.full_name, inn=who.inn, kpp=None, ogrn=None, kind="person", person=who)

    def powers(self, el: etree._Element | None) -> list[Power]:
        """Every ТекстПолн (as one text power) and every МашПолн of a СвПолн."""
        found: list[Power] = []
        for text in self.findall(el, "ТекстПолн"):
            words = " ".join((text.text or "").split())
            if words:
                found.append(Power(None, words))
        for item in self.findall(el, "МашПолн"):
            limits = []
            for limit in self.findall(item, "ОгрСвПолн"):
                value = self.find(limit, "ТексЗначОгр")
                value = value if value is not None else self.find(limit, "КодЗначОгр")
                shown = limit.get("НаимЗначОгр") or (value.text if value is not None else "") or ""
                limits.append(f"{limit.get('НаимОгр') or limit.get('КодОгр')}: {shown.strip()}")
            found.append(Power(item.get("КодПолн") or None, " ".join((item.get("НаимПолн") or "").split()),
                               item.get("МнПолн") or None, tuple(limits)))
        return found


def snils_digits(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits or None


def parse_date(value: str | None, what: str) -> date:
    """An xs:date (``2024-03-01``, maybe with a zone) or ``ДД.ММ.ГГГГ`` (older files)."""
    text = (value or "").strip()
    try:
        if re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", text):
            day, month, year = map(int, text.split("."))
            return date(year, month, day)
        return date.fromisoformat(text[:10])
    except ValueError:
        raise DocumentError(INCOMPLETE, f"{what}: «{text[:40]}» — не дата") from None
