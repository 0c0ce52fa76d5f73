"""The file store on disk and on an S3-protocol server (moto's standalone server on
127.0.0.1): the same upload, download and sweep; a worker killed between writing a file and
committing its row leaves no orphan after the sweep and no row without its file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest
from sqlalchemy import select

from registry.documents import filestore
from registry.documents.models import Document
from registry.documents.services import store
from registry.extensions import db

from ..helpers import free_port
from .pdfs import plain_pdf
from .test_documents import upload

BUCKET = "registry-files"


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def objects(endpoint: str, prefix: str) -> list[str]:
    listing = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"][len(prefix):] for o in listing.get("Contents", []))


@pytest.fixture
def on_s3(app, s3_endpoint, monkeypatch, request):
    prefix = f"t{request.node.name.__hash__() & 0xffffff:x}/"
    monkeypatch.setitem(app.config, "REGISTRY_FILES_URL", f"s3://{BUCKET}/{prefix}")
    monkeypatch.setitem(app.config, "REGISTRY_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setitem(app.extensions, filestore.EXTENSION_KEY, filestore.from_config(app))
    return prefix


def test_documents_in_s3_upload_download_and_removal(app, org, as_person, s3_endpoint, on_s3):
    browser = as_person("employee1")
    data = plain_pdf("Charter in S3")
    r = upload(browser, org.id, data, "устав.pdf")
    assert r.status_code == 302, r.text
    with app.app_context():
        document = db.session.scalars(select(Document).order_by(Document.id.desc())).first()
        key = document.file_key
    assert objects(s3_endpoint, on_s3) == [key]  # nothing left in the local spool either
    assert not any(p.is_file() for p in (Path(app.instance_path) / "spool").rglob("*"))
    download = browser.get(f"{r.location}/file")
    assert download.status_code == 200 and download.data == data
    assert download.headers["Cache-Control"] == "no-store, private"
    # a refused upload leaves nothing in the bucket
    refused = upload(browser, org.id, b"MZ\x90\x00 not a pdf", "вирус.pdf")
    assert refused.status_code == 422 and objects(s3_endpoint, on_s3) == [key]


KILLED = textwrap.dedent("""
    import io, os, signal, sys
    from registry import create_app
    from registry.documents.services import store
    app = create_app()
    with app.app_context():
        stored = store.store_upload(io.BytesIO(sys.stdin.buffer.read()), "orphan.pdf")
        print(stored.key, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # killed after the file, before any commit
""")


@pytest.mark.parametrize("where", ["disk", "s3"])
def test_worker_killed_between_file_and_commit(app, org, as_person, s3_endpoint, tmp_path,
                                               monkeypatch, where, request):
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "x",
           "REGISTRY_INSTANCE_PATH": str(tmp_path / "instance"), "REGISTRY_BROKER_URL": "immediate"}
    if where == "s3":
        prefix = f"killed{os.getpid()}-{tmp_path.name}/"  # one per test: the bucket outlives it
        url = f"s3://{BUCKET}/{prefix}"
        env.update(REGISTRY_FILES_URL=url, REGISTRY_S3_ENDPOINT_URL=s3_endpoint)
        monkeypatch.setitem(app.config, "REGISTRY_FILES_URL", url)
        monkeypatch.setitem(app.config, "REGISTRY_S3_ENDPOINT_URL", s3_endpoint)
        listed = lambda: objects(s3_endpoint, prefix)  # noqa: E731
    else:
        root = tmp_path / "files"
        env["REGISTRY_FILES_DIR"] = str(root)
        monkeypatch.setitem(app.config, "REGISTRY_FILES_DIR", str(root))
        listed = lambda: sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())  # noqa: E731
    monkeypatch.setitem(app.extensions, filestore.EXTENSION_KEY, filestore.from_config(app))
    # a committed document, uploaded through the application
    browser = as_person("employee1")
    assert upload(browser, org.id, plain_pdf("kept"), "устав.pdf").status_code == 302
    with app.app_context():
        kept = db.session.scalars(select(Document.file_key).order_by(Document.id.desc())).first()
    # a worker writes a file and is killed before it commits anything
    done = subprocess.run([sys.executable, "-c", KILLED], input=plain_pdf("orphan"), env=env,
                          capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    orphan = done.stdout.decode().split()[0]
    assert sorted(listed()) == sorted([kept, orphan])
    with app.app_context():
        assert store.sweep_files(older_than=3600) == 0  # too young: could still be committing
        assert store.sweep_files(older_than=0) == 1
        keys = set(db.session.scalars(select(Document.file_key)))
    assert listed() == [kept]  # no orphan, and every row still has its file
    assert kept in keys and orphan not in keys
