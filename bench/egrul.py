"""ЕГРЮЛ import speed, lookups by ИНН/ОГРН and OKVED typeahead, on SQLite and PostgreSQL.

    .venv/bin/python bench/egrul.py [--count 1000000] [--files 8] [--lookups 10000]
                                    [--databases sqlite,postgresql]

1. ``--count`` made-up legal entities (registry.refdata.egrul_xml.synthetic_records) are written
   as extracts in the official XML format (windows-1251, ``Файл``/``Документ``/``СвЮЛ``), split
   into ``--files`` files, by two processes.
2. Baseline: the same files only parsed with lxml iterparse (each record freed, nothing
   written): records per second of reading alone.
3. For each database (a temporary SQLite file; a fresh PostgreSQL database on
   127.0.0.1:5432, user postgres, created and dropped here): ``import_egrul`` over all files in
   one transaction, records per second and the ratio to the baseline; then lookup latency by
   ИНН and by ОГРН through ``registry.refdata.services.find_local`` (random existing records),
   and OKVED typeahead latency (``search_okved`` with queries as people type them) after
   importing the official OKVED2 file. A bare ``SELECT 1`` through the same session is the
   floor the latencies are compared with. Latencies are measured in three rounds; the round
   with the median p99 is reported.

Targets: import ≥ 5,000 records/s; lookup p99 < 2 ms; OKVED typeahead p99 < 5 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

# Run as a script, sys.path[0] is bench/, whose modules may shadow the standard library
# (bench/http.py); the repository root is what this script needs there.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import psycopg  # noqa: E402
from lxml import etree  # noqa: E402
from sqlalchemy import text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OKVED_DIR = ROOT.parent / "shared" / "data" / "okved2"
POSTGRES_URL = os.environ.get("REGISTRY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

IMPORT_TARGET = 5000        # records per second
LOOKUP_P99_TARGET = 2e-3    # seconds
OKVED_P99_TARGET = 5e-3     # seconds
ROUNDS = 3                  # latency rounds; the median one is reported

# What people type into the OKVED field, keystroke by keystroke: code prefixes and words.
OKVED_QUERIES = [
    "3", "32", "32.", "32.1", "32.12", "4", "46", "46.4", "46.48", "47.7", "47.77", "62.0", "62.01",
    "ю", "юв", "юве", "ювел", "ювелир", "ювелирн", "Ювелирных изделий",
    "т", "то", "тор", "торг", "торговля", "торговля р", "торговля розн", "торговля розничная часами",
    "часами", "ремонт", "ремонт часов", "ёмкост", "ЁМКОСТЕЙ ИЗ СТЕКЛА", "производство мебели",
    "деятельность агентов", "строительство жилых", "разработка компьютерного", "аренда",
    "консультирование", "грузовых перевозок", "драгоценных металлов", "добыча руд", "серебра 46.48",
]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


# -- 1. the extracts ---------------------------------------------------------------------------
def _write_part(args: tuple[str, int, int, int]) -> int:
    from registry.refdata.egrul_xml import synthetic_records, write_extract

    path, start, count, seed = args
    return write_extract(path, synthetic_records(count, seed=seed, start=start), file_id=Path(path).stem)


def write_extracts(directory: Path, count: int, files: int) -> list[Path]:
    per_file = -(-count // files)
    jobs, start = [], 0
    for i in range(files):
        n = min(per_file, count - start)
        if n <= 0:
            break
        jobs.append((str(directory / f"egrul-{i + 1:03d}.xml"), start, n, i + 1))
        start += n
    with multiprocessing.get_context("fork").Pool(min(2, len(jobs))) as pool:
        written = sum(pool.map(_write_part, jobs))
    assert written == count
    return [Path(job[0]) for job in jobs]


# -- 2. baseline: parsing alone ----------------------------------------------------------------
def parse_only(paths: list[Path]) -> int:
    """Read every record the way the import does (iterparse, then free it), writing nothing."""
    seen = 0
    for path in paths:
        for _event, el in etree.iterparse(str(path), events=("end",), tag=("СвЮЛ", "СвИП"), huge_tree=True):
            seen += 1
            el.clear(keep_tail=False)
            node = el
            while (parent := node.getparent()) is not None:
                while node.getprevious() is not None:
                    del parent[0]
                node = parent
    return seen


# -- 3. the databases --------------------------------------------------------------------------
class Database:
    """A SQLite file or a fresh PostgreSQL database, removed afterwards."""

    def __init__(self, kind: str, workdir: Path):
        self.kind = kind
        self.name = None
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.db'}"
        else:
            self.name = f"registry_bench_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{self.name}"

    def drop(self) -> None:
        if self.name:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def make_app(url: str, instance: Path):
    from flask_migrate import upgrade

    from registry import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REGISTRY_INSTANCE_PATH": str(instance),
                      "REGISTRY_LOG_LEVEL": "WARNING"})
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):  # Alembic's INFO lines
        upgrade()
    return app


def latencies(session, fn, queries: list[str]) -> list[float]:
    samples = []
    for i, q in enumerate(queries):
        start = time.perf_counter()
        fn(q)
        samples.append(time.perf_counter() - start)
        session.expunge_all()
        if i % 1000 == 999:
            session.rollback()  # as requests would: short transactions
    session.rollback()
    return samples


def rounds(session, fn, queries: list[str], count: int = ROUNDS) -> tuple[float, float]:
    """p50 and p99 of the median round (one burst of noise on a shared machine is not the code)."""
    results = []
    for _ in range(count):
        samples = latencies(session, fn, queries)
        results.append((statistics.median(samples), percentile(samples, 99)))
    results.sort(key=lambda r: r[1])
    return results[len(results) // 2]


def bench_database(kind: str, paths: list[Path], count: int, lookups: int, baseline_rate: float,
                   workdir: Path) -> dict:
    from registry.extensions import db
    from registry.refdata.egrul import import_egrul
    from registry.refdata.services import find_local, import_okved, search_okved

    print(f"\n3. {kind}")
    database = Database(kind, workdir)
    try:
        app = make_app(database.url, workdir / f"instance-{kind}")
        with app.app_context():
            start = time.perf_counter()
            report = import_egrul(paths)
            db.session.commit()
            seconds = time.perf_counter() - start
            assert report.inserted == count and not report.errors, report.summary()
            rate = count / seconds
            print(f"   import: {count:,} records in {seconds:.1f} s = {rate:,.0f} records/s "
                  f"(parsing alone: {baseline_rate:,.0f} records/s, ratio {rate / baseline_rate:.2f}); "
                  f"target ≥ {IMPORT_TARGET:,}: {verdict(rate >= IMPORT_TARGET)}")
            print(f"           {report.summary()}")
            own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"           peak memory so far: this process {own:.0f} MB, largest child process "
                  f"(the parser; the extract writers) {child:.0f} MB")
            if kind == "postgresql":
                db.session.execute(text("ANALYZE egrul_records"))  # what autovacuum does shortly after
                db.session.commit()

            step = max(1, count // lookups)
            sample = db.session.execute(
                text("SELECT ogrn, inn FROM egrul_records WHERE id % :step = 0").bindparams(step=step)).all()
            rng = random.Random(7)
            rng.shuffle(sample)
            sample = sample[:lookups]
            by_ogrn = [r.ogrn for r in sample]
            by_inn = [r.inn for r in sample]

            latencies(db.session, find_local, by_inn[:500])  # warm-up
            f50, f99 = rounds(db.session, lambda _q: db.session.execute(text("SELECT 1")).scalar(), by_inn)
            results = {"import": rate}
            print(f"   SELECT 1 through the session: p50 {ms(f50)}, p99 {ms(f99)}")
            for label, queries in (("ИНН", by_inn), ("ОГРН", by_ogrn)):
                p50, p99 = rounds(db.session, find_local, queries)
                assert all(find_local(q) is not None for q in queries[:50])
                results[label] = p99
                print(f"   lookup by {label:4}: {len(queries):,} lookups × {ROUNDS} rounds, "
                      f"p50 {ms(p50)}, p99 {ms(p99)} (p50 / SELECT 1 = {p50 / f50:.1f}); "
                      f"target p99 < 2 ms: {verdict(p99 < LOOKUP_P99_TARGET)}")
            assert find_local("0000000000") is None and find_local("1000000000000") is None

            okved_files = sorted(OKVED_DIR.glob("*.csv"))
            if okved_files:
                okved = import_okved(okved_files[-1])
                db.session.commit()
                queries = OKVED_QUERIES * 100
                random.Random(3).shuffle(queries)
                latencies(db.session, search_okved, OKVED_QUERIES)  # warm-up
                p50, p99 = rounds(db.session, search_okved, queries)
                results["okved"] = p99
                print(f"   OKVED typeahead ({okved.codes:,} codes, "
                      f"{len(OKVED_QUERIES)} queries × 100 × {ROUNDS} rounds): "
                      f"p50 {ms(p50)}, p99 {ms(p99)} (p50 / SELECT 1 = {p50 / f50:.1f}); "
                      f"target p99 < 5 ms: {verdict(p99 < OKVED_P99_TARGET)}")
            else:
                print(f"   OKVED typeahead: no OKVED2 file in {OKVED_DIR}, skipped")
            db.session.remove()
            db.engine.dispose()
        return results
    finally:
        database.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="records to generate and import")
    parser.add_argument("--files", type=int, default=8, help="extract files to split them into")
    parser.add_argument("--lookups", type=int, default=10_000, help="lookups by ИНН and by ОГРН per round")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--workdir", help="where to put the extracts and the SQLite file (default: a temp dir)")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]

    with tempfile.TemporaryDirectory(prefix="registry-bench-egrul-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        print(f"1. Writing {args.count:,} records into {args.files} extract files (2 processes)")
        start = time.perf_counter()
        paths = write_extracts(workdir, args.count, args.files)
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in paths)
        print(f"   {seconds:.1f} s, {size / 1e6:,.0f} MB ({size / args.count:.0f} bytes per record)")

        print("\n2. Baseline: parsing the same files with lxml iterparse, nothing written")
        start = time.perf_counter()
        parsed = parse_only(paths)
        parse_seconds = time.perf_counter() - start
        assert parsed == args.count
        baseline_rate = parsed / parse_seconds
        print(f"   {parse_seconds:.1f} s = {baseline_rate:,.0f} records/s")

        results = {}
        for kind in kinds:
            results[kind] = bench_database(kind, paths, args.count, args.lookups, baseline_rate, workdir)

    print("\nTargets:")
    for kind, r in results.items():
        print(f"   {kind:10} import {r['import']:,.0f} records/s ≥ 5,000: {verdict(r['import'] >= IMPORT_TARGET)}; "
              f"lookup p99 ИНН {ms(r['ИНН'])}, ОГРН {ms(r['ОГРН'])} < 2 ms: "
              f"{verdict(max(r['ИНН'], r['ОГРН']) < LOOKUP_P99_TARGET)}"
              + (f"; OKVED p99 {ms(r['okved'])} < 5 ms: {verdict(r['okved'] < OKVED_P99_TARGET)}"
                 if "okved" in r else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
