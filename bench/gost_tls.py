"""GOST TLS against ECDSA TLS through the shipped nginx configuration, in the same run.

nginx (deploy/nginx/registry.conf, GOST engine through deploy/nginx/openssl-gost.cnf) in front
of gunicorn (deploy/gunicorn.conf.py, unix socket, 2 workers). Each sample is one new TLS 1.2
connection (full handshake with a client certificate, no session resumption) plus the signed-in
home page over it: GOST2012-KUZNYECHIK-KUZNYECHIKOMAC with a GOST-256 certificate against
ECDHE-ECDSA-AES128-GCM-SHA256 with an ECDSA one, in alternating rounds; the medians compared.

    .venv/bin/python bench/gost_tls.py [--requests 200] [--rounds 3]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# bench/http.py would shadow the standard library's `http` package for everything below.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
ROOT = Path(__file__).resolve().parent.parent
# The GOST engine must be configured before OpenSSL initializes in this process (ssl import).
os.environ["OPENSSL_CONF"] = str(ROOT / "deploy" / "nginx" / "openssl-gost.cnf")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, str(ROOT))

SUITES = {"gost": "GOST2012-KUZNYECHIK-KUZNYECHIKOMAC", "ecdsa": "ECDHE-ECDSA-AES128-GCM-SHA256"}
CERTS = {"gost": "gost256", "ecdsa": "ecdsa"}


def _nginx_demo():
    spec = importlib.util.spec_from_file_location("nginx_demo", ROOT / "deploy" / "nginx_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def context(kind: str, cert) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the server's chain is not what is measured
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(SUITES[kind])
    ctx.options |= ssl.OP_NO_TICKET
    ctx.load_cert_chain(str(cert.cert_path), str(cert.key_path))
    return ctx


def fetch(port: int, ctx: ssl.SSLContext, cookie: str | None) -> tuple[bytes, str]:
    """One new connection, full handshake, GET /; returns (response, negotiated cipher)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            headers = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            if cookie:
                headers += f"Cookie: {cookie}\r\n"
            tls.sendall((headers + "\r\n").encode())
            chunks = []
            while chunk := tls.recv(65536):
                chunks.append(chunk)
            return b"".join(chunks), tls.cipher()[0]


def sign_in(port: int, ctx: ssl.SSLContext, kind: str) -> str:
    data, cipher = fetch(port, ctx, None)
    if cipher != SUITES[kind] or "Здравствуйте".encode() not in data:
        raise SystemExit(f"{kind}: sign-in failed ({cipher}): {data[:300]!r}")
    for line in data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n"):
        if line.lower().startswith("set-cookie: registry_session="):
            return line.split(":", 1)[1].strip().split(";", 1)[0]
    raise SystemExit("no session cookie")


def wait_for(check, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        if check():
            return
        time.sleep(0.05)
    raise SystemExit(f"{what} did not start")


def _connects(family, address) -> bool:
    with socket.socket(family) as s:
        return s.connect_ex(address) == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="per round and suite")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from registry import create_app
    from registry.pki.demo_pki import build_demo_pki
    from registry.web.gost_tls import ensure_gost_server_certificate

    demo = _nginx_demo()
    with tempfile.TemporaryDirectory(prefix="registry-bench-gost-") as tmp_name:
        tmp = Path(tmp_name)
        pki = build_demo_pki(tmp / "pki", algorithms=("gost256", "ecdsa"))
        tls_dir = pki.server_cert_path.parent
        ensure_gost_server_certificate(tls_dir)
        config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'registry.db'}",
                  "SECRET_KEY": "bench", "REGISTRY_TRUST_STORE": str(pki.trust_dir),
                  "REGISTRY_INSTANCE_PATH": str(tmp)}
        with create_app(config).app_context():
            upgrade()
        run = tmp / "run"
        run.mkdir(mode=0o750)
        sock = run / "gunicorn.sock"
        port = free_port()
        site = run / "registry.conf"
        site.write_text(demo.render_site(port, free_port(), tls_dir, sock))
        main_conf = run / "nginx.conf"
        main_conf.write_text(demo.main_config(run, site))
        env = {k: v for k, v in os.environ.items() if k != "OPENSSL_CONF"}
        env.update(DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="bench",
                   REGISTRY_TRUST_STORE=str(pki.trust_dir), REGISTRY_TRUSTED_PROXIES="unix",
                   REGISTRY_INSTANCE_PATH=str(tmp), REGISTRY_LOG_LEVEL="WARNING")
        procs = []
        try:
            gunicorn = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c",
                 str(ROOT / "deploy" / "gunicorn.conf.py"), "--bind", f"unix:{sock}",
                 "--workers", "2", "--access-logfile", "/dev/null", "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(gunicorn)
            wait_for(lambda: _connects(socket.AF_UNIX, str(sock)), gunicorn, "gunicorn")
            nginx = subprocess.Popen(
                [shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(run), "-c",
                 str(main_conf), "-e", str(run / "nginx-error.log"), "-g", "daemon off;"],
                env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(nginx)
            wait_for(lambda: _connects(socket.AF_INET, ("127.0.0.1", port)), nginx, "nginx")

            contexts = {kind: context(kind, pki.person("head", CERTS[kind])) for kind in SUITES}
            cookies = {kind: sign_in(port, ctx, kind) for kind, ctx in contexts.items()}
            samples: dict[str, list[float]] = {kind: [] for kind in SUITES}
            for kind in SUITES:  # warm-up
                for _ in range(10):
                    fetch(port, contexts[kind], cookies[kind])
            medians: dict[str, list[float]] = {kind: [] for kind in SUITES}
            for i in range(args.rounds):
                for kind in SUITES:
                    times = []
                    for _ in range(args.requests):  # bounded
                        start = time.perf_counter()
                        data, _cipher = fetch(port, contexts[kind], cookies[kind])
                        times.append(time.perf_counter() - start)
                        if not data.startswith(b"HTTP/1.1 200"):
                            raise SystemExit(f"unexpected response: {data[:200]!r}")
                    samples[kind] += times
                    medians[kind].append(statistics.median(times))
                    print(f"{kind:<6} #{i + 1}  median {statistics.median(times) * 1000:6.2f} ms"
                          f"   p90 {statistics.quantiles(times, n=10)[8] * 1000:6.2f} ms"
                          f"   ({SUITES[kind]})")
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait(15)
        gost = statistics.median(medians["gost"])
        ecdsa = statistics.median(medians["ecdsa"])
        print(f"median   GOST {gost * 1000:.2f} ms, ECDSA {ecdsa * 1000:.2f} ms per handshake + "
              "signed-in page (sequential, one client)")
        print(f"ratio    GOST/ECDSA time {gost / ecdsa:.2f} "
              f"(ECDSA/GOST throughput {ecdsa / gost:.2f})")


if __name__ == "__main__":
    main()
