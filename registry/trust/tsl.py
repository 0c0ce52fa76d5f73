"""Минцифры's list of accredited CAs (``TSL.xml``), read safely and completely.

The list looks like this (only the elements the product uses are shown)::

    <АккредитованныеУдостоверяющиеЦентры>
      <Версия>1234</Версия>
      <Дата>2026-11-30T12:00:00+03:00</Дата>
      <УдостоверяющийЦентр>
        <Название>…</Название><КраткоеНазвание>…</КраткоеНазвание>
        <ИНН>…</ИНН><ОГРН>…</ОГРН>
        <ПрограммноАппаратныеКомплексы><ПрограммноАппаратныйКомплекс>
          <КлючиУполномоченныхЛиц><Ключ>
            <ИдентификаторКлюча>hex</ИдентификаторКлюча>
            <АдресаСписковОтзыва><Адрес>http://…/ca.crl</Адрес></АдресаСписковОтзыва>
            <Сертификаты><ДанныеСертификата>
              <Отпечаток>SHA-1 hex</Отпечаток><КемВыдан>…</КемВыдан><КомуВыдан>…</КомуВыдан>
              <СерийныйНомер>hex</СерийныйНомер>
              <ПериодДействияС>…</ПериодДействияС><ПериодДействияДо>…</ПериодДействияДо>
              <Данные>base64 DER</Данные>
            </ДанныеСертификата></Сертификаты>
          </Ключ></КлючиУполномоченныхЛиц>
        </ПрограммноАппаратныйКомплекс></ПрограммноАппаратныеКомплексы>
        <СтатусАккредитации><Статус>Действует</Статус><ДействуетС>…</ДействуетС></СтатусАккредитации>
        <ИсторияСтатусовАккредитации><СтатусАккредитации>…</СтатусАккредитации>…</ИсторияСтатусовАккредитации>
      </УдостоверяющийЦентр>
      …
    </АккредитованныеУдостоверяющиеЦентры>

Parsing streams the file (one CA element at a time), never resolves entities, loads no DTD
and touches no network; a document with a DOCTYPE is refused. A certificate that cannot be
read, or whose thumbprint does not match its data, is left out and reported; the list as a
whole is refused only when its frame is wrong (root, version, date) or nothing usable is in it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import BinaryIO

from lxml import etree

from ..pki import MalformedCertificate, QualifiedCertificate, load_certificate
from .accreditation import ACTIVE, STATUSES, Period

ROOT_TAG = "АккредитованныеУдостоверяющиеЦентры"
CA_TAG = "УдостоверяющийЦентр"
MOSCOW = timezone(timedelta(hours=3))
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
START_TAGS = ("ДействуетС", "ДатаНачала", "С", "Дата")
END_TAGS = ("ДействуетПо", "ДатаОкончания", "По")


class TslError(ValueError):
    """The list cannot be used; the message is Russian and says why."""


@dataclass
class TslCertificate:
    certificate: QualifiedCertificate
    thumbprint: str  # SHA-1 as written in the list (upper-case hex)
    issued_by: str
    issued_to: str
    serial: str
    valid_from: datetime | None
    valid_to: datetime | None

    @property
    def sha256(self) -> str:
        return self.certificate.fingerprint


@dataclass
class TslKey:
    key_id: str
    crl_urls: list[str] = field(default_factory=list)
    certificates: list[TslCertificate] = field(default_factory=list)


@dataclass
class TslCa:
    name: str
    short_name: str
    inn: str
    ogrn: str
    periods: list[Period] = field(default_factory=list)
    keys: list[TslKey] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.short_name or self.name

    @property
    def status(self) -> str:
        """The status in force now (the latest period's status)."""
        return self.periods[-1].status if self.periods else ""

    def status_at(self, moment: datetime) -> str | None:
        """The status of the period covering ``moment`` (None: the list says nothing)."""
        return next((p.status for p in self.periods if p.covers(moment)), None)

    @property
    def active(self) -> bool:
        """Accredited now, read as the trust decision reads it: by the period covering now
        (a termination announced for a later date does not end it yet)."""
        return self.status_at(datetime.now(timezone.utc)) == ACTIVE

    @property
    def certificates(self) -> list[TslCertificate]:
        return [c for k in self.keys for c in k.certificates]

    @property
    def crl_urls(self) -> list[str]:
        seen: dict[str, None] = {}
        for key in self.keys:
            for url in key.crl_urls:
                seen.setdefault(url)
        return list(seen)


@dataclass
class TrustList:
    version: int
    date: datetime
    cas: list[TslCa]
    problems: list[str] = field(default_factory=list)

    @property
    def certificate_count(self) -> int:
        return sum(len(ca.certificates) for ca in self.cas)


def parse_time(value: str | None) -> datetime | None:
    """A date or date-time of the list; without a zone it is Moscow time."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y"):
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise TslError(f"дата «{text[:40]}» не распознана") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=MOSCOW)


def _text(element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None and child.text else ""


def _first_text(element, tags) -> str:
    for tag in tags:
        value = _text(element, tag)
        if value:
            return value
    return ""


def parse_tsl(source: bytes | BinaryIO, *, max_bytes: int = DEFAULT_MAX_BYTES) -> TrustList:
    """Read a list from bytes or a binary file; raises :class:`TslError` if it is unusable."""
    if isinstance(source, (bytes, bytearray)):
        if not source.strip():
            raise TslError("файл пуст")
        if len(source) > max_bytes:
            raise TslError(f"список больше {max_bytes // (1024 * 1024)} МБ")
        stream: BinaryIO = io.BytesIO(source)
    else:
        stream = _Limited(source, max_bytes)
    version: str | None = None
    date: str | None = None
    cas: list[TslCa] = []
    problems: list[str] = []
    parser = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    root = None
    try:
        for event, element in parser:
            if event == "start":
                depth += 1
                if depth == 1:
                    root = element
                    if element.getroottree().docinfo.doctype:
                        raise TslError("список содержит DOCTYPE — такие файлы не принимаются")
                    if element.tag != ROOT_TAG:
                        raise TslError(
                            f"корневой элемент «{_local(element.tag)}», а ожидался "
                            f"«{ROOT_TAG}»: это не список аккредитованных УЦ"
                        )
                continue
            depth -= 1
            if depth != 1:
                continue
            if element.tag == "Версия":
                version = (element.text or "").strip()
            elif element.tag == "Дата":
                date = (element.text or "").strip()
            elif element.tag == CA_TAG:
                try:
                    cas.append(_parse_ca(element, problems))
                except TslError as exc:
                    problems.append(f"УЦ №{len(cas) + 1}: {exc}")
            element.clear()
            if root is not None:  # drop finished children so memory stays flat
                while element.getprevious() is not None:
                    del root[0]
    except _TooLarge:
        raise TslError(f"список больше {max_bytes // (1024 * 1024)} МБ") from None
    except etree.XMLSyntaxError as exc:
        raise TslError(f"файл повреждён или это не XML ({exc.msg})") from None
    if root is None:
        raise TslError("файл пуст")
    if not version:
        raise TslError("в списке нет версии (элемент «Версия»)")
    try:
        number = int(version)
    except ValueError:
        raise TslError(f"версия списка «{version[:40]}» — не число") from None
    moment = parse_time(date)
    if moment is None:
        raise TslError("в списке нет даты (элемент «Дата»)")
    result = TrustList(number, moment, cas, problems)
    if not cas or result.certificate_count == 0:
        raise TslError("в списке нет ни одного удостоверяющего центра с сертификатом")
    return result


def _local(tag) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _parse_ca(element, problems: list[str]) -> TslCa:
    ca = TslCa(
        name=_text(element, "Название"),
        short_name=_text(element, "КраткоеНазвание"),
        inn=_text(element, "ИНН"),
        ogrn=_text(element, "ОГРН"),
    )
    if not ca.name and not ca.short_name:
        raise TslError("нет названия")
    ca.periods = _periods(element)
    for key_element in element.iterfind(
        "ПрограммноАппаратныеКомплексы/ПрограммноАппаратныйКомплекс/КлючиУполномоченныхЛиц/Ключ"
    ):
        key = TslKey(key_id=_text(key_element, "ИдентификаторКлюча").lower())
        for address in key_element.iterfind("АдресаСписковОтзыва/Адрес"):
            url = (address.text or "").strip()
            if url.lower().startswith(("http://", "https://")) and len(url) < 2000:
                key.crl_urls.append(url)
        for data in key_element.iterfind("Сертификаты/ДанныеСертификата"):
            try:
                key.certificates.append(_parse_certificate(data))
            except TslError as exc:
                problems.append(f"«{ca.title}»: {exc}")
        ca.keys.append(key)
    return ca


def _periods(element) -> list[Period]:
    """Accreditation periods in time order; each lasts until its end or the next one's start."""
    statuses = list(element.findall("СтатусАккредитации"))
    statuses += list(element.iterfind("ИсторияСтатусовАккредитации/СтатусАккредитации"))
    raw: dict[tuple, tuple[str, datetime | None, datetime | None]] = {}
    for item in statuses:
        status = _text(item, "Статус")
        if status not in STATUSES:
            raise TslError(f"неизвестный статус аккредитации «{status[:40]}»")
        start = parse_time(_first_text(item, START_TAGS))
        end = parse_time(_first_text(item, END_TAGS))
        raw[(status, start, end)] = (status, start, end)
    ordered = sorted(raw.values(), key=lambda p: p[1] or datetime.min.replace(tzinfo=timezone.utc))
    periods: list[Period] = []
    for position, (status, start, end) in enumerate(ordered):
        following = ordered[position + 1][1] if position + 1 < len(ordered) else None
        if following is not None and (end is None or end > following):
            end = following
        periods.append(Period(status, start, end))
    return periods


def _parse_certificate(element) -> TslCertificate:
    encoded = _text(element, "Данные")
    if not encoded:
        raise TslError("сертификат без данных")
    try:
        der = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise TslError("данные сертификата — не base64") from None
    try:
        cert = load_certificate(der)
    except MalformedCertificate as exc:
        raise TslError(f"сертификат не читается: {exc}") from None
    thumbprint = _text(element, "Отпечаток").replace(" ", "").upper()
    actual = hashlib.sha1(der).hexdigest().upper()
    if thumbprint and thumbprint != actual:
        raise TslError(f"отпечаток {thumbprint[:40]} не совпадает с данными сертификата ({actual})")
    return TslCertificate(
        cert,
        actual,
        _text(element, "КемВыдан"),
        _text(element, "КомуВыдан"),
        _text(element, "СерийныйНомер"),
        parse_time(_text(element, "ПериодДействияС") or None),
        parse_time(_text(element, "ПериодДействияДо") or None),
    )


class _TooLarge(Exception):
    pass


class _Limited(io.RawIOBase):
    """A read-only stream that fails once more than ``limit`` bytes were read."""

    def __init__(self, inner: BinaryIO, limit: int):
        self.inner, self.limit, self.count = inner, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.inner.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise _TooLarge()
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size if size is not None and size >= 0 else self.limit + 1)
        self.count += len(data)
        if self.count > self.limit:
            raise _TooLarge()
        return data
