"""The file store of documents and applications: where files live, how they are written
(typed by content, size-limited, atomically, see :mod:`..storage`), and removing what no row
points at (a file written for a refused or rolled-back request is removed again)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from .. import filestore, storage
from ..models import Application, Document


class DocumentError(Exception):
    """A rule the person can act on; the message is shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# -- the store ------------------------------------------------------------------------------------
def files_root() -> Path:
    root = current_app.config.get("REGISTRY_FILES_DIR")
    return Path(root) if root else Path(current_app.instance_path) / "files"


def max_bytes() -> int:
    return int(current_app.config["REGISTRY_UPLOAD_MAX_MB"]) * 1024 * 1024


def file_store() -> filestore.FileStore:
    return filestore.current()


def file_path(key: str) -> Path:
    """The local path of a stored file (the local-disk store only)."""
    store = file_store()
    if not isinstance(store, filestore.LocalStore):
        raise ValueError("files are not on the local disk")
    return store.path(key)


def read_file(key: str) -> bytes:
    return file_store().read(key)


def send_stored(key: str, name: str, media_type: str):
    """A streamed download of a stored file (call after the permission check); 404 if gone."""
    from flask import abort

    try:
        return file_store().send(key, name, media_type)
    except (FileNotFoundError, ValueError):
        abort(404)


def store_upload(stream: BinaryIO, filename: str | None) -> storage.StoredFile:
    try:
        return file_store().save(stream, filename, max_bytes=max_bytes())
    except storage.UploadError as exc:
        raise DocumentError(str(exc)) from None


def store_bytes(data: bytes, name: str) -> storage.StoredFile:
    import io
    return store_upload(io.BytesIO(data), name)


class FileCleanup:
    """Remember files written during a request; remove them unless the request commits.

    Files are written before the rows that point at them; a later failure must not leave an
    orphan behind. ``after_commit`` only forgets; anything else removes.
    """

    def __init__(self):
        self.keys: list[str] = []
        self.obsolete: list[str] = []

    def written(self, key: str) -> None:
        self.keys.append(key)

    def discard_after_commit(self, key: str | None) -> None:
        if key:
            self.obsolete.append(key)

    def committed(self) -> None:
        for key in self.obsolete:
            file_store().delete(key)
        self.keys, self.obsolete = [], []

    def rollback(self) -> None:
        for key in self.keys:
            file_store().delete(key)
        self.keys, self.obsolete = [], []


def referenced_keys() -> set[str]:
    """Every file key a row points at."""
    keys: set[str] = set()
    for column in (Document.file_key, Document.signature_key, Application.pdf_key,
                   Application.signature_key):
        keys.update(k for k in db.session.scalars(select(column).where(column.is_not(None))) if k)
    return keys


def sweep_files(older_than: int = 3600) -> int:
    """Remove stored files no row points at, written more than ``older_than`` seconds ago (left
    by a worker killed between writing a file and committing its row); how many."""
    return file_store().sweep(referenced_keys(), older_than)
