"""deploy/multi-node on 127.0.0.1: PostgreSQL, redis-server, moto's S3 server, two application
nodes and two workers started from the shipped unit files and environment file, and nginx with
the shipped site, upstream and proxy files in front. One node is killed (SIGKILL, the whole
node) under upload traffic: no accepted upload is lost, no object is left without its row,
the only 5xx are requests that were in flight when the node died, and every periodic job runs
once although two schedulers are up."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import boto3
import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench import stack
from bench.http import BOUNDARY, multipart, padded_pdf, seed_organization
from registry.pki.certificate import load_certificate

from ..helpers import (
    ROOT,
    VENV_BIN,
    as_utc,
    client_tls,
    free_port,
    fresh_postgres_database,
    periods_between,
    stop,
    tls_request,
    wait_for_port,
)

MULTI = ROOT / "deploy" / "multi-node"
BUCKET = "registry-files"
SECRET = "multi-node-test-proxy-secret-0123456789"
UPLOADERS = 4
NOTICE = 0.5  # seconds for nginx to see a killed node's connections close


# -- the shipped files ---------------------------------------------------------------------------
def env_file(overrides: dict[str, str]) -> dict[str, str]:
    """registry.env with the test's values; every key overridden must be one the file sets."""
    values = {}
    for line in (MULTI / "registry.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    assert set(overrides) <= set(values), set(overrides) - set(values)
    return {**values, **overrides}


def unit(name: str) -> tuple[dict[str, str], list[str]]:
    """Environment= lines and the ExecStart command of a shipped unit, for this checkout."""
    env, command = {}, []
    for line in (MULTI / name).read_text().splitlines():
        if line.startswith("Environment="):
            key, _, value = line[len("Environment="):].partition("=")
            env[key] = value
        elif line.startswith("ExecStart="):
            command = shlex.split(line[len("ExecStart="):].replace("/opt/registry/.venv/bin/",
                                                                    f"{VENV_BIN}/"))
        elif line.startswith("WorkingDirectory="):
            assert line == "WorkingDirectory=/opt/registry"
    assert command, name
    return env, command


def _certificate(subject: str, key, issuer_name, issuer_key, *, ca=False, server=False):
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("registry-app")]),
                                        critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def proxy_pki(directory: Path) -> dict[str, Path]:
    """The proxy CA, the nodes' server certificate and nginx's client certificate."""
    directory.mkdir()
    pem = serialization.Encoding.PEM
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("registry proxy CA", ca_key, None, None, ca=True)
    paths = {"ca": directory / "proxy-ca.crt"}
    paths["ca"].write_bytes(ca.public_bytes(pem))
    for name, server in (("app", True), ("nginx", False)):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(f"registry {name}", key, ca.subject, ca_key, server=server)
        paths[f"{name}.crt"] = directory / f"{name}.crt"
        paths[f"{name}.key"] = directory / f"{name}.key"
        paths[f"{name}.crt"].write_bytes(cert.public_bytes(pem))
        paths[f"{name}.key"].write_bytes(key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


def render_nginx(tmp: Path, demo_pki, https_port: int, http_port: int, nodes: list[int],
                 pki: dict[str, Path]) -> Path:
    upstream = (MULTI / "nginx-upstream.conf").read_text()
    for old, port in zip(("10.0.0.11:8443", "10.0.0.12:8443"), nodes, strict=True):
        assert old in upstream
        upstream = upstream.replace(old, f"127.0.0.1:{port}")
    secret = tmp / "secret.conf"
    secret.write_text(f'proxy_set_header X-Registry-Proxy-Secret "{SECRET}";\n')
    proxy = (MULTI / "nginx-proxy.conf").read_text()
    for old, new in {"/etc/nginx/registry-proxy/nginx.crt": pki["nginx.crt"],
                     "/etc/nginx/registry-proxy/nginx.key": pki["nginx.key"],
                     "/etc/nginx/registry-proxy/app-ca.crt": pki["ca"],
                     "/etc/nginx/registry-proxy/secret.conf": secret}.items():
        assert old in proxy
        proxy = proxy.replace(old, str(new))
    (tmp / "proxy.conf").write_text(proxy)
    site = stack.render_site("registry_app", [], https_port, http_port, demo_pki.server_cert_path,
                             demo_pki.server_key_path)
    start, end = site.index("upstream registry_app {"), site.index("}", site.index("upstream registry_app {"))
    site = site[:start] + upstream[upstream.index("upstream registry_app {"):].rstrip() + site[end + 1:]
    assert site.count("proxy_pass http://registry_app;") == 2
    site = site.replace("proxy_pass http://registry_app;", "proxy_pass https://registry_app;")
    site = site.replace("    proxy_read_timeout 60s;\n",
                        f"    proxy_read_timeout 60s;\n    include {tmp / 'proxy.conf'};\n", 1)
    (tmp / "site.conf").write_text(site)
    main = tmp / "nginx.conf"
    main.write_text(stack.nginx_main_config(tmp, [tmp / "site.conf"], workers=1))
    return main


# -- the servers ---------------------------------------------------------------------------------
@pytest.fixture
def s3(tmp_path):
    from moto.server import ThreadedMotoServer
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=url, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield url, client
    server.stop()


class Cluster:
    def __init__(self, tmp, demo_pki, database_url, redis_url, s3_url):
        self.tmp, self.procs, self.nodes = tmp, [], []
        self.pki = proxy_pki(tmp / "proxy-tls")
        self.env = env_file({
            "DATABASE_URL": database_url, "SECRET_KEY": "multi-node-test-secret",
            "REGISTRY_BROKER_URL": redis_url, "REGISTRY_FILES_URL": f"s3://{BUCKET}/cluster",
            "REGISTRY_S3_ENDPOINT_URL": s3_url, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "REGISTRY_TRUST_STORE": str(demo_pki.trust_dir),
            "REGISTRY_TRUSTED_PROXIES": "127.0.0.1", "REGISTRY_PROXY_SECRET": SECRET,
            "REGISTRY_PROXY_TLS_CERT": str(self.pki["app.crt"]),
            "REGISTRY_PROXY_TLS_KEY": str(self.pki["app.key"]),
            "REGISTRY_PROXY_CA": str(self.pki["ca"]), "REGISTRY_METRICS_FROM": "127.0.0.1",
            "REGISTRY_HEALTH_DETAIL_FROM": "127.0.0.1", "REGISTRY_LOG_FORMAT": "json"})

    def start(self, name: str, unit_name: str, port: int | None = None) -> subprocess.Popen:
        unit_env, command = unit(unit_name)
        env = {**os.environ, **self.env, **unit_env, "PYTHONPATH": str(ROOT),
               "REGISTRY_INSTANCE_PATH": str(self.tmp / name / "instance"),
               "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / name / "metrics"),
               "REGISTRY_WORKERS": "2"}
        (self.tmp / name / "metrics").mkdir(parents=True)
        if port is not None:
            assert unit_env["REGISTRY_BIND"] == "0.0.0.0:8443"
            env["REGISTRY_BIND"] = f"127.0.0.1:{port}"
        log = self.tmp / f"{name}.log"
        # its own process group: killing "the node" kills gunicorn's master and workers at once
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        if port is not None:
            wait_for_port(port, proc=proc, log=log, timeout=60)
        return proc

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                with_group = proc.pid
                try:
                    os.killpg(with_group, signal.SIGTERM)
                    proc.wait(20)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(with_group, signal.SIGKILL)


def https(port, demo_pki, cert, method="GET", path="/", cookie="", body=None, headers=None):
    return tls_request(port, client_tls(demo_pki, cert), method, path, cookie, body, headers)


def test_a_node_killed_under_upload_traffic(tmp_path, demo_pki, postgres_admin_url, redis_url, s3,
                                            monkeypatch):
    s3_url, s3_client = s3
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # for the sweep run here
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")
    with fresh_postgres_database(postgres_admin_url) as database_url:
        cluster = Cluster(tmp_path, demo_pki, database_url, redis_url, s3_url)
        nginx = None
        try:
            subprocess.run([str(VENV_BIN / "registry"), "db", "upgrade"], cwd=ROOT, check=True,
                           env={**os.environ, **cluster.env, "PYTHONPATH": str(ROOT),
                                "REGISTRY_INSTANCE_PATH": str(tmp_path / "upgrade")},
                           stdout=(tmp_path / "upgrade.log").open("wb"), stderr=subprocess.STDOUT,
                           timeout=180)
            ports = [free_port(), free_port()]
            nodes = [cluster.start(f"app{i + 1}", "registry-web.service", port)
                     for i, port in enumerate(ports)]
            window_start = dt.datetime.now(dt.timezone.utc)  # the schedulers' time, for the periods
            workers = [cluster.start(f"worker{i + 1}", "registry-worker.service") for i in range(2)]
            https_port, http_port = free_port(), free_port()
            main = render_nginx(tmp_path, demo_pki, https_port, http_port, ports, cluster.pki)
            nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(tmp_path),
                                      "-c", str(main), "-e", str(tmp_path / "nginx-error.log"),
                                      "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)
            wait_for_port(https_port, proc=nginx, log=tmp_path / "nginx-error.log")
            head = demo_pki.person("head", "ecdsa")
            status, page, response = https(https_port, demo_pki, head)
            assert status == 200 and "Здравствуйте" in page, page[:1000]
            cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
            org_id = seed_organization(database_url, load_certificate(head.cert_path.read_bytes()).snils)
            form_path = f"/organizations/{org_id}/documents/new"
            status, form, _ = https(https_port, demo_pki, head, path=form_path, cookie=cookie)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
            assert status == 200 and token, form[:1000]

            accepted: dict[str, int] = {}   # number -> document id
            answers: list[tuple[float, float, int]] = []   # started, finished, status
            stop_at = time.monotonic() + 9
            lock = threading.Lock()

            def uploader(n: int) -> None:
                i = 0
                while time.monotonic() < stop_at:
                    i += 1
                    number = f"u{n}-{i}"
                    body = multipart({"csrf_token": token.group(1), "doc_type": "charter",
                                      "number": number, "doc_date": "01.02.2024",
                                      "expires_on": "01.02.2030"}, "file", f"{number}.pdf",
                                     padded_pdf(200_000))
                    started = time.monotonic()
                    try:
                        code, _text, resp = https(
                            https_port, demo_pki, head, "POST", form_path, cookie, body,
                            {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                             "Referer": f"https://localhost{form_path}"})
                        location = resp.getheader("Location") or ""
                    except OSError:
                        code, location = 599, ""
                    with lock:
                        answers.append((started, time.monotonic(), code))
                        if code in (302, 303):
                            accepted[number] = int(location.rstrip("/").rsplit("/", 1)[1])

            threads = [threading.Thread(target=uploader, args=(n,)) for n in range(UPLOADERS)]
            for thread in threads:
                thread.start()
            time.sleep(3)
            killed_at = time.monotonic()
            os.killpg(nodes[0].pid, signal.SIGKILL)
            nodes[0].wait(10)
            for thread in threads:
                thread.join(60)

            deadline = time.monotonic() + 30  # both schedulers offer the periodic jobs
            logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
            while time.monotonic() < deadline and not all(
                    "Enqueueing periodic task" in log.read_text() for log in logs):
                time.sleep(0.2)
            time.sleep(2)  # and both copies have had the time to run

            # every accepted upload: its row and its object
            with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
                rows = dict(conn.execute("SELECT number, file_key FROM documents").fetchall())
                ids = dict(conn.execute("SELECT number, id FROM documents").fetchall())
                periodic = conn.execute("SELECT name, period_start FROM periodic_runs").fetchall()
            window_end = dt.datetime.now(dt.timezone.utc)
            listing = s3_client.list_objects_v2(Bucket=BUCKET, Prefix="cluster/")
            objects = {o["Key"][len("cluster/"):] for o in listing.get("Contents", [])}
            assert accepted, "no upload was accepted"
            for number, document_id in accepted.items():
                assert ids.get(number) == document_id, number
                assert rows[number] in objects, f"{number}: the row's object is missing"

            # 5xx only for requests in flight on the node when it died: sent to it before the
            # kill, or in the moment before nginx has seen its connections close (a POST already
            # written to a kept-alive connection is not retried on the other node)
            noticed = killed_at + NOTICE
            in_flight = [a for a in answers if a[0] < noticed and a[1] > killed_at]
            failed = [a for a in answers if a[2] >= 500]
            assert all(a[0] < noticed and a[1] > killed_at for a in failed), (failed, killed_at)
            assert len(failed) <= len(in_flight) and len(failed) <= UPLOADERS
            after = [a for a in answers if a[0] > noticed]
            assert after and all(a[2] in (302, 303) for a in after), after[:5]

            print(f"uploads: {len(answers)} answered, {len(accepted)} accepted, {len(failed)} failed "
                  f"of {len(in_flight)} in flight at the kill, {len(after)} after it")

            # no object without its row, once the sweep has removed what a dead request left
            keys = set(rows.values())
            orphans = objects - keys
            assert len(orphans) <= len(failed), orphans
            from registry import create_app
            app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                              "REGISTRY_INSTANCE_PATH": str(tmp_path / "sweep"),
                              "REGISTRY_FILES_URL": f"s3://{BUCKET}/cluster",
                              "REGISTRY_S3_ENDPOINT_URL": s3_url,
                              "REGISTRY_TRUST_STORE": str(demo_pki.trust_dir),
                              "REGISTRY_BROKER_URL": "immediate"})
            with app.app_context():
                from registry.documents.services.store import sweep_files
                from registry.extensions import db
                assert sweep_files(older_than=0) == len(orphans)
                db.engine.dispose()
            listing = s3_client.list_objects_v2(Bucket=BUCKET, Prefix="cluster/")
            assert {o["Key"][len("cluster/"):] for o in listing.get("Contents", [])} == keys

            # two schedulers, each periodic job once
            assert all(w.poll() is None for w in workers)
            texts = [log.read_text() for log in logs]
            assert all("Enqueueing periodic task" in text for text in texts), texts[0][-2000:]
            # each job once in each period of the test's window: one, or two when the window
            # crossed the job's period boundary (a 60-minute job at hh:00, say)
            assert periodic, "no periodic job ran"
            for name in {name for name, _start in periodic}:
                window = periods_between(app, name, window_start, window_end)
                starts = [as_utc(start) for n, start in periodic if n == name]
                assert len(starts) == len(set(starts)) and set(starts) <= window, (name, starts, window)
        finally:
            if nginx is not None:
                stop(nginx)
            cluster.stop()
