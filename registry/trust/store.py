"""The application's trust store (roots, intermediates, CRLs), reloaded when its files change.

The store itself is :class:`registry.pki.store.TrustStore`; this layer holds the one the
application uses, with the CA list (tsl.json) imported beside it.

``registry trust refresh`` and ``registry trust import-tsl`` replace files atomically (a new
file renamed over the old one, a new directory swapped in through a symlink); operators may
also replace CRL files by hand. Every ``REGISTRY_TRUST_RELOAD_SECONDS`` the holder compares the
store's resolved path, file names, sizes and modification times with the last load (a few
``stat`` calls per file, no reading) and reloads only when they differ, so every running
instance picks up new CRLs without a restart.

One unreadable file does not take the store down: the rest is loaded and the file is listed in
:attr:`TrustStoreHolder.problems`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from flask import Flask, current_app

from ..pki import TrustStore, TrustStoreError
from ..pki.store import LoadProblem
from .accreditation import AccreditationIndex, register_index
from .metadata import METADATA_FILE, read_metadata

log = logging.getLogger(__name__)

EXTENSION_KEY = "registry.trust"
CERT_SUFFIXES = {".crt", ".cer", ".pem", ".der"}
CRL_SUFFIXES = {".crl"}
WATCHED_SUFFIXES = CERT_SUFFIXES | CRL_SUFFIXES | {".json"}


class TrustStoreHolder:
    """Holds the current TrustStore of one directory (or file) and reloads it on change."""

    def __init__(self, path: str | os.PathLike, reload_seconds: float = 60):
        self.path = Path(path)
        self.reload_seconds = reload_seconds
        self.generation = 0
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._signature: tuple | None = None
        self._store: TrustStore | None = None
        self.error: str | None = None
        self.problems: tuple[LoadProblem, ...] = ()
        self.metadata: dict | None = None
        self.accreditation = AccreditationIndex.empty()
        self.loaded_at: float | None = None

    def _files_signature(self) -> tuple:
        if not self.path.exists():
            return ()
        real = os.path.realpath(self.path)
        if self.path.is_file():
            st = os.stat(real)
            return (real, (real, st.st_mtime_ns, st.st_size))
        entries: list[tuple] = []
        for root, dirs, files in os.walk(real):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.startswith(".") or Path(name).suffix.lower() not in WATCHED_SUFFIXES:
                    continue
                full = os.path.join(root, name)
                try:
                    st = os.stat(full)
                except FileNotFoundError:  # replaced while walking: the next check sees it
                    continue
                entries.append((full, st.st_mtime_ns, st.st_size))
        # An empty directory is the same as a missing one; the resolved path tells a swapped
        # directory from the old one even when their files look alike.
        return (real, *sorted(entries)) if entries else ()

    def get(self) -> TrustStore:
        """The current trust store; reloads it if the files changed since the last check."""
        now = time.monotonic()
        if self._store is not None and now - self._checked_at < self.reload_seconds:
            return self._store
        with self._lock:
            if self._store is not None and now - self._checked_at < self.reload_seconds:
                return self._store
            signature = self._files_signature()
            if self._store is None or signature != self._signature:
                if not signature and self._store is not None and self._store.roots:
                    # The directory is being swapped (or was removed): keep what we have and
                    # look again at the next check.
                    self._checked_at = now
                    return self._store
                self._store = self._load(signature)
                self._signature = signature
                self.generation += 1
                self.loaded_at = time.time()
            self._checked_at = now
            return self._store

    def reload(self) -> TrustStore:
        """Check the files now, whatever the reload interval."""
        with self._lock:
            self._checked_at = float("-inf")
        return self.get()

    def _load(self, signature: tuple) -> TrustStore:
        if not signature:
            self.error = f"trust store {self.path} does not exist or is empty"
            self.problems = ()
            log.warning(self.error)
            return TrustStore.build()
        store, problems = load_store(self.path)
        self.problems = tuple(problems)
        self.error = None
        if problems:
            self.error = (
                f"{len(problems)} file(s) of trust store {self.path} could not be "
                f"loaded: " + "; ".join(str(p) for p in problems[:5])
            )
            log.error(self.error)
        try:
            self.metadata = read_metadata(self.path) if self.path.is_dir() else None
        except ValueError as exc:
            self.metadata = None
            self.problems += (LoadProblem(str(self.path / METADATA_FILE), str(exc)),)
            log.error("trust store metadata: %s", exc)
        self.accreditation = AccreditationIndex.from_metadata(self.metadata)
        register_index(store.id, self.accreditation)
        log.info(
            "trust store %s: %d roots, %d intermediates, %d CRLs",
            self.path,
            len(store.roots),
            len(store.intermediates),
            len(store.crls),
        )
        return store


def load_store(path: Path) -> tuple[TrustStore, list[LoadProblem]]:
    """Load every certificate and CRL under ``path``; unreadable files are reported, not fatal."""
    try:
        store = TrustStore.from_paths(path)
    except TrustStoreError as exc:  # ``path`` is one file and it cannot be read
        return TrustStore.build(), [LoadProblem(str(path), str(exc))]
    return store, list(store.problems)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = TrustStoreHolder(
        app.config["REGISTRY_TRUST_STORE"], app.config["REGISTRY_TRUST_RELOAD_SECONDS"]
    )


def holder() -> TrustStoreHolder:
    return current_app.extensions[EXTENSION_KEY]


def trust_store() -> TrustStore:
    """The trust store of the current application."""
    return holder().get()


def display_name(cert) -> str:
    """A CA's short name from its certificate: CN, else O, else the whole subject."""
    from ..pki.certificate import parse_name

    try:
        pairs = parse_name(cert.asn1.subject)
    except Exception:  # a name the parser cannot read still has a printable form
        return cert.subject
    for oid in ("2.5.4.3", "2.5.4.10"):
        for key, value in pairs:
            if key == oid and value:
                return str(value)
    return cert.subject
