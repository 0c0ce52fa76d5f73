"""Everything validation remembers, in one place, with one :meth:`Caches.clear_all`.

The remembered facts are pure functions of their keys (a parsed certificate, a verified
signature, a store's CRL index) except the results, which carry their own deadline (CRL
nextUpdate, OCSP answer lifetime, notAfter). cachetools' caches are not thread-safe; each
:class:`Memo` pairs one with a lock. Besides :mod:`.ocsp`, the only module with state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, MutableMapping
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from cachetools import LRUCache, TLRUCache

V = TypeVar("V")


class Memo(Generic[V]):
    """A bounded cache and the lock that guards it."""

    def __init__(self, cache: MutableMapping[Any, V]):
        self._cache = cache
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            return self._cache.get(key)

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._cache[key] = value

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The remembered value, else ``make()`` (computed outside the lock) remembered."""
        found = self.get(key)
        if found is None:
            found = make()
            self.put(key, found)
        return found

    def items(self) -> list[tuple[Any, V]]:
        with self._lock:
            return list(self._cache.items())

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)


def _until(_key: Any, value: tuple[datetime, Any], _now: datetime) -> datetime:
    return value[0]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Caches:
    """The caches of one validation context (the process shares :data:`CACHES`)."""

    def __init__(self, results: int = 20000):
        # (deadline, ValidationResult) by the request as given; dropped at the deadline.
        self.results: Memo[tuple[datetime, Any]] = Memo(
            TLRUCache(maxsize=results, ttu=_until, timer=_utcnow))
        # Signatures once verified (the CA certificates and CRLs of a chain are the same from
        # one sign-in to the next); only successes are kept.
        self.verified: Memo[bool] = Memo(LRUCache(maxsize=4096))
        # Intermediates on some name chain to a root, by issuer name, AKI and pool.
        self.useful: Memo[list] = Memo(LRUCache(maxsize=256))
        # Supplied CA certificates, parsed, by input digest: a few per CA.
        self.parsed: Memo[Any] = Memo(LRUCache(maxsize=512))
        # Per trust-store content (by store id): its CRLs by issuer and its certificates.
        self.crl_index: Memo[dict] = Memo(LRUCache(maxsize=8))
        self.known: Memo[dict] = Memo(LRUCache(maxsize=8))
        # A CRL's issuer and whether it is indirect, by object id; the entry keeps the
        # object (and so its id) alive.
        self.crl_facts: Memo[tuple] = Memo(LRUCache(maxsize=8192))

    def clear_all(self) -> None:
        """Forget everything (results and the facts they rest on)."""
        for memo in (self.results, self.verified, self.useful, self.parsed, self.crl_index,
                     self.known, self.crl_facts):
            memo.clear()


CACHES = Caches()


def clear_all() -> None:
    """Forget everything the process's validations remembered."""
    CACHES.clear_all()
