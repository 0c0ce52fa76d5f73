"""Shared fixtures: the demo PKI, databases (SQLite and PostgreSQL), the app, clients.

Every test that uses ``app`` runs once per database backend (``[sqlite]``/``[postgresql]``);
``REGISTRY_TEST_DATABASES=sqlite`` narrows that for a quick local run. Each test runs inside a
transaction rolled back at the end (views' commits become savepoint releases). Test bodies
that touch the database open their own ``with app.app_context():`` so that they never share
``g`` or the session with the requests they make.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession

from registry import create_app
from registry.extensions import db, utcnow
from registry.pki.demo_pki import build_demo_pki

from .browser import browser, demo_server  # noqa: F401  (fixtures)
from .helpers import (
    ROOT,
    VENV_BIN,
    free_port,
    fresh_postgres_database,
    postgres_server,
    stop,
    wait_for_port,
)

BACKENDS = [b.strip() for b in os.environ.get("REGISTRY_TEST_DATABASES",
                                              "sqlite,postgresql").split(",") if b.strip()]
TEST_SECRET = "test-secret-key"
TRUSTED_PROXY = "10.0.0.1"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``one_database`` run on the first backend of the run only: what they
    check does not depend on the database (the backends' own behaviour is tested elsewhere)."""
    first = BACKENDS[0] if BACKENDS else None
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("database_url") if callspec is not None else None
        if backend is not None and backend != first and item.get_closest_marker("one_database"):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    # The longest files first: test processes take whole files in this order, and one of these
    # started last would leave its process running alone for tens of seconds at the end.
    items.sort(key=lambda item: _LONG_FILES.get(item.nodeid.split("::", 1)[0], len(_LONG_FILES)))


# Files that take the longest (seconds of servers, browsers and kills; measured with
# `pytest --durations`), longest first.
_LONG_FILES = {path: rank for rank, path in enumerate((
    "tests/test_walk.py", "tests/deploy/test_multi_node.py", "tests/mchd/test_walk.py",
    "tests/organizations/test_browser.py", "tests/trust/test_refresh.py",
    "tests/deploy/test_demo_nginx.py", "tests/jobs/test_jobs.py", "tests/test_sqlite_writers.py",
    "tests/operator/test_cli.py", "tests/test_walk_organizations.py", "tests/web/test_browser.py",
    "tests/pki/test_gost.py", "tests/documents/test_filestore.py"))}


@pytest.fixture(scope="session")
def demo_pki(tmp_path_factory):
    """The demo PKI built by the project's own code (registry.pki.demo_pki), once per run."""
    return build_demo_pki(tmp_path_factory.mktemp("demo-pki"))


@pytest.fixture(scope="session")
def demo_template(demo_pki, tmp_path_factory):
    """A demo instance made by `registry demo setup` once per run, on the session's demo PKI.

    Never used directly: a fixture that needs a demo instance of its own copies it
    (``copy_demo``), which is much cheaper than a setup (migrations, reference data, ...).
    """
    directory = tmp_path_factory.mktemp("demo-template") / "demo"
    shutil.copytree(demo_pki.root, directory / "pki")
    # Without the demo organization: the walks register it through the wizard.
    subprocess.run([str(VENV_BIN / "registry"), "demo", "setup", "--dir", str(directory),
                    "--without-organization"],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    return directory


@pytest.fixture(scope="session")
def copy_demo(demo_template):
    """``copy_demo(target)``: a demo instance of its own at ``target`` (returned)."""
    def copy(target):
        shutil.copytree(demo_template, target)
        return target
    return copy


@pytest.fixture(scope="session")
def postgres_admin_url():
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'registry.db'}"
    else:
        admin = request.getfixturevalue("postgres_admin_url")
        with fresh_postgres_database(admin) as url:
            yield url


def app_config(database_url: str, demo_pki, instance_path, **extra) -> dict:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": TEST_SECRET,
        "REGISTRY_TRUST_STORE": str(demo_pki.trust_dir),
        "REGISTRY_TRUSTED_PROXIES": TRUSTED_PROXY,
        "REGISTRY_INSTANCE_PATH": str(instance_path),
        "REGISTRY_BROKER_URL": "immediate",
        "REGISTRY_SITE_ORIGIN": "https://localhost",
    }
    config.update(extra)
    return config


class CertClient(FlaskClient):
    """Test client speaking HTTPS that presents a client certificate like the built-in server.

    ``client.certificate = pem`` (or None) chooses what the "browser" sends from then on.
    """

    certificate: str | None = None

    def open(self, *args, **kwargs):
        if not args or isinstance(args[0], str):
            kwargs.setdefault("base_url", "https://localhost")
            environ = dict(kwargs.pop("environ_base", None) or {})
            if self.certificate is not None:
                environ.setdefault("SSL_CLIENT_CERT", self.certificate)
                environ.setdefault("registry.direct_tls", True)
            kwargs["environ_base"] = environ
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, demo_pki, tmp_path_factory):
    application = create_app(app_config(database_url, demo_pki, tmp_path_factory.mktemp("instance")))
    application.test_client_class = CertClient
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


class _ConnectionSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session, always using the test's connection."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture
def db_session(app):
    """Run the test in a transaction that is rolled back afterwards.

    Sessions opened during the test (one per request's app context) share one connection and
    its outer transaction; their commits only release savepoints.
    """
    with app.app_context():
        connection = db.engine.connect()
    transaction = connection.begin()
    original = db.session
    db.session = db._make_scoped_session({"bind": connection, "class_": _ConnectionSession,
                                          "join_transaction_mode": "create_savepoint"})
    try:
        yield db.session
    finally:
        db.session = original  # each request already removed its own session
        transaction.rollback()
        connection.close()


@pytest.fixture
def client(app, db_session) -> CertClient:
    return app.test_client()


@pytest.fixture(scope="session")
def issue_certificate(demo_pki, tmp_path_factory):
    """Issue an extra sign-in certificate from the demo CA (e.g. one about to expire).

    Returns a function ``(subject, *, days=365, alg="ecdsa") -> DemoCert``.
    """
    from datetime import timedelta

    from asn1crypto import pem

    from registry.pki import load_certificate
    from registry.pki.builder import build_certificate, generate_key, load_key
    from registry.pki.demo_pki import CRL_URL, DemoCert

    outdir = tmp_path_factory.mktemp("extra-certs")
    counter = iter(range(1, 10_000))

    def issue(subject, *, days: int = 365, alg: str = "ecdsa"):
        ca = demo_pki.ca(alg)
        ca_key = load_key(alg, ca.key_path.read_bytes())
        ca_cert = load_certificate(ca.cert_path.read_bytes()).asn1
        key = generate_key(alg)
        now = utcnow()
        cert = build_certificate(subject=subject, subject_key=key, issuer_key=ca_key,
                                 issuer=ca_cert, not_before=now - timedelta(days=1),
                                 not_after=now + timedelta(days=days),
                                 crl_url=CRL_URL.format(name=f"ca-{alg}"))
        base = outdir / f"extra-{next(counter)}"
        base.with_suffix(".crt").write_bytes(pem.armor("CERTIFICATE", cert.dump()))
        base.with_suffix(".key").write_bytes(key.private_pem())
        return DemoCert(base.with_suffix(".crt"), base.with_suffix(".key"))

    return issue


@pytest.fixture
def redis_url(tmp_path):
    """A redis-server of the test's own on a free port (nothing kept on disk)."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc=proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)
