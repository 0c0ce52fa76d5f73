"""A signature check survives the server being killed (kill -9) at any point of its life:
after a restart every pending check gets done.

Runs `registry demo serve` (its job queue in the instance's SQLite file, the consumer in the
same process) over a demo instance with ООО «РОМАШКА» registered, uploads documents with their
detached signatures over TLS with the head's client certificate and kills the process at
random moments — and at least once while it has taken the check's job off the queue and not
finished it (the job is then gone: only the document row says a check is owed).
"""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import sqlite3
import ssl
import subprocess
import threading
import time
import uuid
from datetime import timedelta

from registry.core import clock
from registry.pki.demo_pki import ORGANIZATION, PEOPLE

from ..factories import make_organization, make_user
from ..helpers import ROOT, VENV_BIN, free_port, stop, wait_for_port
from .conftest import cms_sign

HEAD = PEOPLE["head"]


def _registered_demo(directory) -> int:
    from registry import demo
    from registry.extensions import db
    from registry.members.models import Membership, Role

    app = demo.create_demo_app(directory)
    with app.app_context():
        head = make_user(full_name="Иванов Иван Иванович", snils=HEAD["snils"], inn=HEAD["inn"])
        organization = make_organization(ogrn=ORGANIZATION["ogrn"], inn=ORGANIZATION["inn"],
                                         name="ООО «РОМАШКА»", kpp=ORGANIZATION["kpp"],
                                         registered_by_id=head.id)
        db.session.add(Membership(organization_id=organization.id, user_id=head.id,
                                  status="active", roles=[Role.ADMIN.value, Role.APPLICATIONS.value]))
        db.session.commit()
        org_id = organization.id
        db.engine.dispose()
    return org_id


class Server:
    def __init__(self, directory):
        self.directory, self.port, self.proc = directory, free_port(), None

    def start(self):
        log = self.directory / f"serve-{time.monotonic_ns()}.log"
        env = dict(os.environ, REGISTRY_SIGNATURE_INLINE_MB="0")  # every check in the background
        for key in ("DATABASE_URL", "REGISTRY_INSTANCE_PATH", "REGISTRY_BROKER_URL"):
            env.pop(key, None)
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "registry"), "demo", "serve", "--dir", str(self.directory),
             "--port", str(self.port)], cwd=ROOT, env=env, stdout=log.open("wb"),
            stderr=subprocess.STDOUT)
        wait_for_port(self.port, proc=self.proc, log=log)

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


class Head:
    def __init__(self, pki, port):
        self.context = ssl.create_default_context(cafile=str(pki / "tls" / "ca.crt"))
        self.context.load_cert_chain(str(pki / "people" / "head-ecdsa.crt"),
                                     str(pki / "people" / "head-ecdsa.key"))
        self.port, self.cookie = port, None

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPSConnection("localhost", self.port, context=self.context,
                                           timeout=30)
        headers = dict(headers or {}, **({"Cookie": self.cookie} if self.cookie else {}))
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            cookie = response.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";", 1)[0]
            return response.status, text
        finally:
            conn.close()

    def upload(self, org_id, number, content, signature):
        """Posts the form; a connection cut by the kill is no answer (None)."""
        try:
            status, page = self.request("GET", f"/organizations/{org_id}/documents/new")
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            boundary = uuid.uuid4().hex
            fields = {"csrf_token": token, "doc_type": "charter", "number": number,
                      "doc_date": "01.02.2024",
                      "expires_on": (clock.today() + timedelta(days=365)).strftime("%d.%m.%Y")}
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                     .encode() for k, v in fields.items()]
            for name, filename, data, kind in (
                    ("file", "устав.xml", content, "application/xml"),
                    ("signature", "устав.xml.sig", signature, "application/pkcs7-signature")):
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                             f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'.encode()
                             + data + b"\r\n")
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            return self.request("POST", f"/organizations/{org_id}/documents/new", body, {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": f"https://localhost:{self.port}/organizations/{org_id}/documents/new"})
        except (OSError, http.client.HTTPException, AttributeError):
            return None


def _states(db_path) -> dict[str, str]:
    """number -> "pending" / "done" of every document, read beside the running server."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as conn:
        rows = conn.execute("SELECT number, checked_at FROM documents").fetchall()
    return {number: "done" if checked else "pending" for number, checked in rows}


def _queued(jobs_path) -> int:
    with sqlite3.connect(f"file:{jobs_path}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute("SELECT count(*) FROM task").fetchone()[0]


def _kill_mid_check(server, db_path, jobs_path, number) -> bool:
    """Freeze the server again and again until its job for ``number`` is off the queue and the
    check not yet written, then kill it there; False when the check finished first."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            state = _states(db_path).get(number)
            if state == "done":
                return False
            if state == "pending" and _queued(jobs_path) == 0:
                server.kill()  # still stopped: it never finishes the check
                return True
        finally:
            if server.proc.poll() is None:
                os.kill(server.proc.pid, signal.SIGCONT)
        time.sleep(random.uniform(0, 0.004))
    return False


def test_every_pending_check_is_done_after_kill_9(copy_demo, tmp_path_factory, demo_pki):
    directory = copy_demo(tmp_path_factory.mktemp("crash") / "demo")
    org_id = _registered_demo(directory)
    pki, db_path, jobs_path = directory / "pki", directory / "registry.db", directory / "jobs.db"
    # large enough for the check to take a moment
    content = (b'<?xml version="1.0" encoding="UTF-8"?>\n<charter>'
               + os.urandom(4 * 1024 * 1024).hex().encode() + b"</charter>\n")
    tmp = tmp_path_factory.mktemp("crash-sign")
    signature = cms_sign(demo_pki, tmp, "head", "gost256", content)
    server = Server(directory)
    rng = random.Random()
    lost_mid_check = 0
    try:
        for attempt in range(8):
            server.start()
            head = Head(pki, server.port)
            number = f"К-{attempt}"
            if attempt % 2 == 0:
                # kill -9 at a random moment of the upload (before, during, after its commit)
                worker = threading.Thread(target=head.upload,
                                          args=(org_id, number, content, signature))
                worker.start()
                time.sleep(rng.uniform(0.05, 1.5))
                server.kill()
                worker.join(30)
            else:
                answer = head.upload(org_id, number, content, signature)
                assert answer is not None and answer[0] == 302, answer
                lost_mid_check += _kill_mid_check(server, db_path, jobs_path, number)
            if lost_mid_check >= 2 and attempt >= 3:
                break
        assert lost_mid_check >= 1, "the server was never caught in the middle of a check"
        states = _states(db_path)
        assert "pending" in states.values(), states  # what the restart must finish
        server.start()  # the restart
        deadline = time.monotonic() + 120
        while "pending" in _states(db_path).values() and time.monotonic() < deadline:
            time.sleep(0.5)
        final = _states(db_path)
        assert final and set(final.values()) == {"done"}, final
        status, page = Head(pki, server.port).request("GET", f"/organizations/{org_id}/documents")
        assert status == 200 and "проверяется" not in page
    finally:
        if server.proc is not None and server.proc.poll() is None:
            stop(server.proc)
