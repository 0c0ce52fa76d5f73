"""20 MB padded PDFs uploaded through the shipped nginx site into one node with the shipped
gunicorn settings (two workers) on PostgreSQL: each upload answers within 2 s (the signature
check goes to the background queue) and /healthz keeps answering within 1 s while three such
uploads run."""

from __future__ import annotations

import re
import threading
import time

import pytest
from flask_migrate import upgrade

from bench import stack
from bench.http import BOUNDARY, multipart, padded_pdf, seed_organization
from registry import create_app
from registry.extensions import db
from registry.pki.certificate import load_certificate

from ..conftest import TEST_SECRET
from ..helpers import ROOT, client_tls, fresh_postgres_database, tls_request

# Its limits are seconds of wall-clock time: measured alone, not beside other test processes.
pytestmark = pytest.mark.serial

SIZE = 20 * 2**20 - 64 * 1024  # just under REGISTRY_UPLOAD_MAX_MB (20)


CONTEXT: dict = {}


def request(port, method, path, cookie="", body=None, headers=None, timeout=60):
    """Over TLS straight to nginx with the head's certificate, as a browser sends it."""
    return tls_request(port, CONTEXT["tls"], method, path, cookie, body, headers, timeout)


@pytest.fixture(scope="module")
def node(demo_pki, tmp_path_factory, postgres_admin_url):
    # PostgreSQL, as in production: on SQLite the three uploads also queue for the write lock
    with fresh_postgres_database(postgres_admin_url) as url:
        yield from _node(demo_pki, tmp_path_factory, url)


def _node(demo_pki, tmp_path_factory, url):
    tmp = tmp_path_factory.mktemp("uploads")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": TEST_SECRET,
                      "REGISTRY_TRUST_STORE": str(demo_pki.trust_dir),
                      "REGISTRY_INSTANCE_PATH": str(tmp)})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    import os
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=TEST_SECRET, PYTHONPATH=str(ROOT),
               REGISTRY_TRUST_STORE=str(demo_pki.trust_dir), REGISTRY_TRUSTED_PROXIES="unix",
               REGISTRY_INSTANCE_PATH=str(tmp), REGISTRY_WORKERS="2")
    env.pop("REGISTRY_PROXY_SECRET", None)
    run = tmp / "run"
    head = demo_pki.person("head", "ecdsa")
    gunicorn = stack.start_gunicorn("wsgi:app", run / "app.sock", env, ROOT, tmp / "gunicorn.log")
    group = stack.Group("registry_app", [run / "app.sock"], head.cert_path, head.key_path)
    nginx = None
    CONTEXT["tls"] = client_tls(demo_pki, head)
    try:
        nginx = stack.start_nginx(tmp / "nginx", [group], demo_pki.server_cert_path,
                                  demo_pki.server_key_path, workers=1)
        status, page, response = request(group.https_port, "GET", "/")
        assert status == 200 and "Здравствуйте" in page, page[:500]
        cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
        org_id = seed_organization(url, load_certificate(head.cert_path.read_bytes()).snils)
        status, form, _ = request(group.https_port, "GET", f"/organizations/{org_id}/documents/new",
                                  cookie)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        assert status == 200 and token, form[:500]
        yield {"port": group.https_port, "cookie": cookie, "org_id": org_id, "token": token.group(1),
               "url": url, "log": tmp / "gunicorn.log"}
    finally:
        if nginx is not None:
            stack.stop(nginx)
        stack.stop(gunicorn)


def upload(node, number: str) -> tuple[int, float, str]:
    body = multipart({"csrf_token": node["token"], "doc_type": "charter", "number": number,
                      "doc_date": "01.02.2024", "expires_on": "01.02.2030"},
                     "file", f"устав-{number}.pdf", padded_pdf(SIZE))
    started = time.perf_counter()
    status, page, response = request(
        node["port"], "POST", f"/organizations/{node['org_id']}/documents/new", node["cookie"],
        body, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
               "Referer": f"https://localhost/organizations/{node['org_id']}/documents/new"})
    return status, time.perf_counter() - started, response.getheader("Location") or page[:300]


def test_padded_pdf_upload_returns_quickly_and_health_answers_meanwhile(node):
    status, elapsed, location = upload(node, "solo")
    assert status == 302, location
    assert elapsed < 2, f"a 20 MB upload took {elapsed:.2f} s"
    status, page, _ = request(node["port"], "GET", location, node["cookie"])
    assert status == 200 and "устав-solo.pdf" in page

    results: list[tuple[int, float, str]] = []
    threads = [threading.Thread(target=lambda i=i: results.append(upload(node, f"n{i}")))
               for i in range(3)]
    for thread in threads:
        thread.start()
    health: list[float] = []
    time.sleep(0.2)  # the three bodies are on their way
    while any(t.is_alive() for t in threads):
        started = time.perf_counter()
        status, body, _ = request(node["port"], "GET", "/healthz", timeout=10)
        health.append(time.perf_counter() - started)
        assert status == 200, body
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert [r[0] for r in results] == [302, 302, 302], results
    assert health, "the uploads finished before /healthz was asked"
    assert max(health) < 1, f"/healthz took {max(health):.2f} s while three uploads ran"
    slowest = max(r[1] for r in results)
    print(f"solo {elapsed:.2f} s; three at once: {sorted(round(r[1], 2) for r in results)}; "
          f"/healthz slowest {max(health):.2f} s of {len(health)}")
    assert slowest < 2, f"three 20 MB uploads at once: the slowest took {slowest:.2f} s"
