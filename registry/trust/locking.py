"""One trust-store operation at a time across processes (and nodes sharing PostgreSQL).

The lock file lives beside the store (``.<name>.lock`` in its parent directory), so that it
survives the store directory being swapped by an import.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

# pg_advisory_lock takes a bigint; derived from a fixed name so every node agrees.
ADVISORY_KEY = int.from_bytes(
    hashlib.sha256(b"registry.trust.refresh").digest()[:8], "big", signed=True
)


def lock_path(store: str | os.PathLike) -> Path:
    path = Path(store)
    return path.parent / f".{path.name}.lock"


@contextlib.contextmanager
def store_lock(store: str | os.PathLike, *, blocking: bool = True) -> Iterator[bool]:
    """Hold the store's lock; yields False at once if ``blocking`` is off and it is taken."""
    path = lock_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def database_lock(engine, *, blocking: bool = True) -> Iterator[bool]:
    """A PostgreSQL advisory lock for nodes that share the database but not the file system.

    On other databases this always succeeds (one node: the file lock is enough).
    """
    if engine is None or engine.dialect.name != "postgresql":
        yield True
        return
    from sqlalchemy import text

    with engine.begin() as connection:  # its own connection, committed when the block ends
        if blocking:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
            got = True
        else:
            got = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}
                ).scalar()
            )
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
