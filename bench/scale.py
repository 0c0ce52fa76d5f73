"""Pages at registry scale on PostgreSQL: latency and SQL statements per request as data grows.

    .venv/bin/python bench/scale.py                 # two sizes: 1/100 and 1/10 of full scale
    .venv/bin/python bench/scale.py --sizes 1       # full: 10,000 organizations, 100,000
                                                    # members, 1,000,000 journal rows

Seeds a temporary PostgreSQL database (the local server, or a temporary cluster) with COPY:
organizations, people, memberships (one organization gets 2,000 members from size 0.1 on, fewer
below) and journal
rows, then measures through the WSGI application in this process (signed in by the demo
certificates like the test client does): «Профили организации», the journal's first page and
a deep page (by keyset cursor), the journal CSV (time to first byte, total, peak Python memory
while streaming), the operator's list and searches by ИНН, КПП and name. Each page is asked
``--runs`` times; p50/p99 are of those runs. Not through nginx (see bench/http.py for that).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from sqlalchemy import event, select, text  # noqa: E402

FULL = {"organizations": 10_000, "people": 100_000, "big_org_members": 2_000, "journal": 1_000_000}


def _copy(conn, table: str, columns: list[str], rows) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def seed(app, scale: float, head_user_id: int, operator_id: int) -> int:
    from registry.extensions import db, utcnow
    from registry.refdata.identifiers import make_inn, make_ogrn, make_snils

    n_org = int(FULL["organizations"] * scale)
    n_people = int(FULL["people"] * scale)
    n_big = int(FULL["big_org_members"] * scale * 10) if scale < 1 else FULL["big_org_members"]
    n_journal = int(FULL["journal"] * scale)
    now = utcnow().replace(tzinfo=None)
    with app.app_context():
        conn = db.session.connection()
        _copy(conn, "organizations", ["kind", "ogrn", "inn", "kpp", "full_name", "short_name", "status",
                                      "egrul_confirmed", "data", "version", "registered_at", "updated_at"],
              (("ul", make_ogrn(f"1{i:011d}"), make_inn(f"{i + 1000000000:010d}")[:10], f"{770000000 + i}",
                f"ООО «ОРГАНИЗАЦИЯ {i}»", f"ОРГАНИЗАЦИЯ {i}", "registered", True, "{}", 1, now, now)
               for i in range(n_org)))
        _copy(conn, "users", ["full_name", "snils", "inn", "created_at", "is_operator"],
              ((f"Сотрудник {i} Тестович", make_snils(f"{300000000 + i:09d}"),
                make_inn(f"{3000000000 + i:010d}"), now, False) for i in range(n_people)))
        big = db.session.scalar(text("SELECT id FROM organizations ORDER BY id LIMIT 1"))
        first_org = big
        first_user = db.session.scalar(text("SELECT min(id) FROM users WHERE full_name LIKE 'Сотрудник %'"))
        _copy(conn, "memberships", ["organization_id", "user_id", "status", "roles", "version",
                                    "created_at", "updated_at"],
              ((big if i < n_big else first_org + i % n_org, first_user + i, "active", '["applications"]', 1,
                now, now) for i in range(n_people)))
        _copy(conn, "memberships", ["organization_id", "user_id", "status", "roles", "version",
                                    "created_at", "updated_at"],
              [(big, head_user_id, "active", '["admin"]', 1, now, now)])
        _copy(conn, "organization_journal", ["organization_id", "created_at", "event", "actor_id",
                                             "subject_id", "details"],
              ((big if i % 2 == 0 else first_org + i % n_org, now, "join", first_user + i % n_people,
                first_user + (i * 7) % n_people, f"запись {i}") for i in range(n_journal)))
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return big


class Counter:
    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, *args):
        self.n += 1


def measure(client, counter: Counter, url: str, runs: int) -> tuple[float, float, int]:
    times, statements = [], 0
    for _ in range(runs):
        counter.n = 0
        started = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times.append(time.perf_counter() - started)
        statements = counter.n
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))], statements


def csv_figures(client, url: str, traced: bool) -> tuple[float, float, float]:
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    chunks = iter(response.response)
    next(chunks)
    first = time.perf_counter() - started
    size = 0
    for chunk in chunks:
        size += len(chunk)
    total = time.perf_counter() - started
    peak = 0.0
    if traced:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    response.close()
    return first, total, peak / 2**20


def run_size(admin_url: str, scale: float, runs: int, pki) -> None:
    from flask_migrate import upgrade

    from registry import create_app
    from registry.extensions import db
    from tests.conftest import CertClient
    from tests.helpers import fresh_postgres_database

    with fresh_postgres_database(admin_url) as url, tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REGISTRY_INSTANCE_PATH": tmp,
                          "REGISTRY_TRUST_STORE": str(pki.trust_dir), "REGISTRY_BROKER_URL": "immediate"})
        app.test_client_class = CertClient
        with app.app_context():
            upgrade()
        head, operator = app.test_client(), app.test_client()
        head.certificate = pki.person("head", "ecdsa").pem
        operator.certificate = pki.person("employee1", "ecdsa").pem
        head.get("/profile")
        operator.get("/profile")
        with app.app_context():
            from registry.auth.models import User
            ids = dict(db.session.execute(select(User.full_name, User.id)).all())
            head_id = db.session.scalar(select(User.id).order_by(User.id).limit(1))
            db.session.execute(text("UPDATE users SET is_operator = true WHERE id <> :h"), {"h": head_id})
            db.session.commit()
        started = time.perf_counter()
        org = seed(app, scale, head_id, 0)
        seeded = time.perf_counter() - started
        del ids
        with app.app_context():
            counter = Counter(db.engine)
            members = db.session.scalar(text(f"SELECT count(*) FROM memberships WHERE organization_id={org}"))
            journal = db.session.scalar(text("SELECT count(*) FROM organization_journal"))
            orgs = db.session.scalar(text("SELECT count(*) FROM organizations"))
            members_last = db.session.scalar(text(
                f"SELECT id FROM memberships WHERE organization_id={org} ORDER BY id DESC OFFSET 50 LIMIT 1"))
        print(f"\n== size ×{scale:g}: {orgs} organizations, {members} members in the big one, "
              f"{journal} journal rows (seeded in {seeded:.1f} s)")
        page = head.get(f"/organizations/{org}/journal").text
        import html
        import re
        cursor = None
        deep_url = f"/organizations/{org}/journal"
        for _ in range(20):  # walk 20 pages deep by keyset
            link = re.search(r'href="([^"]+)">Старее →', page)
            if not link:
                break
            deep_url = html.unescape(link.group(1))
            page = head.get(deep_url).text
        del cursor
        rows = [
            ("Профили организации", head, f"/organizations/{org}/members"),
            ("journal, first page", head, f"/organizations/{org}/journal"),
            ("journal, page 21", head, deep_url),
            ("Профили, last page", head, f"/organizations/{org}/members?after={members_last}"),
            ("operator list", operator, "/operator/"),
            ("operator search ИНН", operator, "/operator/?q=" + "1000000005"),
            ("operator search КПП", operator, "/operator/?q=770000005"),
            ("operator search name", operator, "/operator/?q=организация+5"),
        ]
        print(f"{'page':<26}{'p50 ms':>9}{'p99 ms':>9}{'SQL':>6}")
        for label, client, url in rows:
            p50, p99, statements = measure(client, counter, url, runs)
            print(f"{label:<26}{p50 * 1000:>9.1f}{p99 * 1000:>9.1f}{statements:>6}")
        csv_url = f"/organizations/{org}/journal?format=csv"
        first, total, _ = csv_figures(head, csv_url, traced=False)
        _, _, peak = csv_figures(head, csv_url, traced=True)
        print(f"journal CSV ({journal // 2} rows): first byte {first * 1000:.0f} ms, total {total:.1f} s; "
              f"peak Python memory while streaming {peak:.1f} MiB (tracemalloc, second run)")
        with app.app_context():
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.01,0.1", help="fractions of full scale")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from registry.pki.demo import build_demo_pki
    from tests.helpers import postgres_server

    with tempfile.TemporaryDirectory() as tmp, postgres_server() as admin:
        pki = build_demo_pki(Path(tmp))
        for size in (float(s) for s in args.sizes.split(",")):
            run_size(admin, size, args.runs, pki)


if __name__ == "__main__":
    main()
