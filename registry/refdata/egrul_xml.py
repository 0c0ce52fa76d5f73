"""Writing ЕГРЮЛ/ЕГРИП extracts in the tax service's XML format (demo data, tests, benchmarks).

The layout follows the open extract (``Файл``/``Документ``/``СвЮЛ`` or ``СвИП``, windows-1251)
and ``egrul.xsd``: names in ``СвНаимЮЛ``, the address in ``СвАдресЮЛ/АдресРФ``, the head in
``СведДолжнФЛ`` (``СвФЛ`` + ``СвДолжн``) or ``СвУпрОрг``, codes in ``СвОКВЭД``, branches in
``СвПодразд``. Only made-up organizations are written; their identifiers have valid checksums.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path

from ..identifiers import make_inn, make_ogrn

ENCODING = "windows-1251"


_SPECIAL = re.compile(r'[&<>"\n\r\t]')
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                          "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _attrs(values: dict) -> str:
    out = []
    for k, v in values.items():
        if v is None or v == "":
            continue
        v = str(v)
        if _SPECIAL.search(v):
            v = v.translate(_ESCAPES)
        out.append(f' {k}="{v}"')
    return "".join(out)


def _date(value) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def _address(tag: str, a: dict | None) -> str:
    if not a:
        return ""
    inner = ""
    if a.get("region"):
        inner += f"<Регион{_attrs({'ТипРегион': a.get('region_type', 'г'), 'НаимРегион': a['region']})}/>"
    if a.get("city"):
        inner += f"<Город{_attrs({'ТипГород': 'г', 'НаимГород': a['city']})}/>"
    if a.get("street"):
        inner += f"<Улица{_attrs({'ТипУлица': a.get('street_type', 'ул'), 'НаимУлица': a['street']})}/>"
    attrs = {"Индекс": a.get("index"), "КодРегион": a.get("region_code", "77"),
             "Дом": a.get("house"), "Корпус": a.get("building"), "Кварт": a.get("flat")}
    return f"<{tag}{_attrs(attrs)}>{inner}</{tag}>"


def _person(p: dict) -> str:
    return _attrs({"Фамилия": p.get("surname"), "Имя": p.get("given"), "Отчество": p.get("patronymic"),
                   "ИННФЛ": p.get("inn")})


def _okved(okved: dict | None, names: dict[str, str] | None = None) -> str:
    if not okved:
        return ""
    names = names or {}
    parts = []
    if okved.get("main"):
        parts.append(f"<СвОКВЭДОсн{_attrs({'КодОКВЭД': okved['main'], 'НаимОКВЭД': names.get(okved['main'], ''), 'ПрВерсОКВЭД': '2014'})}/>")
    for code in okved.get("additional", []):
        parts.append(f"<СвОКВЭДДоп{_attrs({'КодОКВЭД': code, 'НаимОКВЭД': names.get(code, ''), 'ПрВерсОКВЭД': '2014'})}/>")
    return f"<СвОКВЭД>{''.join(parts)}</СвОКВЭД>"


def legal_entity_xml(r: dict) -> str:
    """One ``СвЮЛ`` element for a record dict (see :func:`synthetic_records`)."""
    head = r.get("head") or {}
    flags = r.get("flags") or {}
    grn = f"<ГРНДата{_attrs({'ГРН': r['ogrn'], 'ДатаЗаписи': _date(r.get('reg_date'))})}/>"
    parts = [f"<СвНаимЮЛ{_attrs({'НаимЮЛПолн': r['full_name']})}>{grn}"
             + (f"<СвНаимЮЛСокр{_attrs({'НаимСокр': r['short_name']})}/>" if r.get("short_name") else "")
             + "</СвНаимЮЛ>"]
    address = _address("АдресРФ", r.get("address"))
    if flags.get("unreliable_address"):
        address += f"<СвНедАдресЮЛ{_attrs({'ПризнНедАдресЮЛ': '1', 'ТекстНедАдресЮЛ': 'сведения недостоверны'})}/>"
    parts.append(f"<СвАдресЮЛ>{address}</СвАдресЮЛ>")
    if r.get("status"):
        parts.append(f"<СвСтатус><СвСтатус{_attrs({'КодСтатусЮЛ': r.get('status_code'), 'НаимСтатусЮЛ': r['status']})}/></СвСтатус>")
    if r.get("liquidated"):
        parts.append(f"<СвПрекрЮЛ{_attrs({'ДатаПрекрЮЛ': _date(r.get('liquidated_on')) or '2020-01-01'})}>"
                     f"<СпПрекрЮЛ{_attrs({'КодСпПрекрЮЛ': '201', 'НаимСпПрекрЮЛ': 'Прекращение деятельности юридического лица в связи с ликвидацией'})}/></СвПрекрЮЛ>")
    if head.get("kind") == "legal_entity":
        parts.append(f"<СвУпрОрг><НаимИННЮЛ{_attrs({'ОГРН': head.get('ogrn'), 'ИНН': head.get('inn'), 'НаимЮЛПолн': head.get('full_name')})}/></СвУпрОрг>")
    elif head:
        extra = ""
        if flags.get("unreliable_head"):
            extra += f"<СвНедДанДолжнФЛ{_attrs({'ПризнНедДанДолжнФЛ': '1', 'ТекстНедДанДолжнФЛ': 'сведения недостоверны'})}/>"
        if flags.get("disqualified_head"):
            extra += f"<СвДискв{_attrs({'ДатаНачДискв': '2024-01-01', 'ДатаОкончДискв': '2027-01-01'})}/>"
        parts.append(f"<СведДолжнФЛ><ГРНДатаПерв{_attrs({'ГРН': r['ogrn'], 'ДатаЗаписи': _date(head.get('date'))})}/>"
                     f"<СвФЛ{_person(head)}/><СвДолжн{_attrs({'ВидДолжн': '02', 'НаимВидДолжн': 'Руководитель юридического лица', 'НаимДолжн': head.get('title') or 'Генеральный директор'})}/>"
                     f"{extra}</СведДолжнФЛ>")
    parts.append(_okved(r.get("okved"), r.get("okved_names")))
    branches = []
    for b in r.get("branches") or []:
        tag, acc = ("СвФилиал", "СвУчетНОФилиал") if b.get("kind") != "representative" else ("СвПредстав", "СвУчетНОПредстав")
        branches.append(f"<{tag}><СвНаим{_attrs({'НаимПолн': b['name']})}/>{_address('АдрМНРФ', b.get('address'))}"
                        f"<{acc}{_attrs({'КПП': b.get('kpp')})}/></{tag}>")
    if branches:
        parts.append(f"<СвПодразд>{''.join(branches)}</СвПодразд>")
    attrs = {"ДатаВып": _date(r["extract_date"]), "ОГРН": r["ogrn"], "ДатаОГРН": _date(r.get("reg_date")),
             "ИНН": r.get("inn"), "КПП": r.get("kpp"), "КодОПФ": r.get("opf_code", "12300"),
             "ПолнНаимОПФ": r.get("opf")}
    return f"<СвЮЛ{_attrs(attrs)}>{''.join(parts)}</СвЮЛ>"


def entrepreneur_xml(r: dict) -> str:
    """One ``СвИП`` element."""
    head = r.get("head") or {}
    parts = [f"<СвФЛ><ФИОРус{_person(head)}/></СвФЛ>"]
    if r.get("status"):
        parts.append(f"<СвСтатус><СвСтатус{_attrs({'КодСтатус': '201', 'НаимСтатус': r['status']})}/></СвСтатус>")
    if r.get("liquidated"):
        parts.append(f"<СвПрекращ><СвСтатус{_attrs({'КодСтатус': '201', 'НаимСтатус': 'Прекращение деятельности индивидуального предпринимателя в связи с принятием им соответствующего решения', 'ДатаПрекращ': _date(r.get('liquidated_on')) or '2020-01-01'})}/></СвПрекращ>")
    parts.append(_okved(r.get("okved"), r.get("okved_names")))
    attrs = {"ДатаВып": _date(r["extract_date"]), "ОГРНИП": r["ogrn"], "ДатаОГРНИП": _date(r.get("reg_date")),
             "ИННФЛ": r.get("inn"), "КодВидИП": "1", "НаимВидИП": "Индивидуальный предприниматель"}
    return f"<СвИП{_attrs(attrs)}>{''.join(parts)}</СвИП>"


def write_extract(path: str | Path, records: Iterable[dict], *, file_id: str = "demo") -> int:
    """Write records as one extract file (``Файл``/``Документ``); returns how many."""
    count = 0
    with open(path, "w", encoding=ENCODING, errors="xmlcharrefreplace", newline="\r\n") as out:
        out.write(f'<?xml version="1.0" encoding="{ENCODING}"?>\n')
        out.write(f"<Файл{_attrs({'ИдФайл': file_id, 'ВерсФорм': '4.06', 'ТипИнф': 'ЕГРЮЛ_ОТКР_СВЕД', 'КолДок': ''})}>\n")
        for r in records:
            count += 1
            body = entrepreneur_xml(r) if r["kind"] == "ip" else legal_entity_xml(r)
            out.write(f"<Документ{_attrs({'ИдДок': f'{file_id}-{count}'})}>{body}</Документ>\n")
        out.write("</Файл>\n")
    return count


_STREETS = ["Тверская", "Ленина", "Мира", "Садовая", "Лесная", "Школьная", "Новая", "Полевая", "Ёлочная"]
_WORDS = ["РОМАШКА", "ВЕКТОР", "ГОРИЗОНТ", "АЛМАЗ", "ЗОЛОТО", "СЕВЕР", "ЮВЕЛИР", "ЛИГА", "ТЕХНО", "ОРИОН"]
_SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Фёдоров"]
_OKVED = ["32.12", "46.48", "47.77", "24.41", "46.72", "62.01", "70.22", "68.20", "47.19", "25.99"]


def synthetic_records(count: int, *, seed: int = 1, start: int = 0,
                      extract_date: date = date(2026, 1, 15)) -> Iterator[dict]:
    """Made-up legal entities with valid ОГРН/ИНН/КПП, numbered from ``start`` (benchmarks)."""
    rng = random.Random(seed)
    for n in range(start, start + count):
        word = f"{rng.choice(_WORDS)}-{n}"
        ogrn = make_ogrn(f"1{27 + n % 60:02d}{77}{n % 10**7:07d}"[:12].ljust(12, "0"))
        inn = make_inn(f"77{n % 10**7:07d}")
        yield {
            "kind": "ul", "ogrn": ogrn, "inn": inn, "kpp": f"77{n % 100:02d}01001",
            "full_name": f"ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «{word}»",
            "short_name": f"ООО «{word}»", "opf": "Общество с ограниченной ответственностью",
            "reg_date": date(2000, 1, 1) + timedelta(days=n % 9000), "status": None,
            "address": {"index": f"1{n % 100000:05d}", "region": "Москва", "street": rng.choice(_STREETS),
                        "house": str(1 + n % 200)},
            "head": {"kind": "person", "surname": rng.choice(_SURNAMES), "given": "Иван",
                     "patronymic": "Петрович", "inn": make_inn(f"77{(n * 7) % 10**8:08d}"),
                     "title": "Генеральный директор", "date": "2015-03-01"},
            "okved": {"main": rng.choice(_OKVED), "additional": [rng.choice(_OKVED)]},
            "branches": [], "flags": {}, "extract_date": extract_date,
        }
