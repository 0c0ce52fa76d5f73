"""nginx (the shipped site file) in front of gunicorn nodes, for the benchmarks and the deploy tests.

The shipped deploy/nginx/registry.conf is rendered once per balanced group of nodes (ports,
certificate paths and the upstream's servers replaced, nothing else), so requests go through
the same TLS, client-certificate and proxy settings as in production, and the nodes are
gunicorn with deploy/gunicorn.conf.py on unix sockets (REGISTRY_TRUSTED_PROXIES=unix: the
certificate header is believed on that channel only).

Load generators such as wrk cannot present a client certificate, so a group can also get a
*client side*: a plain-HTTP listener on 127.0.0.1 that forwards to the group's TLS port
presenting one person's certificate and key (``proxy_ssl_certificate``), over kept-alive TLS
connections, as a browser would. A bare Flask app behind the same two hops is the baseline.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "registry.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
OPENSSL_GOST_CONF = ROOT / "deploy" / "nginx" / "openssl-gost.cnf"
SHIPPED_UPSTREAM = "server unix:/run/registry/gunicorn.sock;"
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, log: Path | None = None,
                  timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}: {_tail(log)}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}: {_tail(log)}")


def wait_for_socket(path: Path, proc: subprocess.Popen, log: Path | None = None,
                    timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}: {_tail(log)}")
        if path.exists():
            with socket.socket(socket.AF_UNIX) as sock:
                try:
                    sock.connect(str(path))
                    return
                except OSError:
                    pass
        time.sleep(0.05)
    raise RuntimeError(f"{path} did not come up: {_tail(log)}")


def _tail(log: Path | None) -> str:
    return log.read_text(errors="replace")[-3000:] if log and log.exists() else ""


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a process started here (by its pid only)."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def render_site(name: str, sockets: list[Path], https_port: int, http_port: int,
                tls_cert: Path, tls_key: Path, *, first: bool = True) -> str:
    """The shipped site file for one group of nodes (its own upstream name and ports)."""
    text = SITE.read_text()
    servers = "\n    ".join(f"server unix:{path};" for path in sockets)
    gost_cert, gost_key = tls_cert, tls_key  # the benchmarks do not need the GOST suites
    replacements = {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl default_server;": f"listen 127.0.0.1:{https_port} ssl default_server;",
        "listen 80 default_server;": f"listen 127.0.0.1:{http_port} default_server;",
        "server_name registry.example.ru;": "server_name localhost;",
        "/etc/registry/tls/server-gost.crt": str(gost_cert),
        "/etc/registry/tls/server-gost.key": str(gost_key),
        "/etc/registry/tls/server.crt": str(tls_cert),
        "/etc/registry/tls/server.key": str(tls_key),
        SHIPPED_UPSTREAM: servers,
        "upstream registry_app {": f"upstream {name} {{",
        "proxy_pass http://registry_app;": f"proxy_pass http://{name};",
    }
    for old, new in replacements.items():
        if old not in text:
            raise RuntimeError(f"{SITE} no longer contains {old!r}")
        text = text.replace(old, new)
    lines = [line for line in text.splitlines() if "listen [::]" not in line]
    if not first:  # http-level directives may appear once
        lines = [line for line in lines if not line.startswith("server_tokens")]
    text = "\n".join(lines) + "\n"
    if tls_cert == gost_cert:  # the same certificate twice is an error for nginx
        text = text.replace(f"    ssl_certificate     {gost_cert};\n    ssl_certificate_key {gost_key};\n", "", 1)
    return text


def client_side(name: str, listen_port: int, https_port: int, cert: Path | None,
                key: Path | None) -> str:
    """A plain-HTTP listener forwarding to ``https_port`` with a client certificate."""
    certificate = (f"        proxy_ssl_certificate {cert};\n"
                   f"        proxy_ssl_certificate_key {key};\n") if cert else ""
    return f"""
upstream {name}_tls {{
    server 127.0.0.1:{https_port};
    keepalive 64;
}}
server {{
    listen 127.0.0.1:{listen_port};
    client_max_body_size 45m;
    location / {{
        proxy_pass https://{name}_tls;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host localhost;
        proxy_ssl_session_reuse on;
        proxy_ssl_server_name on;  # the site answers only handshakes naming it
        proxy_ssl_name localhost;
        proxy_read_timeout 120s;
{certificate}    }}
}}
"""


def nginx_main_config(run: Path, sites: list[Path], workers: int = 2) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {run / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    includes = "\n".join(f"    include {site};" for site in sites)
    return (f"{user}worker_processes {workers};\npid {run / 'nginx.pid'};\n"
            f"error_log {run / 'nginx-error.log'} warn;\n"
            f"events {{ worker_connections 4096; }}\n"
            f"http {{\n    access_log off;\n{temp}\n{includes}\n}}\n")


@dataclass
class Group:
    """Nodes balanced by one rendered site; ``port`` is the plain-HTTP client side."""

    name: str
    sockets: list[Path]
    cert: Path | None = None
    key: Path | None = None
    https_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    port: int = field(default_factory=free_port)


def start_nginx(run: Path, groups: list[Group], tls_cert: Path, tls_key: Path,
                workers: int = 2) -> subprocess.Popen:
    run.mkdir(parents=True, exist_ok=True)
    sites = []
    for i, group in enumerate(groups):
        site = run / f"site-{group.name}.conf"
        site.write_text(render_site(group.name, group.sockets, group.https_port, group.http_port,
                                    tls_cert, tls_key, first=i == 0)
                        + client_side(group.name, group.port, group.https_port, group.cert,
                                      group.key))
        sites.append(site)
    main = run / "nginx.conf"
    main.write_text(nginx_main_config(run, sites, workers))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    log = run / "nginx-error.log"
    proc = subprocess.Popen([nginx, "-p", str(run), "-c", str(main), "-e", str(log),
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT,
                            env=dict(os.environ, OPENSSL_CONF=str(OPENSSL_GOST_CONF)))
    for group in groups:
        wait_for_port(group.port, proc, log)
        wait_for_port(group.https_port, proc, log)
    return proc


def start_gunicorn(app_spec: str, sock: Path, env: dict, chdir: Path, log: Path,
                   extra: list[str] | None = None) -> subprocess.Popen:
    """One node: gunicorn with the shipped settings on a unix socket."""
    sock.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    cmd = [str(VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "--bind", f"unix:{sock}",
           "--chdir", str(chdir), "--access-logfile", "/dev/null", *(extra or []), app_spec]
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for_socket(sock, proc, log)
    return proc
