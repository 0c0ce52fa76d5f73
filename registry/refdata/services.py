"""Reference-data services: the OKVED2 classifier and looking organizations up in ЕГРЮЛ/ЕГРИП.

Lookup order (spec §6): the local copy of ЕГРЮЛ/ЕГРИП, then an optional HTTP provider that
speaks the widely used ``findById/party`` JSON shape, then nothing — the caller offers manual
entry marked «не подтверждено ЕГРЮЛ».
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import islice
from pathlib import Path

from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..extensions import db
from ..identifiers import check_inn, check_ogrn, check_ogrnip, digits
from .models import EgrulRecord, OkvedCode

_SPACES = re.compile(r"\s+")
_CODE_RE = re.compile(r"^[0-9]{2}(\.[0-9]{1,2}){0,3}$")
_SECTION_RE = re.compile(r"^[A-Z]$")


def normalize_search(text: str | None) -> str:
    """Lower case, ё → е, one space between words: the form search compares."""
    return _SPACES.sub(" ", (text or "").lower().replace("ё", "е")).strip()


# -- OKVED2 ------------------------------------------------------------------------------------
@dataclass
class OkvedImportReport:
    sections: int = 0
    codes: int = 0
    errors: list[str] = field(default_factory=list)


def _parent(code: str) -> str | None:
    if "." not in code:
        return None
    head, tail = code.rsplit(".", 1)
    if len(tail) == 2 and len(code) == 5:  # 01.11 → 01.1
        return code[:-1]
    return head if len(tail) == 1 else code[:-1]


def import_okved(path: str | Path) -> OkvedImportReport:
    """Import the Rosstat OKVED2 CSV (windows-1251, ``;``, quoted): upsert every row."""
    report = OkvedImportReport()
    raw = Path(path).read_bytes()
    try:  # a UTF-8 copy (re-saved by hand) decodes strictly; cp1251, the official one, never does
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1251", errors="replace")
    existing = {c.code: c for c in db.session.scalars(select(OkvedCode))}
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=";", quotechar='"'), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < 3:
            report.errors.append(f"строка {number}: ожидалось 3 поля, получено {len(row)}")
            continue
        section, code, name = (cell.strip() for cell in row[:3])
        if not _SECTION_RE.match(section):
            report.errors.append(f"строка {number}: неверный раздел «{section}»")
            continue
        if not name:
            report.errors.append(f"строка {number}: нет наименования")
            continue
        if not code:
            code, parent = section, None
            report.sections += 1
        elif _CODE_RE.match(code):
            parent = _parent(code) or section
            report.codes += 1
        else:
            report.errors.append(f"строка {number}: неверный код «{code}»")
            continue
        item = existing.get(code)
        if item is None:
            item = existing[code] = OkvedCode(code=code)
            db.session.add(item)
        item.name, item.section, item.parent_code = name, section, parent
        item.search_text = normalize_search(f"{code} {name}")
    db.session.flush()
    _okved_changed()
    return report


def okved_loaded() -> bool:
    return db.session.scalar(select(OkvedCode.code).limit(1)) is not None


def get_okved(code: str | None) -> OkvedCode | None:
    return db.session.get(OkvedCode, (code or "").strip()) if code else None


# The typeahead works in memory: the classifier is small (≈2,900 codes) and changes about once a
# year, while a LIKE scan would ask the database on every keystroke. Each process
# keeps the selectable codes of each database, rebuilt when this process writes OKVED rows
# through the ORM or rolls such writes back (the events below), when import_okved runs, and
# at least every OKVED_INDEX_TTL seconds, so an edition imported by another process (the CLI)
# shows up within a minute. Whether a code may be chosen (okved_problem, get_okved) is always
# read from the database.
OKVED_INDEX_TTL = 60.0
_WRITTEN = "registry.okved_written"
_okved_generation = 0
_okved_lock = threading.Lock()


class _OkvedEntry:
    """One selectable code in the index; its ``OkvedCode`` object is made on first use."""

    __slots__ = ("code", "text", "row", "_item")

    def __init__(self, row):
        self.code, self.text, self.row, self._item = row.code, row.search_text, row, None

    @property
    def item(self) -> OkvedCode:
        if self._item is None:
            r = self.row
            self._item = OkvedCode(code=r.code, name=r.name, section=r.section, parent_code=r.parent_code,
                                   search_text=r.search_text)
        return self._item


@dataclass(frozen=True)
class _OkvedIndex:
    generation: int
    built: float
    entries: list[_OkvedEntry]  # selectable codes, by (length, code)


def _okved_changed() -> None:
    global _okved_generation
    _okved_generation += 1


def _okved_index() -> list[_OkvedEntry]:
    indexes = current_app.extensions.setdefault("registry.okved_index", {})
    key = str(db.engine.url)
    index = indexes.get(key)
    if (index is None or index.generation != _okved_generation
            or time.monotonic() - index.built > OKVED_INDEX_TTL):
        with _okved_lock:
            generation = _okved_generation
            c = OkvedCode
            rows = db.session.execute(select(c.code, c.name, c.section, c.parent_code, c.search_text)
                                      .where(func.length(c.code) >= 5)).all()
            entries = sorted((_OkvedEntry(r) for r in rows), key=lambda e: (len(e.code), e.code))
            index = indexes[key] = _OkvedIndex(generation, time.monotonic(), entries)
    return index.entries


@event.listens_for(Session, "after_flush")
def _okved_flushed(session, _context) -> None:
    """OKVED rows written through the ORM: the indexes are stale, and so after a rollback."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, OkvedCode):
            _okved_changed()
            session.connection().info[_WRITTEN] = True
            return


@event.listens_for(Engine, "rollback")
@event.listens_for(Engine, "rollback_savepoint")
def _okved_rolled_back(connection, *_args) -> None:
    if connection.info.pop(_WRITTEN, False):
        _okved_changed()


@event.listens_for(Engine, "commit")
def _okved_committed(connection) -> None:
    connection.info.pop(_WRITTEN, None)


def search_okved(query: str, limit: int = 20) -> list[OkvedCode]:
    """Selectable codes (≥ 4 digits) by code prefix or by all words of the name.

    Shorter codes first, then in classifier order; case does not matter and ё = е. The codes
    come from the in-memory index: transient ``OkvedCode`` objects shared by every caller of
    this process, to be read, never changed or added to a session.
    """
    q = normalize_search(query)
    if not q or limit <= 0:
        return []
    entries = _okved_index()
    if re.fullmatch(r"[0-9.]+", q):
        found = (e for e in entries if e.code.startswith(q))
    else:
        words = sorted(set(q.split(" ")[:6]), key=len, reverse=True)  # the longest word is the rarest
        first, rest = words[0], words[1:]
        found = (e for e in entries if first in e.text) if not rest else \
            (e for e in entries if first in e.text and all(w in e.text for w in rest))
    return [e.item for e in islice(found, limit)]


def okved_problem(code: str | None) -> str | None:
    """Why ``code`` cannot be chosen (None if it can)."""
    code = (code or "").strip()
    if not code:
        return "Укажите код ОКВЭД2"
    if not okved_loaded():
        return "Классификатор ОКВЭД2 не загружен: обратитесь к администратору реестра"
    if sum(ch.isdigit() for ch in code) < 4:
        return f"Код «{code}» слишком общий: выберите код не короче четырёх цифр (XX.XX)"
    if get_okved(code) is None:
        return f"Кода «{code}» нет в классификаторе ОКВЭД2"
    return None


# -- ЕГРЮЛ / ЕГРИП lookup ----------------------------------------------------------------------
@dataclass
class Party:
    kind: str
    ogrn: str
    inn: str | None
    kpp: str | None
    full_name: str
    short_name: str | None = None
    opf: str | None = None
    reg_date: date | None = None
    address: str | None = None
    status: str | None = None
    liquidated: bool = False
    head: dict | None = None
    okved: dict = field(default_factory=lambda: {"main": None, "additional": []})
    branches: list = field(default_factory=list)
    flags: dict = field(default_factory=dict)
    extract_date: date | None = None
    source: str = "egrul_local"
    confirmed: bool = True

    def to_dict(self) -> dict:
        data = dict(self.__dict__)
        for key in ("reg_date", "extract_date"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Party:
        values = dict(data)
        for key in ("reg_date", "extract_date"):
            values[key] = date.fromisoformat(values[key]) if values.get(key) else None
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


@dataclass
class LookupResult:
    party: Party | None
    source: str | None
    error: str | None = None


def query_problem(query: str | None) -> str | None:
    """Why a search string is not an ОГРН, ОГРНИП or ИНН (None if it is one)."""
    q = digits(query)
    if not (q.isascii() and q.isdigit()):
        return "Введите ОГРН (13 цифр), ОГРНИП (15 цифр) или ИНН (10 или 12 цифр)"
    checks = {13: check_ogrn, 15: check_ogrnip, 10: check_inn, 12: check_inn}
    if len(q) not in checks:
        return "Введите ОГРН (13 цифр), ОГРНИП (15 цифр) или ИНН (10 или 12 цифр)"
    return checks[len(q)](q)


def _from_record(r: EgrulRecord) -> Party:
    return Party(kind=r.kind, ogrn=r.ogrn, inn=r.inn, kpp=r.kpp, full_name=r.full_name,
                 short_name=r.short_name, opf=r.opf, reg_date=r.reg_date, address=r.address,
                 status=r.status, liquidated=r.liquidated, head=r.head, okved=r.okved or {},
                 branches=r.branches or [], flags=r.flags or {}, extract_date=r.extract_date)


party_of_record = _from_record  # the Party of a stored ЕГРЮЛ/ЕГРИП record


def find_local(query: str) -> EgrulRecord | None:
    q = digits(query)
    column = EgrulRecord.ogrn if len(q) in (13, 15) else EgrulRecord.inn
    return db.session.scalars(select(EgrulRecord).where(column == q)
                              .order_by(EgrulRecord.liquidated, EgrulRecord.extract_date.desc()).limit(1)).first()


PROVIDER_ERRORS = {
    401: "Сервис ЕГРЮЛ отклонил ключ доступа (401): проверьте REGISTRY_PARTY_PROVIDER_TOKEN.",
    403: "Сервис ЕГРЮЛ запретил доступ (403): проверьте ключ и адрес сервиса.",
    402: "У сервиса ЕГРЮЛ закончился оплаченный лимит запросов (402).",
    429: "Сервис ЕГРЮЛ получил слишком много запросов (429): повторите через минуту.",
}


def _ms_date(value) -> date | None:
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc).date()


_PROVIDER_STATUS = {"ACTIVE": "Действующее", "LIQUIDATING": "Находится в стадии ликвидации",
                    "LIQUIDATED": "Ликвидировано", "BANKRUPT": "Банкротство",
                    "REORGANIZING": "Находится в процессе реорганизации"}


def _split_fio(text: str | None) -> tuple[str | None, str | None, str | None]:
    parts = (text or "").split()
    return (parts[0] if parts else None, parts[1] if len(parts) > 1 else None,
            " ".join(parts[2:]) or None)


def _provider_head(d: dict, kind: str) -> dict | None:
    fio = d.get("fio") or {}
    if kind == "ip":
        return {"kind": "person", "surname": fio.get("surname"), "given": fio.get("name"),
                "patronymic": fio.get("patronymic"), "inn": d.get("inn"),
                "title": "Индивидуальный предприниматель", "date": None}
    management = d.get("management") or {}
    # ``managers`` (extended plans) names the head with a personal ИНН, or a managing company.
    for m in d.get("managers") or []:
        if not isinstance(m, dict):
            continue
        if m.get("type") == "MANAGER" and (m.get("ogrn") or len(m.get("inn") or "") == 10):
            return {"kind": "legal_entity", "full_name": m.get("name"), "inn": m.get("inn"),
                    "ogrn": m.get("ogrn"), "kpp": None}
        if m.get("fio"):
            f = m["fio"]
            return {"kind": "person", "surname": f.get("surname"), "given": f.get("name"),
                    "patronymic": f.get("patronymic"), "inn": m.get("inn"),
                    "title": m.get("post") or management.get("post"), "date": None}
    if management.get("name"):
        surname, given, patronymic = _split_fio(management["name"])
        return {"kind": "person", "surname": surname, "given": given, "patronymic": patronymic,
                "inn": None, "title": management.get("post"), "date": None}
    return None


def _party_from_provider(data: dict) -> Party:
    """A Party from one ``suggestions`` item of a ``findById/party`` answer."""
    d = data.get("data") or {}
    kind = "ip" if d.get("type") == "INDIVIDUAL" else "ul"
    name = d.get("name") or {}
    state = d.get("state") or {}
    address = d.get("address") or {}
    okveds = [o for o in d.get("okveds") or [] if isinstance(o, dict)]
    main = next((o.get("code") for o in okveds if o.get("main")), d.get("okved"))
    status = state.get("status")
    return Party(
        kind=kind, ogrn=d.get("ogrn") or "", inn=d.get("inn"), kpp=d.get("kpp"),
        full_name=name.get("full_with_opf") or data.get("unrestricted_value") or data.get("value") or "",
        short_name=name.get("short_with_opf"), opf=(d.get("opf") or {}).get("full"),
        reg_date=_ms_date(state.get("registration_date") or d.get("ogrn_date")),
        address=address.get("unrestricted_value") or address.get("value"),
        status=_PROVIDER_STATUS.get(status or "", status),
        liquidated=status == "LIQUIDATED", head=_provider_head(d, kind),
        okved={"main": main, "additional": [o.get("code") for o in okveds if not o.get("main")]},
        branches=[], flags={"unreliable_address": bool(address.get("invalidity")),
                            "unreliable_head": False,
                            "disqualified_head": bool((d.get("management") or {}).get("disqualified"))},
        extract_date=_ms_date(state.get("actuality_date")), source="provider", confirmed=True)


def lookup_provider(query: str) -> LookupResult:
    """Ask the configured HTTP provider (``findById/party``); (None, error) on any failure."""
    url = current_app.config.get("REGISTRY_PARTY_PROVIDER_URL")
    if not url:
        return LookupResult(None, None)
    token = current_app.config.get("REGISTRY_PARTY_PROVIDER_TOKEN") or ""
    timeout = float(current_app.config.get("REGISTRY_PARTY_PROVIDER_TIMEOUT") or 5)
    request = urllib.request.Request(
        url, data=json.dumps({"query": digits(query), "branch_type": "MAIN"}).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json",
                 "Authorization": f"Token {token}"})
    too_slow = f"Сервис ЕГРЮЛ не ответил за {timeout:g} с: повторите позже."
    unreadable = "Сервис ЕГРЮЛ прислал ответ, который не удалось прочитать."
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        exc.close()
        message = PROVIDER_ERRORS.get(exc.code, f"Сервис ЕГРЮЛ ответил ошибкой {exc.code}: повторите позже.")
        return LookupResult(None, "provider", message)
    except TimeoutError:
        return LookupResult(None, "provider", too_slow)
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            return LookupResult(None, "provider", too_slow)
        return LookupResult(None, "provider", f"Сервис ЕГРЮЛ недоступен ({exc.reason}).")
    except (OSError, http.client.HTTPException) as exc:
        return LookupResult(None, "provider", f"Сервис ЕГРЮЛ недоступен ({exc}).")
    except ValueError:
        return LookupResult(None, "provider", unreadable)
    suggestions = body.get("suggestions") if isinstance(body, dict) else None
    if not isinstance(suggestions, list):
        return LookupResult(None, "provider", unreadable)
    suggestions = [s for s in suggestions if isinstance(s, dict) and isinstance(s.get("data"), dict)]
    if not suggestions:
        return LookupResult(None, "provider")
    # An ИНН finds the organization and its branches; the head office is the one to register.
    chosen = next((s for s in suggestions if s["data"].get("branch_type") in (None, "MAIN")), suggestions[0])
    try:
        party = _party_from_provider(chosen)
    except (AttributeError, TypeError, ValueError, OverflowError, OSError):
        return LookupResult(None, "provider", unreadable)
    if not party.ogrn or not party.full_name:
        return LookupResult(None, "provider", unreadable)
    return LookupResult(party, "provider")


def lookup_party(query: str) -> LookupResult:
    """Find an organization by ОГРН, ОГРНИП or ИНН: local ЕГРЮЛ, then the provider."""
    problem = query_problem(query)
    if problem:
        return LookupResult(None, None, problem)
    record = find_local(query)
    if record is not None:
        return LookupResult(_from_record(record), "egrul_local")
    result = lookup_provider(query)
    if result.party is None and result.error is None:
        return LookupResult(None, result.source)
    return result
