"""Where stored files live: the local disk or an S3-compatible object store, one interface.

``REGISTRY_FILES_URL`` empty keeps files under ``REGISTRY_FILES_DIR`` (or ``files/`` in the
instance folder); ``s3://bucket/prefix`` puts them in a bucket (``REGISTRY_S3_ENDPOINT_URL``
for MinIO, Ceph or any S3-protocol server; credentials from the usual AWS environment
variables or files). Either way an upload is typed and size-checked on the local disk first
(:func:`storage.save_upload`), so hostile content never reaches the shared store, and a file
is written completely under its final key before the row that points at it is committed.
A row therefore never lacks its file; a file without a row (a worker killed between the two)
is removed by :meth:`FileStore.sweep` once it is older than any request can be.
"""

from __future__ import annotations

import abc
import contextlib
import tempfile
import time
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

from flask import Flask, Response, send_file

from . import storage


class FileStore(abc.ABC):
    """The operations the application needs from a file store."""

    @abc.abstractmethod
    def save(self, stream: BinaryIO, filename: str | None, *, max_bytes: int) -> storage.StoredFile:
        """Type, check and store an upload under a new key."""

    @abc.abstractmethod
    def open(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """A readable stream of the stored file."""

    def read(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the file (a missing one is not an error)."""

    @abc.abstractmethod
    def send(self, key: str, name: str, media_type: str) -> Response:
        """A download response streaming the file (FileNotFoundError if it is missing)."""

    @abc.abstractmethod
    def sweep(self, keep: set[str], older_than: float) -> int:
        """Remove files no row points at, older than ``older_than`` seconds; their count."""


def _download(body: BinaryIO, name: str, media_type: str, size: int | None = None) -> Response:
    response = send_file(body, mimetype=media_type, as_attachment=True, download_name=name,
                         conditional=False, etag=False, max_age=None)
    if size is not None:
        response.content_length = size
    response.headers["Cache-Control"] = "no-store, private"
    return response


class LocalStore(FileStore):
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def save(self, stream, filename, *, max_bytes):
        return storage.save_upload(stream, filename, root=self.root, max_bytes=max_bytes)

    def path(self, key: str) -> Path:
        return storage.path_of(key, root=self.root)

    @contextlib.contextmanager
    def open(self, key):
        with self.path(key).open("rb") as f:
            yield f

    def exists(self, key):
        return self.path(key).is_file()

    def delete(self, key):
        storage.delete(key, root=self.root)

    def send(self, key, name, media_type):
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return _download(path.open("rb"), name, media_type, path.stat().st_size)

    def sweep(self, keep, older_than):
        if not self.root.exists():
            return 0
        return storage.sweep(self.root, keep=keep, older_than=older_than)


class S3Store(FileStore):
    """Objects ``<prefix>/<key>`` in one bucket."""

    def __init__(self, bucket: str, prefix: str, *, endpoint_url: str | None, spool: Path):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.spool = spool
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None,
                                   config=Config(retries={"max_attempts": 3, "mode": "standard"},
                                                 connect_timeout=5, read_timeout=30))

    def _name(self, key: str) -> str:
        storage.path_of(key, root=".")  # only keys this store made
        return self.prefix + key

    def save(self, stream, filename, *, max_bytes):
        # Typed and hashed on the local disk, then uploaded whole under its final key.
        stored = storage.save_upload(stream, filename, root=self.spool, max_bytes=max_bytes)
        local = storage.path_of(stored.key, root=self.spool)
        try:
            self.client.upload_file(str(local), self.bucket, self._name(stored.key),
                                    ExtraArgs={"ContentType": stored.media_type})
        finally:
            local.unlink(missing_ok=True)
        return stored

    @contextlib.contextmanager
    def open(self, key):
        from botocore.exceptions import ClientError

        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, dir=self.spool) as f:
            try:
                self.client.download_fileobj(self.bucket, self._name(key), f)
            except ClientError as exc:
                raise FileNotFoundError(key) from exc
            f.seek(0)
            yield f

    def exists(self, key):
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
            return True
        except ClientError:
            return False

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def send(self, key, name, media_type):
        from botocore.exceptions import ClientError

        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            raise FileNotFoundError(key) from exc
        return _download(obj["Body"], name, media_type, obj.get("ContentLength"))

    def sweep(self, keep, older_than):
        cutoff = time.time() - older_than
        removed = 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix):]
                if key in keep or item["LastModified"].timestamp() > cutoff:
                    continue
                self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
                removed += 1
        return removed


EXTENSION_KEY = "registry.filestore"


def from_config(app: Flask) -> FileStore:
    url = str(app.config.get("REGISTRY_FILES_URL") or "")
    if url.startswith("s3://"):
        parsed = urlparse(url)
        if not parsed.netloc:
            raise ValueError(f"REGISTRY_FILES_URL={url!r}: expected s3://bucket/prefix")
        spool = Path(app.instance_path) / "spool"
        spool.mkdir(parents=True, exist_ok=True)
        return S3Store(parsed.netloc, parsed.path, endpoint_url=app.config.get("REGISTRY_S3_ENDPOINT_URL"),
                       spool=spool)
    if url and not url.startswith("file://"):
        raise ValueError(f"REGISTRY_FILES_URL={url!r}: expected s3://bucket/prefix or empty")
    root = url[len("file://"):] if url else (app.config.get("REGISTRY_FILES_DIR")
                                             or Path(app.instance_path) / "files")
    return LocalStore(root)


def current() -> FileStore:
    from flask import current_app

    store = current_app.extensions.get(EXTENSION_KEY)
    if store is None:
        store = current_app.extensions[EXTENSION_KEY] = from_config(current_app)
    return store
