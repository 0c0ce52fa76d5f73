"""The SQLite default under concurrent writers: a real gunicorn (the shipped configuration),
20 writers saving «Мой профиль» at once, no answer ≥ 500."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

from .helpers import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WRITERS = 20
SAVES = 8


PROXY_SECRET = "writers-test-proxy-secret"


class Writer:
    def __init__(self, port: int, pem: str, n: int):
        self.port, self.n = port, n
        self.headers = {"X-SSL-Client-Cert": urllib.parse.quote(pem), "X-Forwarded-Proto": "https",
                        "X-Forwarded-For": f"192.0.2.{n + 1}",
                        # As nginx sends it over TCP (deploy/README.md: the sealed channel).
                        "X-Registry-Proxy-Secret": PROXY_SECRET}
        self.cookie = ""
        self.statuses: list[int] = []

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = dict(self.headers)
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("registry_session="):
                    self.cookie = value.split(";", 1)[0]
            self.statuses.append(response.status)
            return response.status, text
        finally:
            conn.close()

    def run(self) -> None:
        _status, page = self.request("GET", "/profile")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            return
        for i in range(SAVES):
            body = urllib.parse.urlencode({"csrf_token": token.group(1), "email": f"w{self.n}@example.org",
                                           "phone": "", "position": f"Должность {i}", "department": ""})
            self.request("POST", "/profile", body)


def test_twenty_writers_on_sqlite_get_no_server_errors(tmp_path, demo_pki):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'registry.db'}", "SECRET_KEY": "x",
           "REGISTRY_INSTANCE_PATH": str(tmp_path), "REGISTRY_TRUST_STORE": str(demo_pki.trust_dir),
           "REGISTRY_TRUSTED_PROXIES": "127.0.0.1", "REGISTRY_PROXY_SECRET": PROXY_SECRET,
           "REGISTRY_WORKERS": "4",
           "REGISTRY_BROKER_URL": "immediate"}
    subprocess.run([str(BIN / "registry"), "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                               "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT)
    people = ["head", "employee1", "ip"]  # (employee2 is the demo revoked certificate)
    writers = [Writer(port, demo_pki.person(people[n % len(people)], "ecdsa").pem, n)
               for n in range(WRITERS)]
    try:
        wait_for_port(port, proc=server, log=log)
        threads = [threading.Thread(target=w.run) for w in writers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        stop(server, timeout=20)
    statuses = [s for w in writers for s in w.statuses]
    assert len(statuses) == WRITERS * (SAVES + 1), ([w.statuses[:1] for w in writers], log.read_text()[-1500:])
    assert [s for s in statuses if s >= 500] == [], log.read_text()[-3000:]
    assert statuses.count(302) == WRITERS * SAVES  # every save went through
