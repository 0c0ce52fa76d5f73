"""The application's trust store (roots, intermediates, CRLs), reloaded when its files change.

Operators replace CRL files in place; checking the directory's file list and modification
times every ``REGISTRY_TRUST_RELOAD_SECONDS`` picks up new CRLs without a restart.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from flask import Flask, current_app

from .pki import TrustStore

log = logging.getLogger(__name__)

EXTENSION_KEY = "registry.trust"


class TrustStoreHolder:
    """Holds the current TrustStore of one directory (or file) and reloads it on change."""

    def __init__(self, path: str | os.PathLike, reload_seconds: float = 60):
        self.path = Path(path)
        self.reload_seconds = reload_seconds
        self.generation = 0
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._signature: tuple | None = None
        self._store: TrustStore | None = None
        self.error: str | None = None

    def _files_signature(self) -> tuple:
        if not self.path.exists():
            return ()
        if self.path.is_file():
            st = self.path.stat()
            return ((str(self.path), st.st_mtime_ns, st.st_size),)
        entries = []
        for root, _dirs, files in os.walk(self.path):
            for name in files:
                st = os.stat(os.path.join(root, name))
                entries.append((os.path.join(root, name), st.st_mtime_ns, st.st_size))
        return tuple(sorted(entries))

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
                self._store = self._load(signature)
                self._signature = signature
                self.generation += 1
            self._checked_at = now
            return self._store

    def _load(self, signature: tuple) -> TrustStore:
        if not signature:
            self.error = f"trust store {self.path} does not exist or is empty"
            log.warning(self.error)
            return TrustStore.from_paths()
        try:
            store = TrustStore.from_paths(self.path)
        except Exception as exc:  # a broken file must not take the site down
            self.error = f"cannot load trust store {self.path}: {exc}"
            log.error(self.error)
            return self._store if self._store is not None else TrustStore.from_paths()
        self.error = None
        log.info("trust store %s: %d roots, %d intermediates, %d CRLs", self.path,
                 len(store.roots), len(store.intermediates), len(store.crls))
        return store


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = TrustStoreHolder(
        app.config["REGISTRY_TRUST_STORE"], app.config["REGISTRY_TRUST_RELOAD_SECONDS"])


def holder() -> TrustStoreHolder:
    return current_app.extensions[EXTENSION_KEY]


def trust_store() -> TrustStore:
    """The trust store of the current application."""
    return holder().get()
