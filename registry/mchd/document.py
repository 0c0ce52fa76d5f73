"""Reading a machine-readable power of attorney (МЧД): safe XML parsing, the format's schema and
the facts the product uses, for formats 003 (``EMCHD_1``) and 002.

No network, no DTD, no entities: a document type declaration is refused before parsing, and
the parser is told never to load or expand anything. The input is bounded in size.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from lxml import etree

NS_003 = "urn://x-artefacts/EMCHD_1"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
SCHEMA_FILES = {"003": "EMCHD_1.xsd", "002": "MCHD_002.xsd"}
MAX_XML_BYTES = 1024 * 1024

# ПрПередов: re-delegation allowed? (1 none, 2 one re-delegation, 3 further re-delegations)
REDELEGATION_TITLES = {"1": "без права передоверия", "2": "с правом однократного передоверия",
                       "3": "с правом последующего передоверия"}


class DocumentError(Exception):
    """An МЧД that cannot be read: ``code`` names the problem, ``detail`` says what in Russian."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


# codes of DocumentError
TOO_LARGE = "xml_too_large"
FORBIDDEN = "xml_forbidden_construct"
MALFORMED = "xml_malformed"
UNKNOWN_FORMAT = "unknown_format"
SCHEMA = "schema_invalid"


@dataclass(frozen=True)
class Person:
    """A person named in the document (ФИО, ИНН, СНИЛС as 11 digits)."""

    surname: str
    given: str
    patronymic: str | None
    inn: str | None
    snils: str | None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.given, self.patronymic) if p)

    def to_dict(self) -> dict:
        return {"full_name": self.full_name, "inn": self.inn, "snils": self.snils}


@dataclass(frozen=True)
class Principal:
    name: str
    inn: str
    kpp: str | None
    ogrn: str

    def to_dict(self) -> dict:
        return {"name": self.name, "inn": self.inn, "kpp": self.kpp, "ogrn": self.ogrn}


@dataclass(frozen=True)
class Power:
    """One power: machine-readable (a code of the classifier and its name) or text (no code)."""

    code: str | None
    name: str

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name}


@dataclass
class PowerOfAttorney:
    """What the product reads from an МЧД."""

    format: str  # "003" or "002"
    file_id: str
    number: str
    issued_on: date
    valid_until: date
    redelegation: str  # ПрПередов
    principal: Principal
    signatory: Person | None  # ЛицоБезДов: acts for the principal without a power of attorney
    delegator: Person | None  # ЛицоПередов: re-delegates by the parent power of attorney
    representative: Person
    powers: list[Power] = field(default_factory=list)
    parent_number: str | None = None
    first_number: str | None = None
    raw: bytes = b""

    @property
    def text_only(self) -> bool:
        return all(p.code is None for p in self.powers)

    @property
    def codes(self) -> set[str]:
        return {p.code for p in self.powers if p.code}

    @property
    def issuer(self) -> Person:
        """Who must have signed it: the head, or (re-delegation) the parent's representative."""
        person = self.signatory or self.delegator
        assert person is not None
        return person


def is_guid(value: str) -> bool:
    if not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                        value or ""):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True, collect_ids=False)


def parse_xml(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """The root element of ``data``, or DocumentError (too large, DTD/entities, broken XML)."""
    if len(data) > max_bytes:
        raise DocumentError(TOO_LARGE, f"{len(data) // 1024} КБ при допустимых {max_bytes // 1024} КБ")
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"\x00<", b"<\x00"):
        raise DocumentError(MALFORMED, "кодировка UTF-16 не поддерживается: сохраните файл в UTF-8 "
                                       "или windows-1251")
    if _FORBIDDEN.search(data):
        raise DocumentError(FORBIDDEN, "в файле есть объявление типа документа (DOCTYPE) или сущности")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise DocumentError(MALFORMED, str(exc.msg or exc)[:300]) from None
    except ValueError as exc:
        raise DocumentError(MALFORMED, str(exc)[:300]) from None
    doc = root.getroottree().docinfo
    if doc.doctype or doc.internalDTD is not None:
        raise DocumentError(FORBIDDEN, "в файле есть объявление типа документа (DOCTYPE)")
    return root


@cache
def schema(version: str) -> etree.XMLSchema:
    """The shipped XSD of a format version ("003" or "002")."""
    tree = etree.parse(str(SCHEMAS / SCHEMA_FILES[version]), _parser())
    return etree.XMLSchema(tree)


def format_of(root: etree._Element) -> str:
    """ "003" or "002" by the root's namespace and ВерсФорм, else DocumentError."""
    qname = etree.QName(root)
    version = root.get("ВерсФорм")
    if qname.localname != "Доверенность":
        raise DocumentError(UNKNOWN_FORMAT, f"корневой элемент «{qname.localname}», а не «Доверенность»")
    if qname.namespace == NS_003:
        return "003"
    if qname.namespace is None and version == "002":
        return "002"
    if qname.namespace is None and version in ("EMCHD_1", "003"):
        raise DocumentError(UNKNOWN_FORMAT, f"формат {version} без пространства имён {NS_003}")
    raise DocumentError(UNKNOWN_FORMAT, f"версия формата «{version or '—'}», пространство имён "
                                        f"«{qname.namespace or '—'}»")


def _validate(root: etree._Element, version: str) -> None:
    xsd = schema(version)
    if not xsd.validate(root):
        errors = [f"строка {e.line}: {e.message}" for e in list(xsd.error_log)[:3]]
        raise DocumentError(SCHEMA, "; ".join(errors))


def _snils(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits or None


class _Finder:
    """``find("a/b")`` in the format's namespace (003) or without one (002)."""

    def __init__(self, version: str):
        self.prefix = f"{{{NS_003}}}" if version == "003" else ""

    def path(self, path: str) -> str:
        return "/".join(self.prefix + part for part in path.split("/"))

    def find(self, el, path: str):
        return None if el is None else el.find(self.path(path))

    def findall(self, el, path: str) -> list:
        return list(el.findall(self.path(path)))

    def person(self, el) -> Person | None:
        if el is None:
            return None
        fio = self.find(el, "ФИО")
        return Person(surname=fio.get("Фамилия"), given=fio.get("Имя"), patronymic=fio.get("Отчество"),
                      inn=el.get("ИННФЛ"), snils=_snils(el.get("СНИЛС")))

    def powers(self, el) -> list[Power]:
        text = self.find(el, "ТекстПолн")
        if text is not None:
            return [Power(None, " ".join((text.text or "").split()))]
        return [Power(p.get("КодПолн"), p.get("НаимПолн")) for p in self.findall(el, "МашПолн")]


# Where each fact is in each format (paths under Доверенность/Документ).
_LAYOUT = {
    "003": {"body": "Документ/Довер", "org": "СвДоверит/СвРосОрг",
            "signatory": "СвДоверит/ЛицоБезДов/СвФЛ", "delegator": "СвДоверит/ЛицоПередов/СвФЛ",
            "representative": "СвУпПред/СведФизЛ", "end": "СрокДейст"},
    "002": {"body": "Документ", "org": "СвДоверит/РосОргДовер",
            "signatory": "СвДоверит/РосОргДовер/ЛицоБезДов",
            "delegator": "СвДоверит/РосОргДовер/ЛицоПередов",
            "representative": "СвУпПред/СвФизЛ", "end": "ДатаКонДовер"},
}


def read(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> PowerOfAttorney:
    """Parse, validate against the format's schema and read an МЧД; DocumentError if not."""
    root = parse_xml(data, max_bytes=max_bytes)
    version = format_of(root)
    _validate(root, version)
    f, layout = _Finder(version), _LAYOUT[version]
    body = f.find(root, layout["body"])
    info = f.find(body, "СвДов")
    org = f.find(body, layout["org"])
    link = f.find(info, "СвПереДов")
    return PowerOfAttorney(
        format=version, file_id=root.get("ИдФайл"), number=info.get("НомДовер"),
        issued_on=date.fromisoformat(info.get("ДатаВыдДовер")[:10]),
        valid_until=date.fromisoformat(info.get(layout["end"])[:10]),
        redelegation=info.get("ПрПередов"),
        principal=Principal(org.get("НаимОрг"), org.get("ИННЮЛ"), org.get("КПП"), org.get("ОГРН")),
        signatory=f.person(f.find(body, layout["signatory"])),
        delegator=f.person(f.find(body, layout["delegator"])),
        representative=f.person(f.find(body, layout["representative"])),
        powers=f.powers(f.find(body, "СвПолн")),
        parent_number=link.get("НомДоверРод") if link is not None else None,
        first_number=link.get("НомДоверПерв") if link is not None else None,
        raw=data)
