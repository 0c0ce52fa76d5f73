"""Requests per second of a signed-in registry page, against a bare Flask app.

Both are served the same way (gunicorn, deploy/gunicorn.conf.py, 2 workers, loopback) in the
same run, loaded in alternating rounds; the medians are compared. The registry request is a signed-in person's home page: certificate in
X-SSL-Client-Cert from a trusted proxy, as nginx sends it, plus the session cookie. Prints
requests per second, latency percentiles at 50 concurrent clients, and the ratio.

    .venv/bin/python bench/http.py [--clients 50] [--requests 3000] [--rounds 5]

Targets: ratio >= 0.5, registry p99 < 100 ms.
"""

from __future__ import annotations

import os
import sys

# This file is named like the standard library's `http` package; running it puts bench/ first
# on sys.path, which would shadow that package for everything imported below.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BARE_APP = '''
from flask import Flask

app = Flask(__name__)
PAGE = "<!doctype html><html lang=ru><head><title>bare</title></head><body>" + "x" * 2000 + "</body></html>"


@app.route("/")
def index():
    return PAGE
'''


# Over TCP the application believes the proxy's headers only with the shared secret.
PROXY_SECRET = "bench-proxy-secret"


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"server on port {port} did not start")


def gunicorn(app_spec: str, port: int, env: dict, chdir: Path) -> subprocess.Popen:
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
           "--bind", f"127.0.0.1:{port}", "--workers", "2", "--chdir", str(chdir),
           "--access-logfile", "/dev/null", app_spec]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, proc)
    return proc


async def one_request(port: int, request: bytes) -> tuple[float, bytes]:
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await reader.read()  # sync workers close the connection after the response
    writer.close()
    return time.perf_counter() - start, data


async def load(port: int, request: bytes, clients: int, total: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    per_client = total // clients

    async def client():
        for _ in range(per_client):  # bounded: every client makes the same number of requests
            elapsed, data = await one_request(port, request)
            if not data.startswith(b"HTTP/1.1 200"):
                raise SystemExit(f"unexpected response: {data[:200]!r}")
            latencies.append(elapsed)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - start, latencies


def build_request(headers: dict[str, str]) -> bytes:
    lines = ["GET / HTTP/1.1", "Host: localhost", "User-Agent: bench/http.py", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def sign_in(port: int, cert_header: str) -> str:
    """First request signs in; returns the session cookie for the signed-in requests."""
    _elapsed, data = asyncio.run(one_request(port, build_request({
        "X-SSL-Client-Cert": cert_header, "X-Forwarded-For": "127.0.0.1",
        "X-Registry-Proxy-Secret": PROXY_SECRET})))
    head, _, body = data.partition(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0] or "Здравствуйте".encode() not in body:
        raise SystemExit(f"sign-in failed: {data[:300]!r}")
    for line in head.decode("latin-1").split("\r\n"):
        if line.lower().startswith("set-cookie: registry_session="):
            return line.split(":", 1)[1].strip().split(";", 1)[0]
    raise SystemExit("no session cookie")


def report(name: str, elapsed: float, latencies: list[float]) -> float:
    rps = len(latencies) / elapsed
    q = statistics.quantiles(latencies, n=100)
    print(f"{name:<12} {rps:8.0f} req/s   p50 {q[49] * 1000:6.1f} ms   p99 {q[98] * 1000:6.1f} ms"
          f"   ({len(latencies)} requests)")
    return rps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000, help="per round and server")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from registry import create_app
    from registry.pki.demo import build_demo_pki

    with tempfile.TemporaryDirectory(prefix="registry-bench-") as tmp:
        tmp = Path(tmp)
        pki = build_demo_pki(tmp / "pki", algorithms=("ecdsa",))
        config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'registry.db'}",
                  "SECRET_KEY": "bench", "REGISTRY_TRUST_STORE": str(pki.trust_dir),
                  "REGISTRY_INSTANCE_PATH": str(tmp)}
        with create_app(config).app_context():
            upgrade()
        (tmp / "bare.py").write_text(BARE_APP)
        env = dict(os.environ, DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="bench",
                   REGISTRY_TRUST_STORE=str(pki.trust_dir), REGISTRY_TRUSTED_PROXIES="127.0.0.1",
                   REGISTRY_PROXY_SECRET=PROXY_SECRET,
                   REGISTRY_INSTANCE_PATH=str(tmp), REGISTRY_LOG_LEVEL="WARNING")

        cert_header = quote(pki.person("head", "ecdsa").pem, safe="")
        servers = {}
        try:
            # Both servers run for the whole benchmark and are loaded in alternating rounds,
            # so that a busy moment on the machine does not favour one of them.
            for name, spec, chdir in (("bare", "bare:app", tmp), ("registry", "wsgi:app", ROOT)):
                port = free_port()
                servers[name] = (port, gunicorn(spec, port, env, chdir))
            requests = {"bare": build_request({})}
            cookie = sign_in(servers["registry"][0], cert_header)
            requests["registry"] = build_request({"X-SSL-Client-Cert": cert_header,
                                                  "X-Registry-Proxy-Secret": PROXY_SECRET,
                                                  "Cookie": cookie})
            for name, (port, _proc) in servers.items():  # warm-up
                asyncio.run(load(port, requests[name], args.clients, args.clients * 4))

            rounds: dict[str, list[tuple[float, float]]] = {"bare": [], "registry": []}
            for i in range(args.rounds):
                for name, (port, _proc) in servers.items():
                    elapsed, latencies = asyncio.run(load(port, requests[name], args.clients,
                                                          args.requests))
                    rps = report(f"{name} #{i + 1}", elapsed, latencies)
                    rounds[name].append((rps, statistics.quantiles(latencies, n=100)[98]))
        finally:
            for _port, proc in servers.values():
                proc.terminate()
                proc.wait(10)

        bare_rps = statistics.median(r for r, _ in rounds["bare"])
        reg_rps = statistics.median(r for r, _ in rounds["registry"])
        p99 = statistics.median(p for _, p in rounds["registry"]) * 1000
        ratio = reg_rps / bare_rps
        print(f"median    bare {bare_rps:.0f} req/s, registry {reg_rps:.0f} req/s")
        print(f"ratio     {ratio:8.2f}   (target >= 0.5: {'ok' if ratio >= 0.5 else 'MISSED'})")
        print(f"p99       {p99:8.1f} ms (registry, {args.clients} clients; target < 100 ms: "
              f"{'ok' if p99 < 100 else 'MISSED'})")


if __name__ == "__main__":
    main()
