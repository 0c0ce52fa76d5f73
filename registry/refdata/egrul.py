"""Importing ЕГРЮЛ/ЕГРИП XML extracts: streaming, idempotent, a newer extract wins.

Files, folders and zip archives are read one ``СвЮЛ``/``СвИП`` element at a time (lxml
``iterparse``, each element cleared after use), so millions of records need little memory.
Records are written in batches: an existing record is replaced only by an extract of the same
or a later date. A record that cannot be read is reported with its file and line, and the
import goes on.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

from lxml import etree
from sqlalchemy import bindparam, insert, select, update

from ..extensions import db, utcnow
from .identifiers import check_inn, check_ogrn, check_ogrnip
from .models import EgrulRecord

BATCH = 2000
RECORD_TAGS = ("СвЮЛ", "СвИП")


@dataclass
class ImportReport:
    files: int = 0
    read: int = 0
    inserted: int = 0
    updated: int = 0
    skipped_older: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"файлов: {self.files}, записей: {self.read}, добавлено: {self.inserted}, "
                f"обновлено: {self.updated}, пропущено устаревших: {self.skipped_older}, "
                f"ошибок: {len(self.errors)}")


class RecordError(ValueError):
    pass


def _d(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise RecordError(f"неверная дата «{value}»") from exc


def _address(el) -> str | None:
    if el is None:
        return None
    parts = [el.get("Индекс")]
    for tag, type_attr, name_attr in (("Регион", "ТипРегион", "НаимРегион"), ("Район", "ТипРайон", "НаимРайон"),
                                      ("Город", "ТипГород", "НаимГород"),
                                      ("НаселПункт", "ТипНаселПункт", "НаимНаселПункт"),
                                      ("Улица", "ТипУлица", "НаимУлица")):
        child = el.find(tag)
        if child is not None and child.get(name_attr):
            kind = child.get(type_attr)
            parts.append(f"{kind} {child.get(name_attr)}" if kind and tag != "Регион" else child.get(name_attr))
    for attr, label in (("Дом", "д."), ("Корпус", "корп."), ("Кварт", "кв.")):
        if el.get(attr):
            parts.append(f"{label} {el.get(attr)}")
    text = ", ".join(p for p in parts if p)
    return text or None


def _okved(el) -> dict:
    main = el.find("СвОКВЭД/СвОКВЭДОсн") if el is not None else None
    extra = el.findall("СвОКВЭД/СвОКВЭДДоп") if el is not None else []
    return {"main": main.get("КодОКВЭД") if main is not None else None,
            "additional": [e.get("КодОКВЭД") for e in extra if e.get("КодОКВЭД")]}


def parse_legal_entity(el) -> dict:
    """A record dict from one ``СвЮЛ`` element; RecordError if it lacks what a record needs."""
    ogrn = el.get("ОГРН")
    if check_ogrn(ogrn):
        raise RecordError(f"ОГРН «{ogrn or ''}»: {check_ogrn(ogrn)}")
    inn = el.get("ИНН")
    if inn and check_inn(inn, 10):
        raise RecordError(f"ИНН «{inn}»: {check_inn(inn, 10)}")
    names = el.find("СвНаимЮЛ")
    if names is None or not names.get("НаимЮЛПолн"):
        raise RecordError("нет полного наименования (СвНаимЮЛ/@НаимЮЛПолн)")
    short = names.find("СвНаимЮЛСокр")
    status = el.find("СвСтатус/СвСтатус")
    head, flags = None, {"unreliable_address": el.find("СвАдресЮЛ/СвНедАдресЮЛ") is not None,
                         "unreliable_head": False, "disqualified_head": False}
    person = el.find("СведДолжнФЛ")
    if person is not None:
        fl, post, first = person.find("СвФЛ"), person.find("СвДолжн"), person.find("ГРНДатаПерв")
        head = {"kind": "person",
                "surname": fl.get("Фамилия") if fl is not None else None,
                "given": fl.get("Имя") if fl is not None else None,
                "patronymic": fl.get("Отчество") if fl is not None else None,
                "inn": fl.get("ИННФЛ") if fl is not None else None,
                "title": post.get("НаимДолжн") if post is not None else None,
                "date": first.get("ДатаЗаписи") if first is not None else None}
        flags["unreliable_head"] = person.find("СвНедДанДолжнФЛ") is not None
        flags["disqualified_head"] = person.find("СвДискв") is not None
    else:
        manager = el.find("СвУпрОрг/НаимИННЮЛ")
        if manager is not None:
            head = {"kind": "legal_entity", "full_name": manager.get("НаимЮЛПолн"),
                    "inn": manager.get("ИНН"), "ogrn": manager.get("ОГРН"), "kpp": None}
    branches = []
    for tag, kind, acc in (("СвФилиал", "branch", "СвУчетНОФилиал"), ("СвПредстав", "representative", "СвУчетНОПредстав")):
        for b in el.findall(f"СвПодразд/{tag}"):
            name, account = b.find("СвНаим"), b.find(acc)
            branches.append({"kind": kind, "name": name.get("НаимПолн") if name is not None else None,
                             "kpp": account.get("КПП") if account is not None else None,
                             "address": _address(b.find("АдрМНРФ"))})
    liquidated = el.find("СвПрекрЮЛ") is not None
    return {
        "kind": "ul", "ogrn": ogrn, "inn": inn, "kpp": el.get("КПП"),
        "full_name": names.get("НаимЮЛПолн"), "short_name": short.get("НаимСокр") if short is not None else None,
        "opf": el.get("ПолнНаимОПФ"), "reg_date": _d(el.get("ДатаОГРН")),
        "address": _address(el.find("СвАдресЮЛ/АдресРФ")),
        "status": ("Ликвидировано" if liquidated else status.get("НаимСтатусЮЛ") if status is not None else None),
        "liquidated": liquidated, "head": head, "okved": _okved(el), "branches": branches, "flags": flags,
        "extract_date": _d(el.get("ДатаВып")),
    }


def parse_entrepreneur(el) -> dict:
    """A record dict from one ``СвИП`` element."""
    ogrnip = el.get("ОГРНИП")
    if check_ogrnip(ogrnip):
        raise RecordError(f"ОГРНИП «{ogrnip or ''}»: {check_ogrnip(ogrnip)}")
    inn = el.get("ИННФЛ")
    if inn and check_inn(inn, 12):
        raise RecordError(f"ИНН «{inn}»: {check_inn(inn, 12)}")
    fio = el.find("СвФЛ/ФИОРус")
    if fio is None or not fio.get("Фамилия"):
        raise RecordError("нет ФИО предпринимателя (СвФЛ/ФИОРус)")
    person = {"kind": "person", "surname": fio.get("Фамилия"), "given": fio.get("Имя"),
              "patronymic": fio.get("Отчество"), "inn": inn, "title": "Индивидуальный предприниматель",
              "date": el.get("ДатаОГРНИП")}
    full = " ".join(p for p in (fio.get("Фамилия"), fio.get("Имя"), fio.get("Отчество")) if p)
    status = el.find("СвСтатус/СвСтатус")
    liquidated = el.find("СвПрекрИП") is not None
    return {
        "kind": "ip", "ogrn": ogrnip, "inn": inn, "kpp": None,
        "full_name": f"Индивидуальный предприниматель {full}", "short_name": f"ИП {full}",
        "opf": "Индивидуальный предприниматель", "reg_date": _d(el.get("ДатаОГРНИП")), "address": None,
        "status": "Прекратил деятельность" if liquidated else (status.get("НаимСтатус") if status is not None else None),
        "liquidated": liquidated, "head": person, "okved": _okved(el), "branches": [],
        "flags": {"unreliable_address": False, "unreliable_head": False, "disqualified_head": False},
        "extract_date": _d(el.get("ДатаВып")),
    }


def _sources(paths) -> Iterator[tuple[str, Callable[[], IO[bytes]]]]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in (".xml", ".zip"):
                    yield from _sources([child])
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in sorted(archive.namelist()):
                    if name.lower().endswith(".xml"):
                        yield f"{path}!{name}", lambda a=archive, n=name: a.open(n)
        else:
            yield str(path), lambda p=path: open(p, "rb")


def iter_records(paths, report: ImportReport) -> Iterator[tuple[dict, str]]:
    """(record, source) for every readable record; problems go to ``report.errors``."""
    for name, opener in _sources(paths):
        report.files += 1
        try:
            with opener() as stream:
                context = etree.iterparse(stream, events=("end",), tag=RECORD_TAGS, huge_tree=True,
                                          recover=False)
                for _event, el in context:
                    report.read += 1
                    line = el.sourceline
                    try:
                        record = parse_legal_entity(el) if el.tag == "СвЮЛ" else parse_entrepreneur(el)
                        if record["extract_date"] is None:
                            raise RecordError("нет даты выписки (@ДатаВып)")
                        yield record, name
                    except RecordError as exc:
                        report.errors.append(f"{name}, строка {line}: {exc}")
                    finally:
                        el.clear(keep_tail=False)
                        parent = el.getparent()
                        while parent is not None and el.getprevious() is not None:
                            del parent[0]
        except etree.XMLSyntaxError as exc:
            report.errors.append(f"{name}, строка {exc.lineno}: файл повреждён ({exc.msg}); "
                                 f"записи до этого места импортированы")
        except (OSError, zipfile.BadZipFile) as exc:
            report.errors.append(f"{name}: не удалось прочитать ({exc})")


def import_egrul(paths, *, echo: Callable[[str], None] | None = None) -> ImportReport:
    """Import extracts into ``egrul_records``; flushes, the caller commits."""
    report = ImportReport()
    batch: dict[str, dict] = {}

    def flush() -> None:
        if not batch:
            return
        existing = dict(db.session.execute(
            select(EgrulRecord.ogrn, EgrulRecord.extract_date).where(EgrulRecord.ogrn.in_(list(batch)))).all())
        rows_new, rows_update = [], []
        for ogrn, row in batch.items():
            if ogrn not in existing:
                rows_new.append(row)
            elif row["extract_date"] >= existing[ogrn]:
                rows_update.append({"b_ogrn": ogrn, **{f"v_{k}": v for k, v in row.items() if k != "ogrn"}})
            else:
                report.skipped_older += 1
        if rows_new:
            db.session.execute(insert(EgrulRecord), rows_new)
        if rows_update:
            columns = {k[2:]: bindparam(k) for k in rows_update[0] if k.startswith("v_")}
            db.session.connection().execute(
                update(EgrulRecord.__table__).where(EgrulRecord.__table__.c.ogrn == bindparam("b_ogrn"))
                .values(columns), rows_update)
        report.inserted += len(rows_new)
        report.updated += len(rows_update)
        batch.clear()
        if echo:
            echo(f"  … {report.read} записей")

    now = utcnow()
    for record, source in iter_records(paths, report):
        row = {**record, "source_file": source, "imported_at": now}
        previous = batch.get(row["ogrn"])
        if previous is None or row["extract_date"] >= previous["extract_date"]:
            if previous is not None:
                report.skipped_older += 1
            batch[row["ogrn"]] = row
        else:
            report.skipped_older += 1
        if len(batch) >= BATCH:
            flush()
    flush()
    db.session.flush()
    return report
