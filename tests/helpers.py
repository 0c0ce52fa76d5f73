"""Helpers for tests that run real servers: free ports, waiting, process lifetimes, databases."""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
VENV_BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get("REGISTRY_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 20,
                  proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}: "
                               f"{log.read_text()[-3000:] if log and log.exists() else ''}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def _children(pid: int) -> list[int]:
    """The direct children of ``pid`` (from /proc; empty where there is none)."""
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Stop a process this test suite started (by its pid; a process that does not stop in
    time is killed with its children, e.g. gunicorn's workers, so none outlives the test)."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        children = _children(proc.pid)
        proc.kill()
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        proc.wait(5)


# --- PostgreSQL -----------------------------------------------------------------------------

def _can_connect(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


class _TempCluster:
    """A throwaway PostgreSQL cluster for machines without a running server."""

    def __init__(self):
        initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not initdbs:
            raise RuntimeError("PostgreSQL is not installed and no server answers at "
                               f"{POSTGRES_URL}; `make test` installs it (postgresql)")
        self.bin = Path(initdbs[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="registry-pg-"))
        self.port = free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        data = self.dir / "data"
        subprocess.run(self.prefix + [str(self.bin / "initdb"), "-D", str(data), "-A", "trust",
                                      "-U", "postgres", "-E", "UTF8"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(self.prefix + [str(self.bin / "pg_ctl"), "-D", str(data), "-w", "-l",
                                      str(self.dir / "log"), "-o",
                                      f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                                      "start"], check=True, stdout=subprocess.DEVNULL)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def close(self) -> None:
        subprocess.run(self.prefix + [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"),
                                      "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def postgres_server():
    """The admin URL of a PostgreSQL server: the local one, or a temporary cluster."""
    if _can_connect(POSTGRES_URL):
        yield POSTGRES_URL
        return
    cluster = _TempCluster()
    try:
        yield cluster.url
    finally:
        cluster.close()


@contextlib.contextmanager
def fresh_postgres_database(admin_url: str):
    """Create a uniquely named database, yield its SQLAlchemy URL, drop it afterwards."""
    name = f"registry_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def periods_between(app, name: str, start, end) -> set:
    """The period starts of periodic job ``name`` that a time window [start, end] touches (one,
    or two when the window crossed the job's period boundary: a 5-minute job at 17:00, say)."""
    from registry import jobs

    every = jobs.PERIODIC[name].every(app)
    return {jobs.period_start(every, start), jobs.period_start(every, end)}


def as_utc(value):
    """A stored UTC time as read back (naive from some drivers) made aware."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def client_tls(demo_pki, cert=None) -> ssl.SSLContext:
    """A TLS client trusting the demo server, presenting ``cert`` (a demo person) if given."""
    context = ssl.create_default_context(cafile=str(demo_pki.server_cert_path.parent / "ca.crt"))
    if cert is not None:
        context.load_cert_chain(str(cert.cert_path), str(cert.key_path))
    return context


def tls_request(port: int, context: ssl.SSLContext, method: str = "GET", path: str = "/", cookie: str = "",
                body: bytes | None = None, headers: dict | None = None, timeout: float = 60):
    """One request over TLS to localhost: (status, text, response), as a browser sends it."""
    conn = http.client.HTTPSConnection("localhost", port, context=context, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={**({"Cookie": cookie} if cookie else {}),
                                                        **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace"), response
    finally:
        conn.close()


@contextlib.contextmanager
def statements(app):
    """Every SQL statement the application runs inside the block, as ``(sql, parameters)``."""
    from sqlalchemy import event

    from registry.extensions import db

    seen: list[tuple[str, object]] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, parameters, *args):
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):  # the tests' own nesting
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def run_registry(*args, cwd=ROOT, **env) -> subprocess.CompletedProcess:
    """`registry ARGS` as a person types it, in ``cwd``, with no instance settings of the test
    process (only those given in ``env``)."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DATABASE_URL", "REGISTRY_INSTANCE_PATH", "REGISTRY_DEMO_DIR")}
    environment.update(env)
    return subprocess.run([str(VENV_BIN / "registry"), *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)
