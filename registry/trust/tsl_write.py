"""Lists in the format of Минцифры's TSL.xml, written: the demo's signed list and test fixtures.

    tsl_xml(version, date, cas) -> bytes                  # unsigned
    signed_tsl_xml(version, date, cas, key, cert_der)     # with an enveloped GOST XMLDSig
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

from ..pki import load_certificate
from ..pki.gost import GostPrivateKey
from ..pki.xmldsig import sign_enveloped
from .tsl import MOSCOW


@dataclass
class ListedCa:
    name: str
    short_name: str
    inn: str
    ogrn: str
    certificates: list[bytes]  # DER
    crl_urls: list[str] = field(default_factory=list)
    statuses: list[tuple[str, datetime, datetime | None]] = field(default_factory=list)


def _iso(moment: datetime) -> str:
    return moment.astimezone(MOSCOW).isoformat(timespec="seconds")


def _status(status: str, start: datetime, end: datetime | None) -> str:
    text = f"<СтатусАккредитации><Статус>{status}</Статус><ДействуетС>{_iso(start)}</ДействуетС>"
    if end is not None:
        text += f"<ДействуетПо>{_iso(end)}</ДействуетПо>"
    return text + "</СтатусАккредитации>"


def tsl_xml(version: int, date: datetime, cas: list[ListedCa]) -> bytes:
    """An unsigned list in the format of Минцифры's TSL.xml."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<АккредитованныеУдостоверяющиеЦентры>",
        f"<Версия>{version}</Версия>",
        f"<Дата>{_iso(date)}</Дата>",
    ]
    for ca in cas:
        out += [
            "<УдостоверяющийЦентр>",
            f"<Название>{escape(ca.name)}</Название>",
            "<ЭлектроннаяПочта>ca@example.ru</ЭлектроннаяПочта>",
            f"<КраткоеНазвание>{escape(ca.short_name)}</КраткоеНазвание>",
            f"<ИНН>{ca.inn}</ИНН>",
            f"<ОГРН>{ca.ogrn}</ОГРН>",
            "<ПрограммноАппаратныеКомплексы><ПрограммноАппаратныйКомплекс>",
            "<Псевдоним>ПАК 1</Псевдоним><КлючиУполномоченныхЛиц>",
        ]
        for der in ca.certificates:
            cert = load_certificate(der)
            out += [
                "<Ключ>",
                "<ИдентификаторКлюча>"
                f"{(cert.asn1.key_identifier or b'').hex()}</ИдентификаторКлюча>",
                "<АдресаСписковОтзыва>",
            ]
            out += [f"<Адрес>{escape(url)}</Адрес>" for url in ca.crl_urls]
            out += [
                "</АдресаСписковОтзыва><Сертификаты><ДанныеСертификата>",
                f"<Отпечаток>{hashlib.sha1(der).hexdigest().upper()}</Отпечаток>",
                f"<КемВыдан>{escape(cert.issuer)}</КемВыдан>",
                f"<КомуВыдан>{escape(cert.subject)}</КомуВыдан>",
                f"<СерийныйНомер>{cert.serial}</СерийныйНомер>",
                f"<ПериодДействияС>{_iso(cert.not_before)}</ПериодДействияС>",
                f"<ПериодДействияДо>{_iso(cert.not_after)}</ПериодДействияДо>",
                f"<Данные>{base64.b64encode(der).decode()}</Данные>",
                "</ДанныеСертификата></Сертификаты></Ключ>",
            ]
        out += [
            "</КлючиУполномоченныхЛиц></ПрограммноАппаратныйКомплекс></ПрограммноАппаратныеКомплексы>"
        ]
        statuses = ca.statuses or [("Действует", datetime(2020, 1, 1, tzinfo=MOSCOW), None)]
        current, history = statuses[-1], statuses[:-1]
        out.append(_status(*current))
        if history:
            out.append("<ИсторияСтатусовАккредитации>")
            out += [_status(*s) for s in history]
            out.append("</ИсторияСтатусовАккредитации>")
        out.append("</УдостоверяющийЦентр>")
    out.append("</АккредитованныеУдостоверяющиеЦентры>")
    return "\n".join(out).encode("utf-8")


def signed_tsl_xml(version: int, date: datetime, cas: list[ListedCa], key: GostPrivateKey,
                   certificate_der: bytes) -> bytes:
    """The list signed as Минцифры signs it (enveloped XMLDSig, GOST R 34.10-2012)."""
    return sign_enveloped(tsl_xml(version, date, cas), key, certificate_der)
