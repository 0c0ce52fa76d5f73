"""Pages at registry scale on PostgreSQL, through nginx: latency and SQL statements per request.

    .venv/bin/python -m bench.scale                      # two sizes: 1/100 and 1/10 of full scale
    .venv/bin/python -m bench.scale --orgs 1000,10000    # the same by organization count; 10,000
                                                         # is full scale: 100,000 members and
                                                         # 1,000,000 journal rows

Seeds a temporary PostgreSQL database (the local server, or a temporary cluster) with COPY:
organizations, people, memberships (one organization gets 2,000 members from size 0.1 on, fewer
below) and journal rows. Then the pages are asked through the shipped nginx site (TLS, client
certificates; bench/stack.py) in front of one gunicorn node with the shipped settings (one
worker, so that its memory is the one measured): «Профили организации», the journal's first
page and a deep page (by keyset cursor), the operator's list and searches by ИНН, КПП and name,
each ``--runs`` times one after another (p50/p99 of those), and the journal CSV: time to the
first byte, total, and the worker's peak resident memory while streaming (VmHWM, reset before).
SQL statements per request are counted in this process with the same application and data.

Targets at full size: every page p99 < 150 ms; the CSV of 1,000,000 rows in < 60 s, first byte
< 1 s, worker peak < 100 MiB above its resident size before the export.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

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
    from registry.identifiers import make_inn, make_ogrn, make_snils

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


def statements(client, counter: Counter, url: str) -> int:
    """Statements of the request, asked twice: what a session does once a minute (its "last
    seen" time) does not count."""
    for _ in range(2):
        counter.n = 0
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if response.is_streamed:
            for _chunk in response.response:
                pass
    return counter.n


class Http:
    """Keep-alive HTTP to a client-side nginx listener (which adds TLS and the certificate)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    cookie = ""

    def _request(self, conn, path: str):
        conn.request("GET", quote(path, safe="/?&=+%:;,"), headers={"Cookie": self.cookie} if self.cookie else {})
        response = conn.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("registry_session="):
                self.cookie = value.split(";", 1)[0]
        return response

    def get(self, path: str) -> tuple[int, str]:
        response = self._request(self.conn, path)
        return response.status, response.read().decode(errors="replace")

    def timed(self, path: str, runs: int) -> tuple[float, float]:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            status, page = self.get(path)
            times.append(time.perf_counter() - started)
            assert status == 200, (path, status, page[:300])
        times.sort()
        return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]

    def stream(self, path: str) -> tuple[float, float, int]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        started = time.perf_counter()
        response = self._request(conn, path)
        assert response.status == 200, response.status
        first_chunk = response.read1(65536)
        first = time.perf_counter() - started
        size = len(first_chunk)
        while chunk := response.read1(1 << 20):
            size += len(chunk)
        total = time.perf_counter() - started
        conn.close()
        return first, total, size


def _rss_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_size(admin_url: str, scale: float, runs: int, pki) -> None:
    from flask_migrate import upgrade

    from bench import stack
    from registry import create_app
    from registry.extensions import db
    from tests.conftest import CertClient
    from tests.helpers import fresh_postgres_database

    with fresh_postgres_database(admin_url) as url, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REGISTRY_INSTANCE_PATH": tmp_name,
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
            head_id = db.session.scalar(select(User.id).order_by(User.id).limit(1))
            db.session.execute(text("UPDATE users SET is_operator = true WHERE id <> :h"), {"h": head_id})
            db.session.commit()
        started = time.perf_counter()
        org = seed(app, scale, head_id, 0)
        seeded = time.perf_counter() - started
        with app.app_context():
            counter = Counter(db.engine)
            members = db.session.scalar(text(f"SELECT count(*) FROM memberships WHERE organization_id={org}"))
            journal = db.session.scalar(text("SELECT count(*) FROM organization_journal"))
            orgs = db.session.scalar(text("SELECT count(*) FROM organizations"))
            members_last = db.session.scalar(text(
                f"SELECT id FROM memberships WHERE organization_id={org} ORDER BY id DESC OFFSET 50 LIMIT 1"))
            db.engine.dispose()
        print(f"\n== size ×{scale:g}: {orgs} organizations, {members} members in the big one, "
              f"{journal} journal rows (seeded in {seeded:.1f} s)", flush=True)

        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench", REGISTRY_TRUST_STORE=str(pki.trust_dir),
                   REGISTRY_TRUSTED_PROXIES="unix", REGISTRY_INSTANCE_PATH=tmp_name, REGISTRY_LOG_LEVEL="WARNING",
                   REGISTRY_BROKER_URL="immediate", REGISTRY_WORKERS="1", PYTHONPATH=str(stack.ROOT))
        env.pop("REGISTRY_PROXY_SECRET", None)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        sock = tmp / "run" / "app.sock"
        gunicorn = stack.start_gunicorn("wsgi:app", sock, env, stack.ROOT, tmp / "gunicorn.log")
        nginx = None
        try:
            people = {name: pki.person(name, "ecdsa") for name in ("head", "employee1")}
            groups = [stack.Group(f"as_{name}", [sock], cert.cert_path, cert.key_path)
                      for name, cert in people.items()]
            nginx = stack.start_nginx(tmp / "nginx", groups, pki.server_cert_path, pki.server_key_path, workers=1)
            via = {"head": Http(groups[0].port), "operator": Http(groups[1].port)}
            for client in via.values():
                status, page = client.get("/")
                assert status == 200, page[:300]
            import html
            import re
            _, page = via["head"].get(f"/organizations/{org}/journal")
            deep_url = f"/organizations/{org}/journal"
            for _ in range(20):  # walk 20 pages deep by keyset
                link = re.search(r'href="([^"]+)">Старее →', page)
                if not link:
                    break
                deep_url = html.unescape(link.group(1))
                _, page = via["head"].get(deep_url)
            rows = [
                ("Профили организации", "head", f"/organizations/{org}/members"),
                ("journal, first page", "head", f"/organizations/{org}/journal"),
                ("journal, page 21", "head", deep_url),
                ("Профили, last page", "head", f"/organizations/{org}/members?after={members_last}"),
                ("operator list", "operator", "/operator/"),
                ("operator search ИНН", "operator", "/operator/?q=" + "1000000005"),
                ("operator search КПП", "operator", "/operator/?q=770000005"),
                ("operator search name", "operator", "/operator/?q=организация+5"),
            ]
            in_process = {"head": head, "operator": operator}
            print(f"{'page (through nginx)':<26}{'p50 ms':>9}{'p99 ms':>9}{'SQL':>6}")
            worst = 0.0
            for label, who, path in rows:
                p50, p99 = via[who].timed(path, runs)
                worst = max(worst, p99)
                with app.app_context():
                    n = statements(in_process[who], counter, path)
                print(f"{label:<26}{p50 * 1000:>9.1f}{p99 * 1000:>9.1f}{n:>6}", flush=True)
            csv_path = f"/organizations/{org}/journal?format=csv"
            worker = int(next(iter(Path(f"/proc/{gunicorn.pid}/task/{gunicorn.pid}/children")
                                   .read_text().split())))
            Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
            before = _rss_mib(worker, "VmRSS")
            first, total, size = via["head"].stream(csv_path)
            peak = _rss_mib(worker, "VmHWM")
            with app.app_context():
                n = statements(head, counter, csv_path)
            print(f"journal CSV ({journal // 2} rows, {size / 2**20:.0f} MiB): first byte {first * 1000:.0f} ms, "
                  f"total {total:.1f} s, {n} SQL; worker peak {peak:.0f} MiB resident "
                  f"({peak - before:+.0f} MiB over its {before:.0f} MiB before)")
            if scale >= 1:
                ok = worst < 0.150 and total < 60 and first < 1 and peak - before < 100
                print(f"targets (p99 < 150 ms, CSV < 60 s, first byte < 1 s, < 100 MiB): "
                      f"{'ok' if ok else 'MISSED'}")
        finally:
            if nginx is not None:
                stack.stop(nginx)
            stack.stop(gunicorn)
            with app.app_context():
                db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.01,0.1", help="fractions of full scale")
    parser.add_argument("--orgs", default="", help="organization counts instead of --sizes "
                                                   "(10000 is full scale)")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from registry.pki.demo_pki import build_demo_pki
    from tests.helpers import postgres_server

    sizes = ([int(n) / FULL["organizations"] for n in args.orgs.split(",")] if args.orgs
             else [float(s) for s in args.sizes.split(",")])
    with tempfile.TemporaryDirectory() as tmp, postgres_server() as admin:
        pki = build_demo_pki(Path(tmp), algorithms=("ecdsa",))
        for size in sizes:
            run_size(admin, size, args.runs, pki)


if __name__ == "__main__":
    main()
