"""Fixtures for trust operations: TSL files in Минцифры's format, a local HTTP server, an app
whose trust store is a temporary directory built by ``import-tsl``."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import pem

from registry import create_app
from registry.pki.builder import build_crl, load_key
from registry.pki.xmldsig import sign_enveloped
from registry.trust.tsl_write import ListedCa
from registry.trust.tsl_write import tsl_xml as unsigned_tsl_xml

from ..conftest import CertClient, app_config

ROOT = Path(__file__).resolve().parents[2]
REAL_PKI = ROOT.parent / "shared" / "data" / "real-pki" / "certs"
MSK = timezone(timedelta(hours=3))


# --- TSL files ------------------------------------------------------------------------------
_SIGNER: dict[str, object] = {}


@pytest.fixture(scope="session", autouse=True)
def tsl_signer(demo_pki):
    """The demo PKI's «Минцифры» list-signing key and certificate, used by :func:`tsl_xml`."""
    signer = demo_pki.tsl_signer
    _SIGNER["key"] = load_key("gost256", signer.key_path.read_bytes()).private
    _SIGNER["der"] = der_of(signer.cert_path)
    return signer


def sign_list(data: bytes) -> bytes:
    """``data`` (an XML document) signed by the test «Минцифры»."""
    return sign_enveloped(data, _SIGNER["key"], _SIGNER["der"])  # type: ignore[arg-type]


def tsl_xml(version: int, date: datetime, cas: list[ListedCa], *, signed: bool = True) -> bytes:
    """A list in the format of Минцифры's TSL.xml, signed by the test «Минцифры» by default."""
    if not signed:
        return unsigned_tsl_xml(version, date, cas)
    return sign_list(unsigned_tsl_xml(version, date, cas))


def der_of(path: Path) -> bytes:
    data = path.read_bytes()
    return pem.unarmor(data)[2] if pem.detect(data) else data


# --- HTTP server ----------------------------------------------------------------------------
class LocalServer:
    """An HTTP server on 127.0.0.1: ``routes[path]`` is bytes, an int status or a callable."""

    def __init__(self):
        self.routes: dict[str, bytes | int | Callable[[], bytes | int]] = {}
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                with server._lock:
                    server.hits[self.path] = server.hits.get(self.path, 0) + 1
                route = server.routes.get(self.path, 404)
                if callable(route):
                    route = route()
                if isinstance(route, int):
                    self.send_response(route)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(route)))
                self.end_headers()
                try:
                    self.wfile.write(route)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server():
    server = LocalServer()
    yield server
    server.close()


# --- the test PKI as a listed CA ------------------------------------------------------------
@pytest.fixture(scope="session")
def head_roots(demo_pki, tmp_path_factory) -> Path:
    """The head roots directory: the demo PKI's roots (as the shipped certs/ would hold)."""
    path = tmp_path_factory.mktemp("head-roots")
    for alg in demo_pki.manifest["algorithms"]:
        shutil.copy(demo_pki.ca(alg, "root").cert_path, path / f"root-{alg}.crt")
    return path


def demo_ca(demo_pki, alg: str = "ecdsa", **kw) -> ListedCa:
    label = {"ecdsa": "ECDSA", "rsa": "RSA", "gost256": "ГОСТ"}[alg]
    return ListedCa(
        name=f"Акционерное общество «Демо УЦ {label}»",
        short_name=f"Демо УЦ {label}",
        inn="7701000099",
        ogrn="1027700000999",
        certificates=[der_of(demo_pki.ca(alg).cert_path)],
        **kw,
    )


def issue_crl(
    demo_pki,
    alg: str = "ecdsa",
    level: str = "ca",
    *,
    this_update: datetime,
    next_update: datetime,
    number: int,
    revoked=(),
    key_of: str | None = None,
) -> bytes:
    """A CRL of a demo CA (DER); ``key_of`` signs it with another CA's key (a forgery)."""
    ca = demo_pki.ca(alg, level)
    signer = demo_pki.ca(alg, key_of) if key_of else ca
    key = load_key(alg, signer.key_path.read_bytes())
    crl = build_crl(
        issuer=ca.certificate.asn1,
        issuer_key=key,
        this_update=this_update,
        next_update=next_update,
        revoked=revoked,
        number=number,
    )
    return crl.dump()


# --- an app with its own trust store --------------------------------------------------------
@pytest.fixture
def trust_app_factory(app, database_url, demo_pki, head_roots, tmp_path):
    """``make(**config)`` -> an app (sharing the test database) whose store is tmp_path/trust."""
    made = []

    def make(**extra):
        config = app_config(
            database_url,
            demo_pki,
            tmp_path / f"instance-{len(made)}",
            REGISTRY_TRUST_STORE=str(tmp_path / "trust"),
            REGISTRY_TRUST_HEAD_ROOTS=str(head_roots),
            REGISTRY_TSL_SIGNER_CERT=str(demo_pki.tsl_signer.cert_path),
            REGISTRY_TRUST_RELOAD_SECONDS=0,
            REGISTRY_CRL_RETRY_DELAY=0.01,
            REGISTRY_CRL_TIMEOUT=2,
            REGISTRY_CRL_RETRIES=1,
        )
        config.update(extra)
        application = create_app(config)
        application.test_client_class = CertClient
        made.append(application)
        return application

    yield make
    from registry.extensions import db

    for application in made:
        with application.app_context():
            db.engine.dispose()


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def write_crls(
    demo_pki,
    directory: Path,
    *,
    this_update: datetime,
    next_update: datetime,
    algs=("ecdsa",),
    number: int = 100,
) -> None:
    """CRLs of the demo roots and CAs (the CAs' list the revoked demo person) in ``directory``."""
    import json

    directory.mkdir(parents=True, exist_ok=True)
    for alg in algs:
        revoked = json.loads((demo_pki.root / "private" / f"revoked-{alg}.json").read_text())
        for level in ("root", "ca"):
            entries = [(s, this_update) for s in revoked] if level == "ca" else []
            (directory / f"{level}-{alg}.crl").write_bytes(
                issue_crl(
                    demo_pki,
                    alg,
                    level,
                    this_update=this_update,
                    next_update=next_update,
                    number=number,
                    revoked=entries,
                )
            )


def initial_store(demo_pki, path: Path, **crl_times) -> Path:
    """A hand-made store (a real directory) with the demo roots and CAs and fresh CRLs."""
    path.mkdir(parents=True)
    for alg in demo_pki.manifest["algorithms"]:
        for level in ("root", "ca"):
            shutil.copy(demo_pki.ca(alg, level).cert_path, path / f"{level}-{alg}.crt")
    t = now()
    write_crls(
        demo_pki,
        path,
        this_update=crl_times.get("this_update", t - timedelta(days=2)),
        next_update=crl_times.get("next_update", t + timedelta(days=7)),
        algs=demo_pki.manifest["algorithms"],
    )
    return path
