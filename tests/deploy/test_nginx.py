"""The shipped nginx configuration in front of gunicorn, with real client certificates.

nginx and gunicorn run on free high ports with a temporary configuration derived from
deploy/nginx/registry.conf (only ports, paths, the host name and the upstream address are
replaced), on a
fresh PostgreSQL database, as in production.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
from urllib.parse import quote

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from bench.stack import wait_for_socket
from registry import create_app
from registry.auth.models import User, VisitJournalEntry
from registry.extensions import db
from registry.web.gost_tls import ensure_gost_server_certificate

from ..conftest import TEST_SECRET, app_config
from ..helpers import ROOT, VENV_BIN, free_port, fresh_postgres_database, stop, wait_for_port

NGINX_CONF = ROOT / "deploy" / "nginx" / "registry.conf"
OPENSSL_GOST_CONF = ROOT / "deploy" / "nginx" / "openssl-gost.cnf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
SHIPPED_SOCKET = "unix:/run/registry/gunicorn.sock"


def render_site_config(tls_cert, tls_key, https_port, http_port, socket_path,
                       gost_cert, gost_key) -> str:
    """The shipped site file with test ports and paths; everything else stays as shipped."""
    text = NGINX_CONF.read_text()
    replacements = {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "server_name registry.example.ru;": "server_name localhost;",
        "listen 443 ssl default_server;": f"listen 127.0.0.1:{https_port} ssl default_server;",
        "listen 80 default_server;": f"listen 127.0.0.1:{http_port} default_server;",
        "/etc/registry/tls/server.crt": str(tls_cert),
        "/etc/registry/tls/server.key": str(tls_key),
        "/etc/registry/tls/server-gost.crt": str(gost_cert),
        "/etc/registry/tls/server-gost.key": str(gost_key),
        f"server {SHIPPED_SOCKET};": f"server unix:{socket_path};",
    }
    for old, new in replacements.items():
        assert old in text, f"{NGINX_CONF} no longer contains {old!r}"
        text = text.replace(old, new)
    # IPv6 listeners may be unavailable in a container; the IPv4 ones carry the test.
    return "\n".join(line for line in text.splitlines() if "listen [::]" not in line) + "\n"


def nginx_main_config(tmp, site) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {tmp / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}worker_processes 1;
pid {tmp / 'nginx.pid'};
error_log {tmp / 'error.log'} info;
events {{ worker_connections 256; }}
http {{
    access_log {tmp / 'access.log'};
{temp}
    include {site};
}}
"""


@pytest.fixture(scope="session")
def nginx_stack(demo_pki, postgres_admin_url, tmp_path_factory):
    """nginx (shipped config, GOST engine) -> gunicorn (shipped config, unix socket) -> app.

    gunicorn also listens on a local TCP port with the old documented setting
    REGISTRY_TRUSTED_PROXIES=127.0.0.1, to show that this channel is no longer believed.
    """
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.path.exists(nginx), "nginx is missing: `make test` installs it"
    tmp = tmp_path_factory.mktemp("nginx")
    run_dir = tmp / "run"
    run_dir.mkdir(mode=0o750)
    run_dir.chmod(0o750)
    sock_path = run_dir / "gunicorn.sock"
    gost_cert, gost_key = ensure_gost_server_certificate(demo_pki.server_cert_path.parent)
    with fresh_postgres_database(postgres_admin_url) as database_url:
        config = app_config(database_url, demo_pki, tmp, REGISTRY_TRUSTED_PROXIES="unix")
        app = create_app(config)
        with app.app_context():
            upgrade()
            db.engine.dispose()

        gport, https_port, http_port = free_port(), free_port(), free_port()
        env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=TEST_SECRET,
                   REGISTRY_TRUST_STORE=str(demo_pki.trust_dir),
                   REGISTRY_TRUSTED_PROXIES="unix, 127.0.0.1",
                   REGISTRY_INSTANCE_PATH=str(tmp), REGISTRY_WORKERS="2",
                   REGISTRY_SITE_ORIGIN="https://localhost",
                   REGISTRY_BIND=f"unix:{sock_path}")
        env.pop("REGISTRY_PROXY_SECRET", None)
        glog = tmp / "gunicorn.log"
        gunicorn = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONF),
             "--bind", f"unix:{sock_path}", "--bind", f"127.0.0.1:{gport}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=glog.open("wb"), stderr=subprocess.STDOUT)
        site = tmp / "registry.conf"
        site.write_text(render_site_config(demo_pki.server_cert_path, demo_pki.server_key_path,
                                           https_port, http_port, sock_path, gost_cert,
                                           gost_key))
        main = tmp / "nginx.conf"
        main.write_text(nginx_main_config(tmp, site))
        nlog = tmp / "error.log"
        proc = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(main), "-e", str(nlog),
                                 "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT,
                                env=dict(os.environ, OPENSSL_CONF=str(OPENSSL_GOST_CONF)))
        try:
            wait_for_socket(sock_path, gunicorn, glog)
            wait_for_port(gport, proc=gunicorn, log=glog)
            wait_for_port(https_port, proc=proc, log=nlog)
            yield {"app": app, "https": https_port, "http": http_port, "gunicorn": gport,
                   "socket": sock_path, "gunicorn_log": glog, "nginx_log": nlog}
        finally:
            stop(proc, timeout=10)
            # Quick shutdown: a graceful one waits out graceful_timeout for idle keep-alive
            # connections, which no test here needs.
            stop(gunicorn, signal.SIGINT, timeout=15)
            with app.app_context():
                db.engine.dispose()


def https_get(port, demo_pki, cert=None, headers=None, path="/"):
    ctx = ssl.create_default_context(cafile=str(demo_pki.server_cert_path.parent / "ca.crt"))
    if cert is not None:
        ctx.load_cert_chain(str(cert.cert_path), str(cert.key_path))
    conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=15)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def raw_http_get(port, headers, source="127.0.0.1", path="/"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode(), response.getheader("Location")
    finally:
        conn.close()


def forged(demo_pki, person="head"):
    return quote(demo_pki.person(person, "ecdsa").pem, safe="")


def journal(app):
    with app.app_context():
        return [(e.event, e.result, e.remote_addr, e.cert_serial) for e in
                db.session.scalars(select(VisitJournalEntry).order_by(VisitJournalEntry.id))]


def test_certificate_through_nginx_signs_in(nginx_stack, demo_pki):
    cert = demo_pki.person("ip", "rsa")
    status, page = https_get(nginx_stack["https"], demo_pki, cert)
    assert status == 200, page
    assert "Здравствуйте, Пётр Петрович!" in page
    assert ("sign_in", "ok", "127.0.0.1", cert.certificate.serial) in journal(nginx_stack["app"])


def test_refused_certificate_through_nginx_gets_the_page(nginx_stack, demo_pki):
    cert = demo_pki.person("employee2", "ecdsa")  # revoked in the demo CRL
    status, page = https_get(nginx_stack["https"], demo_pki, cert)
    assert status == 403
    assert "Сертификат отозван" in page
    assert ("refused", "revoked", "127.0.0.1", cert.certificate.serial) in journal(
        nginx_stack["app"])


def test_forged_header_without_a_certificate_signs_nobody_in(nginx_stack, demo_pki):
    before = journal(nginx_stack["app"])
    for name in ("X-SSL-Client-Cert", "X_SSL_Client_Cert", "x-ssl-client-cert"):
        status, page = https_get(nginx_stack["https"], demo_pki, None,
                                 headers={name: forged(demo_pki)})
        assert status == 403, name
        assert "Браузер не передал сертификат" in page
        assert "Иван Иванович" not in page
    assert journal(nginx_stack["app"]) == before


def test_forged_header_next_to_a_real_certificate_is_replaced(nginx_stack, demo_pki):
    status, page = https_get(nginx_stack["https"], demo_pki, demo_pki.person("employee1", "ecdsa"),
                             headers={"X-SSL-Client-Cert": forged(demo_pki)})
    assert status == 200
    assert "Анна Сергеевна" in page and "Иван Иванович" not in page


def _nobody_signed_in(app, demo_pki):
    with app.app_context():
        return db.session.scalar(select(User).where(User.snils == demo_pki.person(
            "head", "ecdsa").certificate.snils)) is None


def test_header_sent_to_gunicorn_over_local_tcp_is_ignored_and_logged(nginx_stack, demo_pki):
    # REGISTRY_TRUSTED_PROXIES still lists 127.0.0.1 (the old documented value), but without
    # the proxy secret a local TCP connection proves nothing: any process could make it.
    for source in ("127.0.0.1", "127.0.0.2"):
        status, page, _ = raw_http_get(nginx_stack["gunicorn"], {
            "X-SSL-Client-Cert": forged(demo_pki), "Host": "localhost",
            "X-Registry-Proxy-Secret": "guess"}, source=source)
        assert status == 403
        assert "Браузер не передал сертификат" in page
    log = nginx_stack["gunicorn_log"].read_text()
    assert "ignored X-SSL-Client-Cert from 127.0.0.1: no valid X-Registry-Proxy-Secret" in log
    assert "ignored X-SSL-Client-Cert from 127.0.0.2: not a trusted channel" in log
    assert _nobody_signed_in(nginx_stack["app"], demo_pki)


# The probe runs as another user, who cannot read the virtualenv under /root.
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or "/usr/bin/python3"
PROBE = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("refused")
else:
    s.sendall(sys.argv[2].encode())
    print(s.recv(65536).decode(errors="replace").split(chr(13))[0])
"""


def test_other_local_users_cannot_reach_the_socket(nginx_stack, demo_pki):
    sock = nginx_stack["socket"]
    assert sock.stat().st_mode & 0o777 == 0o660
    assert sock.parent.stat().st_mode & 0o777 == 0o750
    request = (f"GET /profile HTTP/1.0\r\nHost: localhost\r\n"
               f"X-SSL-Client-Cert: {forged(demo_pki)}\r\n\r\n")
    if os.geteuid() == 0:
        # An ordinary local account (not the registry's, not in its group).
        out = subprocess.run([SYSTEM_PYTHON, "-c", PROBE, str(sock), request], user="nobody",
                             group="nogroup", extra_groups=[], capture_output=True, text=True,
                             timeout=30, cwd="/")
        assert out.stdout.strip() == "refused", out.stderr
    assert _nobody_signed_in(nginx_stack["app"], demo_pki)


def test_plain_http_redirects_to_https(nginx_stack):
    status, _page, location = raw_http_get(nginx_stack["http"], {"Host": "localhost"})
    assert status == 301 and location.startswith("https://localhost")


def test_unknown_host_names_get_nothing(nginx_stack, demo_pki):
    """The default server drops every host name but the site's: a TLS handshake naming
    another host by SNI, a request for another Host over the site's own TLS connection, and a
    plain HTTP request for another Host."""
    cafile = str(demo_pki.server_cert_path.parent / "ca.crt")
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    for name in ("evil.example", None):  # another host name, or none (a scan by address)
        with socket.create_connection(("127.0.0.1", nginx_stack["https"]), timeout=15) as raw:
            with pytest.raises(ssl.SSLError):
                ctx.wrap_socket(raw, server_hostname=name).close()
    for port, tls in ((nginx_stack["https"], True), (nginx_stack["http"], False)):
        if tls:
            conn = http.client.HTTPSConnection("localhost", port, timeout=15,
                                               context=ssl.create_default_context(cafile=cafile))
        else:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            conn.putrequest("GET", "/login/signature", skip_host=True)
            conn.putheader("Host", "evil.example")
            conn.endheaders()
            with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
                conn.getresponse()
        finally:
            conn.close()
    # the site itself still answers
    assert https_get(nginx_stack["https"], demo_pki, None, path="/healthz")[0] == 200


def test_health_check_through_the_stack(nginx_stack, demo_pki):
    status, body = https_get(nginx_stack["https"], demo_pki, None, path="/healthz")
    assert status == 200 and '"database"' in body
