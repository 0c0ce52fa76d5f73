"""Demo reference data: the OKVED2 file when present, and ЕГРЮЛ/ЕГРИП records for the demo PKI."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from ..config import PROJECT_ROOT
from ..core.demo_steps import DemoContext, demo_step
from ..identifiers import make_inn, make_ogrn
from ..pki.demo_pki import ENTREPRENEUR_OGRNIP, ORGANIZATION, PEOPLE

EXTRACT_DATE = date(2026, 11, 1)


OKVED_DIR = Path("shared") / "data" / "okved2"
OKVED_HELP = ("download the official Rosstat OKVED2 CSV (open data set 7708234640-okved2, "
              "windows-1251, ';') and run `registry refdata import-okved FILE` on this instance, "
              "or set REGISTRY_OKVED_FILE=FILE and run `registry demo setup` again")


def okved_file() -> Path | None:
    """$REGISTRY_OKVED_FILE, else the official file in ``shared/data/okved2/`` beside the
    checkout or beside any folder above it (a worktree sits deeper; never vendored)."""
    configured = os.environ.get("REGISTRY_OKVED_FILE")
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    for folder in PROJECT_ROOT.parents:
        found = sorted((folder / OKVED_DIR).glob("*.csv"))
        if found:
            return found[-1]
    return None


def _person(key: str, **extra) -> dict:
    p = PEOPLE[key]
    given, _, patronymic = p["given"].partition(" ")
    return {"kind": "person", "surname": p["surname"], "given": given, "patronymic": patronymic or None,
            "inn": p["inn"], "title": p["title"], "date": "2019-04-01", **extra}


def demo_records() -> list[dict]:
    """ЕГРЮЛ/ЕГРИП records whose heads hold the demo certificates, plus a few neighbours."""
    moscow = {"index": "125009", "region": "Москва", "street": "Тверская", "house": "1"}
    return [
        {"kind": "ul", "ogrn": ORGANIZATION["ogrn"], "inn": ORGANIZATION["inn"], "kpp": ORGANIZATION["kpp"],
         "full_name": ORGANIZATION["full_name"], "short_name": ORGANIZATION["name"],
         "opf": "Общество с ограниченной ответственностью", "reg_date": date(2012, 3, 15),
         "status": "Действующее", "address": moscow, "head": _person("head"),
         "okved": {"main": "32.12", "additional": ["46.48", "47.77"]},
         "branches": [{"kind": "branch", "name": "Филиал ООО «РОМАШКА» в городе Санкт-Петербурге",
                       "kpp": "781045001", "address": {"index": "191186", "region": "Санкт-Петербург",
                                                       "region_code": "78", "street": "Невский",
                                                       "street_type": "пр-кт", "house": "10"}}],
         "flags": {}, "extract_date": EXTRACT_DATE},
        {"kind": "ip", "ogrn": ENTREPRENEUR_OGRNIP, "inn": PEOPLE["ip"]["inn"],
         "full_name": "", "reg_date": date(2004, 6, 1), "status": "Действующий",
         "head": _person("ip"), "okved": {"main": "47.77", "additional": []}, "extract_date": EXTRACT_DATE},
        {"kind": "ul", "ogrn": make_ogrn("102770000002"), "inn": make_inn("770100002"), "kpp": "770201001",
         "full_name": "АКЦИОНЕРНОЕ ОБЩЕСТВО «АЛМАЗ»", "short_name": "АО «АЛМАЗ»",
         "opf": "Акционерное общество", "reg_date": date(2005, 9, 20), "status": "Действующее",
         "address": {"index": "101000", "region": "Москва", "street": "Мясницкая", "house": "5"},
         "head": {"kind": "person", "surname": "Орлов", "given": "Сергей", "patronymic": "Павлович",
                  "inn": make_inn("7705678901"), "title": "Генеральный директор", "date": "2021-02-01"},
         "okved": {"main": "24.41", "additional": []},
         "flags": {"unreliable_address": True, "disqualified_head": True}, "extract_date": EXTRACT_DATE},
        {"kind": "ul", "ogrn": make_ogrn("102770000003"), "inn": make_inn("770100003"), "kpp": "770301001",
         "full_name": "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «ВЕКТОР»", "short_name": "ООО «ВЕКТОР»",
         "opf": "Общество с ограниченной ответственностью", "reg_date": date(2010, 1, 12),
         "status": "Ликвидировано", "liquidated": True,
         "address": {"index": "115035", "region": "Москва", "street": "Пятницкая", "house": "3"},
         "head": {"kind": "legal_entity", "full_name": ORGANIZATION["full_name"], "inn": ORGANIZATION["inn"],
                  "ogrn": ORGANIZATION["ogrn"]},
         "okved": {"main": "46.72", "additional": []}, "extract_date": EXTRACT_DATE},
    ]


@demo_step(order=30)
def reference_data(ctx: DemoContext) -> None:
    """Import OKVED2 (when the official file is at hand) and the demo ЕГРЮЛ/ЕГРИП extract."""
    from .egrul import import_egrul
    from .egrul_xml import write_extract
    from .services import import_okved

    source = okved_file()
    if source is None:
        configured = os.environ.get("REGISTRY_OKVED_FILE")
        where = f"REGISTRY_OKVED_FILE={configured} is not a file" if configured else \
            f"no {OKVED_DIR}/*.csv beside {PROJECT_ROOT} or a folder above it"
        ctx.echo(f"  OKVED2 not loaded ({where}): the classifier stays empty. To load it, {OKVED_HELP}")
    else:
        report = import_okved(source)
        ctx.echo(f"  OKVED2: {report.codes} codes from {source}")
    extract = ctx.directory / "egrul-demo.xml"
    write_extract(extract, demo_records(), file_id="demo-egrul")
    report = import_egrul([extract])
    ctx.echo(f"  ЕГРЮЛ/ЕГРИП: {report.summary()}")
