"""CPU per signed-in request, in-process, against a bare Flask app in the same run.

    .venv/bin/python -m bench.hot [--requests 2000] [--profile 25] [--only home,organization,documents]

Builds the registry as ``bench.http`` does (demo PKI, SQLite, migrations), signs the head in
through the production path (the client certificate in ``X-SSL-Client-Cert`` on the trusted
unix-socket channel, as nginx sends it), seeds an organization they administer, then runs
``--requests`` GETs of each page with Flask's test client and prints the CPU milliseconds per
request (``time.process_time``, so other processes on a shared machine do not count), the same
for a bare Flask app and the ratio, and with ``--profile N`` the top N functions of a cProfile
run of each page by cumulative and by own time.

``empty`` (a route this benchmark adds to its own app, answering a short text) is the floor of
any signed-in page: the session lookup with the header's facts, the certificate check, the unit
of work, the security headers and metrics, with no template and no page queries.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PAGE = "<!doctype html><html lang=ru><head><title>bare</title></head><body>" + "x" * 2000 + "</body></html>"


def bare_app():
    from flask import Flask

    app = Flask("bare")

    @app.route("/")
    def index():
        return PAGE

    return app


def cpu_per_request(client, path: str, n: int, environ: dict) -> float:
    """CPU milliseconds per GET of ``path`` (answering 200) over ``n`` requests."""
    for _ in range(20):  # warm-up: caches, compiled statements, templates
        client.get(path, environ_base=environ)
    start = time.process_time()
    for _ in range(n):
        response = client.get(path, environ_base=environ)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
    return (time.process_time() - start) * 1000 / n


def profile(client, path: str, n: int, environ: dict, top: int) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        client.get(path, environ_base=environ)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", type=int, default=0, help="print the top N of a profile")
    parser.add_argument("--only", default="", help="comma-separated: empty,home,organization,documents")
    args = parser.parse_args(argv)
    wanted = set(filter(None, args.only.split(","))) or {"empty", "home", "organization", "documents"}

    import logging

    from flask_migrate import upgrade

    from bench.http import seed_organization
    from registry import create_app
    from registry.pki.certificate import load_certificate
    from registry.pki.demo_pki import build_demo_pki

    with tempfile.TemporaryDirectory(prefix="registry-hot-") as tmp_name:
        tmp = Path(tmp_name)
        pki = build_demo_pki(tmp / "pki", algorithms=("ecdsa",))
        head = pki.person("head", "ecdsa")
        url = f"sqlite:///{tmp / 'registry.db'}"
        instance = tmp / "instance"
        instance.mkdir()
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "REGISTRY_TRUST_STORE": str(pki.trust_dir),
                          "REGISTRY_INSTANCE_PATH": str(instance),
                          "REGISTRY_TRUSTED_PROXIES": "unix"})
        logging.getLogger().setLevel(logging.WARNING)
        # the floor of a signed-in page (not public: the sign-in hook runs), on this app only
        app.add_url_rule("/bench-empty", "bench_empty", lambda: "x" * 2000)
        with app.app_context():
            upgrade()
        # What nginx sends on the unix socket: the URL-escaped PEM and no peer address.
        environ = {"HTTP_X_SSL_CLIENT_CERT": quote(head.cert_path.read_text(), safe=""),
                   "REMOTE_ADDR": "", "REMOTE_PORT": ""}
        client = app.test_client()
        first = client.get("/", base_url="https://localhost", environ_base=environ)
        if first.status_code != 200 or "Здравствуйте" not in first.text:
            raise SystemExit(f"sign-in failed: {first.status_code} {first.text[:500]}")
        org_id = seed_organization(url, load_certificate(head.cert_path.read_bytes()).snils)
        environ["wsgi.url_scheme"] = "https"
        environ["HTTP_HOST"] = "localhost"

        bare = bare_app().test_client()
        base = cpu_per_request(bare, "/", args.requests, {})
        print(f"bench.hot: {args.requests} GETs each, CPU ms/request (process_time)")
        print(f"  {'bare Flask /':<28}{base:7.3f} ms")
        pages = [("empty", "/bench-empty"), ("home", "/"), ("organization", f"/organizations/{org_id}"),
                 ("documents", f"/organizations/{org_id}/documents")]
        for key, path in pages:
            if key not in wanted:
                continue
            ms = cpu_per_request(client, path, args.requests, environ)
            print(f"  {key + ' ' + path:<28}{ms:7.3f} ms  {base / ms:5.2f}x bare "
                  f"(bare/registry CPU)", flush=True)
            if args.profile:
                print(profile(client, path, min(args.requests, 500), environ, args.profile))
        with app.app_context():
            from registry.extensions import db
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
