"""`make demo-nginx`: the demo instance behind the shipped nginx configuration, GOST TLS included.

Sets the demo up as `make demo` does, adds a GOST server certificate to the demo PKI, then runs
gunicorn (deploy/gunicorn.conf.py) on a unix socket inside the demo directory and nginx
(deploy/nginx/registry.conf with the demo's ports and paths, the GOST engine loaded through
deploy/nginx/openssl-gost.cnf) in front of it, both in the foreground until Ctrl+C.

    python deploy/nginx_demo.py --dir instance/demo --port 8443
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "registry.conf"
OPENSSL_CONF = ROOT / "deploy" / "nginx" / "openssl-gost.cnf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


def render_site(https_port: int, http_port: int, tls_dir: Path, socket_path: Path) -> str:
    """The shipped site file with the demo's ports, certificates and socket."""
    text = SITE.read_text()
    for old, new in {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl default_server;": f"listen 127.0.0.1:{https_port} ssl default_server;",
        "listen 80 default_server;": f"listen 127.0.0.1:{http_port} default_server;",
        "server_name registry.example.ru;": "server_name localhost;",
        "/etc/registry/tls/server.crt": str(tls_dir / "server.crt"),
        "/etc/registry/tls/server.key": str(tls_dir / "server.key"),
        "/etc/registry/tls/server-gost.crt": str(tls_dir / "server-gost.crt"),
        "/etc/registry/tls/server-gost.key": str(tls_dir / "server-gost.key"),
        "server unix:/run/registry/gunicorn.sock;": f"server unix:{socket_path};",
    }.items():
        if old not in text:
            raise SystemExit(f"{SITE} no longer contains {old!r}")
        text = text.replace(old, new)
    return "\n".join(line for line in text.splitlines() if "listen [::]" not in line) + "\n"


def main_config(run: Path, site: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {run / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}worker_processes 1;\npid {run / 'nginx.pid'};\n"
            f"error_log {run / 'nginx-error.log'} info;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n    access_log {run / 'nginx-access.log'};\n{temp}\n"
            f"    include {site};\n}}\n")


def wait_for_socket(path: Path, proc: subprocess.Popen, timeout: float = 60) -> bool:
    """Wait until gunicorn accepts connections on its unix socket (so nginx never says 502)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket(socket.AF_UNIX) as sock:
            try:
                sock.connect(str(path))
                return True
            except OSError:
                time.sleep(0.1)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="instance/demo")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--http-port", type=int, default=8080)
    args = parser.parse_args(argv)
    directory = Path(args.dir).resolve()
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "registry"), "demo", "setup", "--dir", str(directory)],
                   cwd=ROOT, check=True)

    sys.path.insert(0, str(ROOT))
    from registry.demo import instructions
    from registry.web.gost_tls import ensure_gost_server_certificate

    tls_dir = directory / "pki" / "tls"
    ensure_gost_server_certificate(tls_dir)
    run = directory / "nginx"
    run.mkdir(mode=0o750, exist_ok=True)
    socket_path = run / "gunicorn.sock"
    site = run / "registry.conf"
    site.write_text(render_site(args.port, args.http_port, tls_dir, socket_path))
    main_conf = run / "nginx.conf"
    main_conf.write_text(main_config(run, site))

    env = dict(os.environ, DATABASE_URL=f"sqlite:///{directory / 'registry.db'}",
               REGISTRY_TRUST_STORE=str(directory / "pki" / "trust"),
               REGISTRY_INSTANCE_PATH=str(directory), REGISTRY_TRUSTED_PROXIES="unix",
               REGISTRY_WORKERS=os.environ.get("REGISTRY_WORKERS", "2"),
               REGISTRY_SITE_ORIGIN=os.environ.get("REGISTRY_SITE_ORIGIN")
               or f"https://localhost:{args.port}")
    gunicorn = subprocess.Popen([str(bin_dir / "gunicorn"), "-c", str(GUNICORN_CONF),
                                 "--bind", f"unix:{socket_path}", "wsgi:app"], cwd=ROOT, env=env)
    if not wait_for_socket(socket_path, gunicorn):
        print("gunicorn did not start", file=sys.stderr)
        gunicorn.terminate()
        return 1
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    nginx = subprocess.Popen([nginx_bin, "-p", str(run), "-c", str(main_conf),
                              "-e", str(run / "nginx-error.log"), "-g", "daemon off;"],
                             env=dict(os.environ, OPENSSL_CONF=str(OPENSSL_CONF)))
    url = f"https://localhost:{args.port}"
    print(instructions(directory, url))
    head = directory / "pki" / "people" / "head-gost256"
    print("\nGOST TLS (TLS 1.2, GOST2012-KUZNYECHIK-KUZNYECHIKOMAC) from the command line:\n"
          f"  OPENSSL_CONF={OPENSSL_CONF} openssl s_client -engine gost -tls1_2 "
          f"-cipher GOST2012-KUZNYECHIK-KUZNYECHIKOMAC -connect localhost:{args.port} "
          f"-cert {head}.crt -key {head}.key\n"
          f"GOST server certificate's CA: {tls_dir / 'ca-gost.crt'}")
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and gunicorn.poll() is None and nginx.poll() is None:
            time.sleep(0.5)
    finally:
        for proc in (nginx, gunicorn):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
