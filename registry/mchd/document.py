"""Reading a machine-readable power of attorney (МЧД): safe XML parsing, the format, the official
schema of format 003 and the facts the product uses.

No network, no DTD, no entities: a document type declaration is refused before parsing, and
the parser is told never to load or expand anything. The input is bounded in size, and the
encoding it declares must be the one it is written in.
"""

from __future__ import annotations

import codecs
import re
import uuid
from functools import cache
from pathlib import Path

from lxml import etree

from . import format002, format003
from .model import (
    ENCODING,
    FORBIDDEN,
    MALFORMED,
    SCHEMA,
    TOO_LARGE,
    UNKNOWN_FORMAT,
    DocumentError,
    PowerOfAttorney,
)

NS_003 = format003.NS
# The ФНС schema of format 003 exactly as published (ON_EMCHD_1_928_00_01_01_01.xsd).
SCHEMA_003 = Path(__file__).resolve().parent / "schemas" / "ON_EMCHD_1_928_00_01_01_01.xsd"
MAX_XML_BYTES = 1024 * 1024


def is_guid(value: str) -> bool:
    if not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                        value or ""):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def kilobytes(size: int) -> str:
    """«2048 КБ» (at least 1 КБ for a non-empty file)."""
    return f"{max(1, (size + 1023) // 1024) if size else 0} КБ"


def too_large(size: int, limit: int) -> DocumentError:
    return DocumentError(TOO_LARGE, f"{kilobytes(size)} при допустимых {kilobytes(limit)}")


_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_ENCODING_NAMES = {"utf-8": "UTF-8", "cp1251": "windows-1251"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True, collect_ids=False)


def _check_encoding(data: bytes) -> None:
    """The encoding the declaration names must exist and be the one the bytes are in."""
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"\x00<", b"<\x00"):
        raise DocumentError(ENCODING, "кодировка UTF-16 не поддерживается: сохраните файл в UTF-8 "
                                      "или windows-1251")
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    match = _DECLARATION.match(body)
    declared = match.group(1).decode("ascii") if match else "utf-8"
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        raise DocumentError(ENCODING, f"в объявлении XML указана неизвестная кодировка «{declared}»; "
                                      "доверенности выгружаются в UTF-8 или windows-1251") from None
    if name not in _ENCODING_NAMES:
        raise DocumentError(ENCODING, f"кодировка «{declared}» не используется в доверенностях: "
                                      "ожидается UTF-8 или windows-1251")
    try:
        body.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    if name == "utf-8" and not utf8:
        said = f"объявлена кодировка {declared}" if match else "кодировка не объявлена (значит, UTF-8)"
        raise DocumentError(ENCODING, f"{said}, а файл записан в другой кодировке (вероятно, "
                                      "windows-1251): исправьте объявление <?xml … encoding=…?>")
    if name == "cp1251" and utf8 and not body.isascii():
        raise DocumentError(ENCODING, f"объявлена кодировка {declared}, а файл записан в UTF-8: "
                                      "исправьте объявление <?xml … encoding=…?>")


def parse_xml(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """The root element of ``data``, or DocumentError (too large, DTD/entities, wrong encoding,
    broken XML)."""
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    if not data.strip():
        raise DocumentError(MALFORMED, "файл пуст")
    _check_encoding(data)
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
def schema() -> etree.XMLSchema:
    """The official XSD of format 003."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_003), _parser()))


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


def validate_003(root: etree._Element) -> None:
    """DocumentError(SCHEMA) naming the first problems the official schema finds."""
    xsd = schema()
    if not xsd.validate(root):
        errors = [f"строка {e.line}: {_localize(e.message)}" for e in list(xsd.error_log)[:3]]
        raise DocumentError(SCHEMA, "; ".join(errors))


def _localize(message: str) -> str:
    """libxml2's schema message without the namespace noise: «{urn://…}СвДов» → «СвДов»."""
    return re.sub(r"\{[^}]*\}", "", message).replace("Element ", "элемент ").strip()


def read(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> PowerOfAttorney:
    """Parse and read an МЧД (format 003 checked against the official schema, format 002 by
    the structure issued files have); DocumentError if it cannot be read."""
    root = parse_xml(data, max_bytes=max_bytes)
    version = format_of(root)
    if version == "003":
        validate_003(root)
        document = format003.read(root)
    else:
        document = format002.read(root)
    document.raw = data
    return document
