"""Importing ЕГРЮЛ/ЕГРИП XML extracts: streaming, idempotent, a newer extract wins.

Files, folders and zip archives are read one ``СвЮЛ``/``СвИП`` element at a time (lxml
``iterparse``; each element, and everything read before it, is freed after use), so millions
of records need little memory. Records are written in batches: an existing record is replaced
only by an extract of a later date, or of the same date when its content differs (so importing
the same file again changes nothing). A record that cannot be read is reported with its file
and line, and the import goes on.

Writing goes straight to the database driver (``executemany``, which psycopg pipelines): the
per-row work of the ORM would cost more than parsing the XML.
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
import traceback
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timezone
from pathlib import Path
from typing import IO, Any

from flask import Flask, current_app
from lxml import etree
from sqlalchemy import ARRAY, String, any_, bindparam, select

from ..extensions import db, utcnow
from ..identifiers import check_inn, check_ogrn, check_ogrnip
from .models import EgrulRecord

BATCH = 5000
CHUNK = 500  # records per message from the parser process
# Inputs at least this large (bytes) are parsed by a child process when there is a second CPU.
PARALLEL_MIN_BYTES = 32 * 1024 * 1024
PROGRESS_EVERY = 100_000
RECORD_TAGS = ("СвЮЛ", "СвИП")

# Columns written by the import, in the order of the INSERT statement.
COLUMNS = ("kind", "ogrn", "inn", "kpp", "full_name", "short_name", "opf", "reg_date", "address",
           "status", "status_code", "liquidated", "head", "okved", "branches", "flags", "extract_date",
           "source_file", "imported_at")
# What a record says; two records with the same values here are the same record.
CONTENT = COLUMNS[:17]
_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json(value) -> str | None:
    """JSON text of a column value; the frequent empty and all-false values come from a cache."""
    if value is None:
        return None
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    if isinstance(value, dict) and len(value) == 3 and "unreliable_address" in value:
        text = _FLAGS_JSON.get((value.get("unreliable_address"), value.get("unreliable_head"),
                                value.get("disqualified_head")))
        if text is not None:
            return text
    return _to_json(value)


_FLAGS_JSON = {(a, h, d): _to_json({"unreliable_address": a, "unreliable_head": h, "disqualified_head": d})
               for a in (False, True) for h in (False, True) for d in (False, True)}


@dataclass
class ImportReport:
    files: int = 0
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_older: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"файлов: {self.files}, записей: {self.read}, добавлено: {self.inserted}, "
                f"обновлено: {self.updated}, без изменений: {self.unchanged}, "
                f"пропущено устаревших: {self.skipped_older}, ошибок: {len(self.errors)}")


class RecordError(ValueError):
    pass


def _d(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise RecordError(f"неверная дата «{value}»") from exc


def _children(el) -> dict:
    """The first child element of each tag (the documented order of ``egrul.xsd`` is kept)."""
    found: dict = {}
    for child in el:
        found.setdefault(child.tag, child)
    return found


_ADDRESS_PARTS = {"Регион": ("ТипРегион", "НаимРегион"), "Район": ("ТипРайон", "НаимРайон"),
                  "Город": ("ТипГород", "НаимГород"), "НаселПункт": ("ТипНаселПункт", "НаимНаселПункт"),
                  "Улица": ("ТипУлица", "НаимУлица")}


def _address(el) -> str | None:
    """An address of type ``АдрРФЕГРЮЛТип`` as one line: index, region, …, house, flat."""
    if el is None:
        return None
    get = el.get
    parts = [get("Индекс")]
    for child in el:
        names = _ADDRESS_PARTS.get(child.tag)
        if names is None:
            continue
        name = child.get(names[1])
        if name:
            kind = child.get(names[0])
            parts.append(f"{kind} {name}" if kind and child.tag != "Регион" else name)
    for attr, label in (("Дом", "д."), ("Корпус", "корп."), ("Кварт", "кв.")):
        value = get(attr)
        if value:
            parts.append(f"{label} {value}")
    text = ", ".join(p for p in parts if p)
    return text or None


def _foreign_address(el) -> str | None:
    if el is None:
        return None
    return ", ".join(p for p in (el.get("НаимСтран"), el.get("АдрИн")) if p) or None


def _okved(el) -> dict:
    main, additional = None, []
    if el is not None:
        for child in el:
            tag = child.tag
            if tag == "СвОКВЭДДоп":
                code = child.get("КодОКВЭД")
                if code:
                    additional.append(code)
            elif tag == "СвОКВЭДОсн" and main is None:
                main = child.get("КодОКВЭД")
    return {"main": main, "additional": additional}


def _branches(el) -> list[dict]:
    branches = []
    if el is None:
        return branches
    for b in el:
        kind = {"СвФилиал": "branch", "СвПредстав": "representative"}.get(b.tag)
        if kind is None:
            continue
        parts = _children(b)
        name = parts.get("СвНаим")
        account = parts.get("СвУчетНОФилиал" if kind == "branch" else "СвУчетНОПредстав")
        branches.append({"kind": kind, "name": name.get("НаимПолн") if name is not None else None,
                         "kpp": account.get("КПП") if account is not None else None,
                         "address": _address(parts.get("АдрМНРФ")) or _foreign_address(parts.get("АдрМНИн"))})
    return branches


def parse_legal_entity(el) -> dict:
    """A record dict from one ``СвЮЛ`` element; RecordError if it lacks what a record needs."""
    get = el.get
    ogrn = get("ОГРН")
    problem = check_ogrn(ogrn)
    if problem:
        raise RecordError(f"ОГРН «{ogrn or ''}»: {problem}")
    parts = _children(el)
    account = parts.get("СвУчетНО")
    inn = get("ИНН") or (account.get("ИНН") if account is not None else None)
    if inn:
        problem = check_inn(inn, 10)
        if problem:
            raise RecordError(f"ИНН «{inn}»: {problem}")
    kpp = get("КПП") or (account.get("КПП") if account is not None else None)
    names = parts.get("СвНаимЮЛ")
    if names is None or not names.get("НаимЮЛПолн"):
        raise RecordError("нет полного наименования (СвНаимЮЛ/@НаимЮЛПолн)")
    # Short name: an attribute in egrul.xsd, an element in the later formats of the extract.
    short_name = names.get("НаимЮЛСокр")
    if not short_name:
        short = names.find("СвНаимЮЛСокр")
        short_name = short.get("НаимСокр") if short is not None else None
    address_parts = _children(parts["СвАдресЮЛ"]) if "СвАдресЮЛ" in parts else {}
    flags = {"unreliable_address": "СвНедАдресЮЛ" in address_parts,
             "unreliable_head": False, "disqualified_head": False}
    head = None
    person, manager = parts.get("СведДолжнФЛ"), parts.get("СвУпрОрг")
    if person is not None:
        p = _children(person)
        fl, post, first = p.get("СвФЛ"), p.get("СвДолжн"), p.get("ГРНДатаПерв")
        head = {"kind": "person",
                "surname": fl.get("Фамилия") if fl is not None else None,
                "given": fl.get("Имя") if fl is not None else None,
                "patronymic": fl.get("Отчество") if fl is not None else None,
                "inn": fl.get("ИННФЛ") if fl is not None else None,
                "title": post.get("НаимДолжн") if post is not None else None,
                "date": first.get("ДатаЗаписи") if first is not None else None}
        flags["unreliable_head"] = "СвНедДанДолжнФЛ" in p
        flags["disqualified_head"] = "СвДискв" in p
    elif manager is not None:
        m = _children(manager)
        org = m.get("НаимИННЮЛ")
        if org is not None:
            head = {"kind": "legal_entity", "full_name": org.get("НаимЮЛПолн"),
                    "inn": org.get("ИНН"), "ogrn": org.get("ОГРН"), "kpp": None}
        flags["unreliable_head"] = "СвНедДанУпрОрг" in m
    liquidated = "СвПрекрЮЛ" in parts
    status = parts.get("СвСтатус")
    status = status.find("СвСтатус") if status is not None else None
    return {
        "kind": "ul", "ogrn": ogrn, "inn": inn, "kpp": kpp,
        "full_name": names.get("НаимЮЛПолн"), "short_name": short_name,
        "opf": get("ПолнНаимОПФ"), "reg_date": _d(get("ДатаОГРН")),
        "address": _address(address_parts.get("АдресРФ")),
        "status": ("Ликвидировано" if liquidated else status.get("НаимСтатусЮЛ") if status is not None else None),
        "status_code": status.get("КодСтатусЮЛ") if status is not None else None,
        "liquidated": liquidated, "head": head, "okved": _okved(parts.get("СвОКВЭД")),
        "branches": _branches(parts.get("СвПодразд")), "flags": flags,
        "extract_date": _d(get("ДатаВып")),
    }


def parse_entrepreneur(el) -> dict:
    """A record dict from one ``СвИП`` element."""
    get = el.get
    ogrnip = get("ОГРНИП")
    problem = check_ogrnip(ogrnip)
    if problem:
        raise RecordError(f"ОГРНИП «{ogrnip or ''}»: {problem}")
    inn = get("ИННФЛ")
    if inn:
        problem = check_inn(inn, 12)
        if problem:
            raise RecordError(f"ИНН «{inn}»: {problem}")
    parts = _children(el)
    fio = parts["СвФЛ"].find("ФИОРус") if "СвФЛ" in parts else None
    if fio is None or not fio.get("Фамилия"):
        raise RecordError("нет ФИО предпринимателя (СвФЛ/ФИОРус)")
    person = {"kind": "person", "surname": fio.get("Фамилия"), "given": fio.get("Имя"),
              "patronymic": fio.get("Отчество"), "inn": inn, "title": "Индивидуальный предприниматель",
              "date": get("ДатаОГРНИП")}
    full = " ".join(p for p in (fio.get("Фамилия"), fio.get("Имя"), fio.get("Отчество")) if p)
    status = parts.get("СвСтатус")
    status = status.find("СвСтатус") if status is not None else None
    # ``СвПрекращ`` in the ЕГРИП extract (``СвПрекрИП`` accepted as well).
    liquidated = "СвПрекращ" in parts or "СвПрекрИП" in parts
    return {
        "kind": "ip", "ogrn": ogrnip, "inn": inn, "kpp": None,
        "full_name": f"Индивидуальный предприниматель {full}", "short_name": f"ИП {full}",
        "opf": get("НаимВидИП") or "Индивидуальный предприниматель", "reg_date": _d(get("ДатаОГРНИП")),
        "address": None,
        "status": "Прекратил деятельность" if liquidated
        else (status.get("НаимСтатус") if status is not None else None),
        "status_code": status.get("КодСтатус") if status is not None else None,
        "liquidated": liquidated, "head": person, "okved": _okved(parts.get("СвОКВЭД")), "branches": [],
        "flags": {"unreliable_address": False, "unreliable_head": False, "disqualified_head": False},
        "extract_date": _d(get("ДатаВып")),
    }


def _broken(exc: Exception):
    def opener():
        raise exc
    return opener


def _sources(paths) -> Iterator[tuple[str, Callable[[], IO[bytes]]]]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in (".xml", ".zip"):
                    yield from _sources([child])
        elif path.suffix.lower() == ".zip":
            try:
                archive = zipfile.ZipFile(path)
            except (OSError, zipfile.BadZipFile) as exc:
                yield str(path), _broken(exc)
                continue
            with archive:
                for name in sorted(archive.namelist()):
                    if name.lower().endswith(".xml"):
                        yield f"{path}!{name}", lambda a=archive, n=name: a.open(n)
        else:
            yield str(path), lambda p=path: open(p, "rb")


def _release(el) -> None:
    """Free ``el`` and everything parsed before it (the tree iterparse builds only grows)."""
    el.clear(keep_tail=False)
    node = el
    while True:
        parent = node.getparent()
        if parent is None:
            return
        while node.getprevious() is not None:
            del parent[0]
        node = parent


def iter_records(paths, report: ImportReport) -> Iterator[tuple[dict, str]]:
    """(record, source) for every readable record; problems go to ``report.errors``."""
    for name, opener in _sources(paths):
        report.files += 1
        try:
            with opener() as stream:
                context = etree.iterparse(stream, events=("end",), tag=RECORD_TAGS, huge_tree=True,
                                          recover=False, remove_comments=True)
                for _event, el in context:
                    report.read += 1
                    try:
                        record = parse_legal_entity(el) if el.tag == "СвЮЛ" else parse_entrepreneur(el)
                        if record["extract_date"] is None:
                            raise RecordError("нет даты выписки (@ДатаВып)")
                    except RecordError as exc:
                        report.errors.append(f"{name}, строка {el.sourceline}: {exc}")
                    else:
                        yield record, name
                    finally:
                        _release(el)
        except etree.XMLSyntaxError as exc:
            report.errors.append(f"{name}, строка {exc.lineno}: файл повреждён ({exc.msg}); "
                                 f"записи до этого места импортированы")
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            report.errors.append(f"{name}: не удалось прочитать ({exc})")


# -- rows: what is written ---------------------------------------------------------------------
# A row is a record as the database receives it, in CONTENT order: JSON columns as JSON text,
# dates as ISO strings (which compare like the dates). Rows are cheap to pass between processes
# and to compare with what is stored.
_OGRN, _EXTRACT_DATE = CONTENT.index("ogrn"), CONTENT.index("extract_date")
# What an import reports of registered organizations' records (see ``watch_registered``).
WATCHED = ("head", "status", "status_code", "liquidated", "extract_date")


def to_row(r: dict) -> tuple:
    reg_date = r["reg_date"]
    return (r["kind"], r["ogrn"], r["inn"], r["kpp"], r["full_name"], r["short_name"], r["opf"],
            reg_date.isoformat() if reg_date is not None else None, r["address"], r["status"],
            r.get("status_code"), bool(r["liquidated"]), _json(r["head"]), _json(r["okved"]), _json(r["branches"]),
            _json(r["flags"]), r["extract_date"].isoformat())


def _iter_rows(paths, report: ImportReport) -> Iterator[tuple[tuple, str]]:
    for record, source in iter_records(paths, report):
        yield to_row(record), source


def _input_size(paths) -> int:
    total = 0
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                total += sum(p.stat().st_size for p in path.rglob("*")
                             if p.suffix.lower() in (".xml", ".zip") and p.is_file())
            elif path.is_file():
                total += path.stat().st_size
        except OSError:
            pass
    return total


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


_CHILD_ENTRY = "from registry.refdata.egrul import _parse_child; _parse_child()"


def _parse_child() -> None:
    """The parser process: paths as JSON on stdin; pickled messages on stdout.

    Messages are ``(kind, payload, records read so far)``: ``("rows", [(row, source), …])``
    chunks, then ``("done", ImportReport)`` or ``("failed", traceback text)``.
    """
    out = os.fdopen(os.dup(1), "wb", buffering=1 << 20)
    os.dup2(2, 1)  # anything printed by accident goes to stderr, not into the data
    report = ImportReport()
    try:
        paths = json.load(sys.stdin)
        chunk: list[tuple[tuple, str]] = []
        for item in _iter_rows(paths, report):
            chunk.append(item)
            if len(chunk) >= CHUNK:
                pickle.dump(("rows", chunk, report.read), out, pickle.HIGHEST_PROTOCOL)
                chunk = []
        if chunk:
            pickle.dump(("rows", chunk, report.read), out, pickle.HIGHEST_PROTOCOL)
        pickle.dump(("done", report, report.read), out, pickle.HIGHEST_PROTOCOL)
    except BaseException:  # handed to the importing process, which raises it
        pickle.dump(("failed", traceback.format_exc(), report.read), out, pickle.HIGHEST_PROTOCOL)
    finally:
        out.close()


def _rows_from_process(paths, report: ImportReport) -> Iterator[tuple[tuple, str]]:
    """Like :func:`_iter_rows`, with the parsing done by a child process.

    Parsing is most of an import's CPU time; in a process of its own it runs beside the database
    work instead of taking turns with it under the GIL. The child is a fresh interpreter
    (``python -c``): it inherits no database connection, thread or lock of this process.
    """
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen([sys.executable, "-c", _CHILD_ENTRY], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=stderr, env=env)
        try:
            process.stdin.write(json.dumps([str(p) for p in paths]).encode())
            process.stdin.close()
            while True:
                try:
                    kind, payload, read = pickle.load(process.stdout)
                except EOFError:
                    process.wait()
                    stderr.seek(0)
                    detail = stderr.read().decode(errors="replace").strip()[-2000:]
                    raise RuntimeError(f"the ЕГРЮЛ parser process stopped (exit code {process.returncode})"
                                       + (f": {detail}" if detail else "")) from None
                report.read = read
                if kind == "rows":
                    yield from payload
                elif kind == "done":
                    report.files, report.errors = payload.files, payload.errors
                    return
                else:
                    raise RuntimeError(f"the ЕГРЮЛ parser process failed:\n{payload}")
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()


# -- writing -----------------------------------------------------------------------------------
class _Background:
    """One helper thread running ``work(batch)`` for each submitted batch, in order.

    At most one batch waits while another is written. An exception in the thread stops the
    work and is raised again by the next ``submit`` or by ``close``.
    """

    def __init__(self, work: Callable[[dict], dict[str, int]]):
        self.work = work
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.counts: dict[str, int] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="egrul-import-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = self.queue.get()
            if batch is None:
                return
            if self.error is not None:
                continue
            try:
                for key, value in self.work(batch).items():
                    self.counts[key] = self.counts.get(key, 0) + value
            except BaseException as exc:  # handed to the importing thread
                self.error = exc

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def submit(self, batch: dict) -> None:
        self._raise()
        self.queue.put(batch)

    def close(self) -> dict[str, int]:
        self.queue.put(None)
        self.thread.join()
        self._raise()
        return {key: self.counts.get(key, 0) for key in ("inserted", "updated", "unchanged", "skipped_older")}


class _Writer:
    """Bulk INSERT/UPDATE of ``egrul_records`` through the connection's driver."""

    def __init__(self, connection, source_stamp, watch=None):
        self.connection = connection
        # The ОГРН column of registered organizations: their newer records are kept in
        # ``changes`` (what each replaced and what it says now) for the watch's handler.
        self.watch = watch
        self.changes: list[dict] = []
        self.sqlite = connection.dialect.name == "sqlite"
        mark = "?" if connection.dialect.paramstyle in ("qmark", "numeric") else "%s"
        self.insert_sql = (f"INSERT INTO egrul_records ({', '.join(COLUMNS)}) "
                           f"VALUES ({', '.join([mark] * len(COLUMNS))})")
        assignments = ", ".join(f"{c} = {mark}" for c in COLUMNS if c != "ogrn")
        self.update_sql = f"UPDATE egrul_records SET {assignments} WHERE ogrn = {mark}"
        # SQLAlchemy's storage format of DateTime on SQLite; PostgreSQL takes the datetime.
        self.imported_at = source_stamp.isoformat(sep=" ", timespec="microseconds") if self.sqlite else source_stamp

    def among(self, ogrns: list[str], column=None):
        """``ogrn IN (…)``; one array parameter on PostgreSQL rather than thousands."""
        column = EgrulRecord.__table__.c.ogrn if column is None else column
        if self.sqlite:
            return column.in_(ogrns)
        return column == any_(bindparam("ogrns", ogrns, type_=ARRAY(String)))

    def watched(self, items: list[tuple[tuple, str]]) -> None:
        """Keep the records of registered organizations among ``items`` (one statement per
        batch, before they are written): the stored record each replaces, and the new one."""
        if self.watch is None or not items:
            return
        table = EgrulRecord.__table__
        registered = self.watch
        stmt = (select(registered, table.c.ogrn.label("known"), *(table.c[c] for c in WATCHED))
                .select_from(registered.table.outerjoin(table, table.c.ogrn == registered))
                .where(self.among([row[_OGRN] for row, _ in items], registered)))
        found = {r[0]: r for r in self.connection.execute(stmt)}
        if not found:
            return
        for row, _source in items:
            old = found.get(row[_OGRN])
            if old is None:
                continue
            new = dict(zip(CONTENT, row, strict=True))
            self.changes.append({
                "ogrn": row[_OGRN],
                "old": None if old.known is None else {c: old._mapping[c] for c in WATCHED},
                "new": {"head": json.loads(new["head"]) if new["head"] else None,
                        "status": new["status"], "status_code": new["status_code"],
                        "liquidated": bool(new["liquidated"]),
                        "extract_date": date.fromisoformat(new["extract_date"]),
                        "full_name": new["full_name"]}})

    def write(self, batch: dict[str, tuple[tuple, str]]) -> dict[str, int]:
        """Insert new rows, replace older ones; what happened, counted."""
        table = EgrulRecord.__table__
        counts = {"inserted": 0, "updated": 0, "unchanged": 0, "skipped_older": 0}
        existing = {ogrn: known.isoformat() for ogrn, known in self.connection.execute(
            select(table.c.ogrn, table.c.extract_date).where(self.among(list(batch))))}
        rows_new, rows_update, same_date = [], [], []
        for ogrn, item in batch.items():
            known = existing.get(ogrn)
            extract_date = item[0][_EXTRACT_DATE]
            if known is None:
                rows_new.append(item)
            elif extract_date > known:
                rows_update.append(item)
            elif extract_date == known:
                same_date.append(item)
            else:
                counts["skipped_older"] += 1
        if same_date:  # the same extract again, or a correction published the same day
            stored = {r.ogrn: to_row(r._mapping) for r in self.connection.execute(
                select(*(table.c[c] for c in CONTENT)).where(self.among([i[0][_OGRN] for i in same_date])))}
            for item in same_date:
                if stored[item[0][_OGRN]] == item[0]:
                    counts["unchanged"] += 1
                else:
                    rows_update.append(item)
        self.watched(rows_new + rows_update)
        if rows_new:
            stamp = self.imported_at
            self.connection.exec_driver_sql(self.insert_sql, [(*row, source, stamp) for row, source in rows_new])
        if rows_update:
            stamp = self.imported_at
            self.connection.exec_driver_sql(self.update_sql, [
                (*row[:_OGRN], *row[_OGRN + 1:], source, stamp, row[_OGRN]) for row, source in rows_update])
        counts["inserted"] += len(rows_new)
        counts["updated"] += len(rows_update)
        return counts


WATCH_KEY = "registry.egrul_watch"


def watch_registered(app: Flask, registered_ogrn: Any, handler: Callable[[list[dict]], None]) -> None:
    """Watch imports for registered organizations (the members domain, above this one, owns
    them): ``registered_ogrn`` is their ОГРН column (each batch joins it, so only they are
    looked at, in the statement that reads the records being replaced); ``handler(changes)``
    gets, once the import has written everything, a dict per newer record of a registered
    organization: ``ogrn``, ``old`` (the record it replaced, or None) and ``new``."""
    app.extensions[WATCH_KEY] = (registered_ogrn, handler)


def import_egrul(paths, *, echo: Callable[[str], None] | None = None) -> ImportReport:
    """Import extracts into ``egrul_records``; flushes, the caller commits.

    Batches are written by a helper thread on the session's connection while this thread reads
    the next batch (the driver releases the GIL while the database works); inputs of at least
    ``PARALLEL_MIN_BYTES`` are parsed by a child process when a second CPU is there.
    """
    report = ImportReport()
    db.session.flush()
    watch = current_app.extensions.get(WATCH_KEY)
    writer = _Writer(db.session.connection(), utcnow().astimezone(timezone.utc).replace(tzinfo=None),
                     watch[0] if watch is not None else None)
    background = _Background(writer.write)
    batch: dict[str, tuple[tuple, str]] = {}
    next_progress = PROGRESS_EVERY
    paths = list(paths)
    parallel = bool(sys.executable) and _cpus() > 1 and _input_size(paths) >= PARALLEL_MIN_BYTES
    rows = _rows_from_process(paths, report) if parallel else _iter_rows(paths, report)
    try:
        for item in rows:
            ogrn = item[0][_OGRN]
            previous = batch.get(ogrn)
            if previous is None or item[0][_EXTRACT_DATE] >= previous[0][_EXTRACT_DATE]:
                if previous is not None:
                    report.skipped_older += 1
                batch[ogrn] = item
            else:
                report.skipped_older += 1
            if len(batch) >= BATCH:
                background.submit(batch)
                batch = {}
                if echo and report.read >= next_progress:
                    echo(f"  … {report.read} записей")
                    next_progress = report.read + PROGRESS_EVERY
        if batch:
            background.submit(batch)
    finally:
        rows.close()  # stops the parser process, if any, when the import is cut short
        counts = background.close()
    report.inserted += counts["inserted"]
    report.updated += counts["updated"]
    report.unchanged += counts["unchanged"]
    report.skipped_older += counts["skipped_older"]
    db.session.expire_all()  # objects loaded before the import may be stale now
    if watch is not None and writer.changes:
        watch[1](writer.changes)  # in this thread and unit of work, once everything is written
    return report
