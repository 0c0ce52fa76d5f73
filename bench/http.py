"""Signed-in registry pages through nginx under wrk, against a bare Flask app served the same way.

    .venv/bin/python -m bench.http [--duration 5] [--connections 50] [--nodes 1,2]
                                   [--database postgresql,sqlite] [--workers 2]

Everything runs on 127.0.0.1 in one run: the shipped nginx site (deploy/nginx/registry.conf:
TLS, client certificates, proxy headers) in front of gunicorn nodes (deploy/gunicorn.conf.py,
unix sockets, REGISTRY_TRUSTED_PROXIES=unix), one node and two balanced nodes, for the registry
and for a bare Flask app with the very same gunicorn settings and nginx. The load comes from
`wrk` (Debian's), not from Python sharing the cores. wrk cannot present a client certificate,
so it talks plain HTTP to a client-side nginx listener that forwards over kept-alive TLS with
the person's certificate, as a browser does; the bare app gets the same two hops.

Measured, each at --connections concurrent connections: the signed-in home page, the
organization page, «Документы организации» and a 5 MB PDF upload (multipart POST with the
session cookie and CSRF token, answered by a redirect). Printed: requests/s, p50, p99, errors
and the ratio of requests/s to the bare app's (a GET page for the pages, a POST of the same 5 MB
for the upload) measured in the same run, and two nodes against one.

Targets: signed-in page >= 0.5x bare Flask with p99 < 150 ms at 50 connections; two nodes
>= 1.6x one node where the machine has the cores for it (on 2 cores it does not: both nodes and
nginx and wrk share them).
"""

from __future__ import annotations

import os
import sys

# Run as a file (python bench/http.py), this module would shadow the standard library's `http`
# package for everything imported below; `python -m bench.http` is the documented way.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import contextlib  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402
from bench.pdf import one_page_pdf  # noqa: E402

BARE_APP = '''
from flask import Flask, redirect, request

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 45 * 1024 * 1024
PAGE = "<!doctype html><html lang=ru><head><title>bare</title></head><body>" + "x" * 2000 + "</body></html>"


@app.route("/")
def index():
    return PAGE


@app.route("/upload", methods=["POST"])
def upload():
    size = len(request.files["file"].read())
    return redirect(f"/?size={size}")
'''

UPLOAD_MB = 5
BOUNDARY = "----registrybench7d93a1"

LUA = r"""
local body = nil
local body_file = "{body_file}"
wrk.method = "{method}"
wrk.headers["Cookie"] = "{cookie}"
{headers}
if body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
end
request = function()
  return wrk.format(nil, "{path}")
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    bad_status: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(port: int, path: str, *, connections: int, duration: float, tmp: Path,
        cookie: str = "", method: str = "GET", headers: dict[str, str] | None = None,
        body_file: Path | None = None, threads: int = 2) -> Result:
    script = tmp / "wrk.lua"
    extra = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in (headers or {}).items())
    script.write_text(LUA.replace("{body_file}", str(body_file or "")).replace("{method}", method)
                      .replace("{cookie}", cookie).replace("{headers}", extra)
                      .replace("{path}", path))
    out = subprocess.run([shutil.which("wrk") or "/usr/bin/wrk", f"-t{threads}", f"-c{connections}",
                          f"-d{max(1, round(duration))}s", "--timeout", "30s", "-s", str(script),
                          f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, timeout=duration + 300)
    match = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out.stdout, re.M)
    if not match:
        raise SystemExit(f"wrk failed: {out.stdout}\n{out.stderr}")
    n, us, p50, p99, bad, errors = (int(v) for v in match.groups())
    return Result(n, us / 1e6, p50 / 1000, p99 / 1000, bad, errors)


def get(port: int, path: str, cookie: str = "") -> tuple[int, str, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace"), response
    finally:
        conn.close()


def padded_pdf(size: int) -> bytes:
    """A valid one-page PDF padded to about ``size`` bytes."""
    return one_page_pdf("Bench document", size=size)


def multipart(fields: dict[str, str], file_field: str, filename: str, content: bytes) -> bytes:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; '
                 f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
                 + content + b"\r\n")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def seed_organization(database_url: str, snils: str) -> int:
    """An organization whose head is the signed-in person (its administrator)."""
    from sqlalchemy import create_engine, text

    from registry.extensions import utcnow
    from registry.identifiers import make_inn, make_ogrn

    now = utcnow().replace(tzinfo=None)
    ogrn, inn = make_ogrn("102770000123"), make_inn("770100012")
    party = {"kind": "ul", "ogrn": ogrn, "inn": inn, "kpp": "770101001",
             "full_name": "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «ЗАМЕР»", "short_name": "ООО «ЗАМЕР»",
             "address": "г. Москва, ул. Тверская, д. 1", "status": "Действующее",
             "head": {"full_name": "Иванов Иван Иванович", "position": "Генеральный директор"}}
    engine = create_engine(database_url)
    with engine.begin() as conn:
        user_id = conn.execute(text("SELECT id FROM users WHERE snils = :s"), {"s": snils}).scalar_one()
        conn.execute(text(
            "INSERT INTO organizations (kind, ogrn, inn, kpp, full_name, short_name, status, "
            "egrul_confirmed, data, party, version, registered_at, updated_at) VALUES ('ul', :ogrn, "
            ":inn, '770101001', 'ООО «ЗАМЕР»', 'ЗАМЕР', 'registered', true, '{}', :party, 1, :now, "
            ":now)"), {"ogrn": ogrn, "inn": inn, "now": now, "party": json.dumps(party)})
        org_id = conn.execute(text("SELECT max(id) FROM organizations")).scalar_one()
        conn.execute(text(
            "INSERT INTO memberships (organization_id, user_id, status, roles, version, created_at, "
            "updated_at) VALUES (:o, :u, 'active', '[\"admin\", \"applications\"]', 1, :now, :now)"),
            {"o": org_id, "u": user_id, "now": now})
    engine.dispose()
    return org_id


def count_documents(url: str) -> int:
    from sqlalchemy import create_engine, text
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM documents")).scalar_one()
    engine.dispose()
    return count


@contextlib.contextmanager
def database(kind: str, tmp: Path):
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'registry.db'}"
        return
    from tests.helpers import fresh_postgres_database, postgres_server
    with postgres_server() as admin, fresh_postgres_database(admin) as url:
        yield url


def report(label: str, result: Result, base: Result | None, base_label: str) -> str:
    ratio = f"{result.rps / base.rps:5.2f}x {base_label}" if base and base.rps else ""
    errors = result.bad_status + result.socket_errors
    line = (f"  {label:<28}{result.rps:9.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
            f"p99 {result.p99_ms:7.1f} ms  {ratio}")
    if errors:
        line += f"  ({result.bad_status} bad status, {result.socket_errors} socket errors)"
    print(line, flush=True)
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--nodes", default="1,2", help="node counts to measure")
    parser.add_argument("--database", default="postgresql,sqlite",
                        help="comma-separated, measured in this order: postgresql (production) "
                             "and/or sqlite (the demo database)")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers per node (REGISTRY_WORKERS; default: the shipped "
                             "deploy/gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("REGISTRY_THREADS", 4)))
    parser.add_argument("--worker-class", default=os.environ.get("REGISTRY_WORKER_CLASS", "gthread"))
    parser.add_argument("--only", default="", help="comma-separated: home,organization,documents,upload")
    args = parser.parse_args(argv)
    node_counts = [int(n) for n in args.nodes.split(",")]
    wanted = set(filter(None, args.only.split(","))) or {"home", "organization", "documents", "upload"}
    kinds = [k for k in args.database.split(",") if k]
    if not kinds or set(kinds) - {"postgresql", "sqlite"}:
        parser.error("--database: postgresql and/or sqlite")
    for kind in kinds:
        args.database = kind
        measure(args, node_counts, wanted)
        print(flush=True)
    return 0


def measure(args, node_counts: list[int], wanted: set[str]) -> None:
    """One database's run: the stack started, the pages measured, the stack stopped."""
    from flask_migrate import upgrade

    from registry import create_app
    from registry.pki.demo_pki import build_demo_pki

    with tempfile.TemporaryDirectory(prefix="registry-bench-") as tmp_name:
        tmp = Path(tmp_name)
        pki = build_demo_pki(tmp / "pki", algorithms=("ecdsa",))
        head = pki.person("head", "ecdsa")
        with database(args.database, tmp) as url:
            instance = tmp / "instance"
            instance.mkdir()
            config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "REGISTRY_TRUST_STORE": str(pki.trust_dir), "REGISTRY_INSTANCE_PATH": str(instance)}
            app = create_app(config)
            with app.app_context():
                upgrade()
                from registry.extensions import db
                db.engine.dispose()
            (tmp / "bare.py").write_text(BARE_APP)
            env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench",
                       REGISTRY_TRUST_STORE=str(pki.trust_dir), REGISTRY_TRUSTED_PROXIES="unix",
                       REGISTRY_INSTANCE_PATH=str(instance), REGISTRY_LOG_LEVEL="WARNING",
                       REGISTRY_THREADS=str(args.threads),
                       REGISTRY_WORKER_CLASS=args.worker_class, PYTHONPATH=str(ROOT))
            if args.workers:
                env["REGISTRY_WORKERS"] = str(args.workers)
            workers = env.get("REGISTRY_WORKERS") or f"{max(2, os.cpu_count() or 1)}"
            env.pop("REGISTRY_PROXY_SECRET", None)
            run = tmp / "run"
            run.mkdir(mode=0o750)
            procs: list[subprocess.Popen] = []
            try:
                top = max(node_counts)
                sockets: dict[str, list[Path]] = {"registry": [], "bare": []}
                for kind, spec, chdir in (("registry", "wsgi:app", ROOT), ("bare", "bare:app", tmp)):
                    for i in range(top):
                        sock = run / f"{kind}-{i + 1}.sock"
                        procs.append(stack.start_gunicorn(spec, sock, env, chdir, tmp / f"{kind}-{i + 1}.log"))
                        sockets[kind].append(sock)
                groups = {(kind, n): stack.Group(f"{kind}_{n}", sockets[kind][:n], head.cert_path, head.key_path)
                          for kind in sockets for n in node_counts}
                procs.append(stack.start_nginx(run / "nginx", list(groups.values()),
                                               pki.server_cert_path, pki.server_key_path))
                print(f"bench.http: {args.database}, gunicorn {args.worker_class} "
                      f"{workers} workers x {args.threads} threads per node, nginx, "
                      f"wrk {args.connections} connections, {args.duration:g} s each", flush=True)
                some = groups[("registry", node_counts[0])].port
                try:
                    status, page, response = get(some, "/")
                except OSError as exc:
                    raise SystemExit(f"sign-in through nginx: {exc}\n"
                                     + (tmp / "registry-1.log").read_text()[-3000:]) from exc
                if status != 200 or "Здравствуйте" not in page:
                    raise SystemExit(f"sign-in through nginx failed: {status} {page[:500]}")
                cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
                from registry.pki.certificate import load_certificate
                snils = load_certificate(head.cert_path.read_bytes()).snils
                org_id = seed_organization(url.replace("postgresql://", "postgresql+psycopg://", 1)
                                           if url.startswith("postgresql://") else url, snils)
                status, form, _ = get(some, f"/organizations/{org_id}/documents/new", cookie)
                token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form) or \
                    re.search(r'name="csrf_token" value="([^"]+)"', form)
                if status != 200 or not token:
                    raise SystemExit(f"upload form: {status} {form[:500]}")
                body_file = tmp / "upload.body"
                body_file.write_bytes(multipart(
                    {"csrf_token": token.group(1), "doc_type": "charter", "number": "1",
                     "doc_date": "01.02.2024", "expires_on": "01.02.2030"},
                    "file", "устав.pdf", padded_pdf(UPLOAD_MB * 2**20)))
                upload_headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                                  "Referer": f"https://localhost/organizations/{org_id}/documents/new"}
                pages = [("home", "signed-in page /", "/"),
                         ("organization", "organization page", f"/organizations/{org_id}"),
                         ("documents", "«Документы организации»", f"/organizations/{org_id}/documents")]
                for _key, _label, path in pages:  # every page answers 200 before it is measured
                    status, text, _ = get(some, path, cookie)
                    if status != 200:
                        raise SystemExit(f"{path}: {status}\n"
                                         + (tmp / "registry-1.log").read_text()[-3000:])
                common = {"connections": args.connections, "tmp": tmp}
                summary: dict[tuple[str, int], Result] = {}
                # Pages first for every node count, uploads last: the documents they add would
                # lengthen the pages measured after them.
                for n in node_counts:
                    reg, bare = groups[("registry", n)].port, groups[("bare", n)].port
                    wrk(reg, "/", cookie=cookie, duration=1, **common)  # warm-up
                    wrk(bare, "/", duration=1, **common)
                    print(f"\n{n} node{'s' if n > 1 else ''}:")
                    base = wrk(bare, "/", duration=args.duration, **common)
                    report("bare Flask GET /", base, None, "")
                    summary[("bare", n)] = base
                    for key, label, path in pages:
                        if key in wanted:
                            result = wrk(reg, path, cookie=cookie, duration=args.duration, **common)
                            summary[(key, n)] = result
                            report(label, result, base, "bare")
                for n in node_counts if "upload" in wanted else ():
                    reg, bare = groups[("registry", n)].port, groups[("bare", n)].port
                    print(f"\n{n} node{'s' if n > 1 else ''}, uploads:")
                    # 50 bodies of 5 MB at once take seconds to get through: measure longer
                    long = max(args.duration, 10)
                    upload_base = wrk(bare, "/upload", method="POST", headers=upload_headers,
                                      body_file=body_file, duration=long, **common)
                    report(f"bare Flask POST {UPLOAD_MB} MB", upload_base, None, "")
                    result = wrk(reg, f"/organizations/{org_id}/documents/new", method="POST",
                                 cookie=cookie, headers=upload_headers, body_file=body_file,
                                 duration=long, **common)
                    summary[("upload", n)] = result
                    report(f"upload {UPLOAD_MB} MB PDF", result, upload_base, "bare")
                    print(f"  ({count_documents(url)} documents stored so far)")
                if len(node_counts) > 1:
                    one, two = node_counts[0], node_counts[-1]
                    print(f"\n{two} nodes against {one} (this machine has {os.cpu_count()} cores, "
                          "shared by the nodes, nginx and wrk):")
                    for key in ("bare", "home", "organization", "documents", "upload"):
                        if (key, one) in summary and summary[(key, one)].rps:
                            print(f"  {key:<14}{summary[(key, two)].rps / summary[(key, one)].rps:6.2f}x")
                home = summary.get(("home", node_counts[0]))
                if home:
                    ratio = home.rps / summary[("bare", node_counts[0])].rps
                    ok = ratio >= 0.5 and home.p99_ms < 150
                    print(f"\nsigned-in page, {node_counts[0]} node: {ratio:.2f}x bare Flask, "
                          f"p99 {home.p99_ms:.0f} ms (targets >= 0.5x, < 150 ms: "
                          f"{'ok' if ok else 'MISSED'})")
            finally:
                for proc in reversed(procs):
                    stack.stop(proc)


if __name__ == "__main__":
    sys.exit(main())
