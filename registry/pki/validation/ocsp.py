"""OCSP answers for a path, and the worker threads that run validations within a deadline.

Besides :mod:`.cache`, the only module with state: each worker thread keeps an event loop and
an HTTP session (keep-alive to the responders), and :class:`Runner` bounds how many
validations may be running or waiting. A validation past its deadline is answered at once;
its worker stops at its next network wait or candidate path (see ``deadline``), so a slow
responder cannot pile up threads.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.path import ValidationPath

from ..store import TrustStore
from .cache import Caches
from .crl import crl_index
from .policy import OCSP_CACHE_SECONDS, OCSP_TIMEOUT
from .result import describe

log = logging.getLogger(__name__)

_LOOPS = threading.local()
_SESSIONS: list[tuple[asyncio.AbstractEventLoop, Any]] = []
_SESSIONS_LOCK = threading.Lock()


def _thread_loop() -> asyncio.AbstractEventLoop:
    loop = getattr(_LOOPS, "loop", None)
    if loop is None or loop.is_closed():
        loop = _LOOPS.loop = asyncio.new_event_loop()
    return loop


def run(coroutine):
    """Run a coroutine on this thread's own event loop (asyncio.run builds a new one per call)."""
    return _thread_loop().run_until_complete(coroutine)


def _session():
    """This thread's HTTP session (bound to this thread's event loop; kept for keep-alive)."""
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession

    session = getattr(_LOOPS, "session", None)
    if session is None:
        session = _LOOPS.session = LazySession()
        with _SESSIONS_LOCK:
            _SESSIONS.append((_thread_loop(), session))
    return session


@atexit.register
def _close_sessions() -> None:
    for loop, session in _SESSIONS:
        try:
            if not loop.is_closed() and not loop.is_running():
                loop.run_until_complete(session.close())
        except Exception:
            pass


class Runner:
    """A fixed pool of validation threads with a bounded number of waiting validations.

    :meth:`submit` refuses (returns None) instead of queueing without end when every thread
    is busy and ``waiting`` validations already wait.
    """

    def __init__(self, workers: int = 4, waiting: int = 16):
        self.workers = workers
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="certvalidate")
        self._slots = threading.BoundedSemaphore(workers + waiting)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future | None:
        if not self._slots.acquire(blocking=False):
            return None
        try:
            future = self._executor.submit(fn, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _done: self._slots.release())
        return future


RUNNER = Runner()


def remaining(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (a ``time.monotonic()`` value), never below zero."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def prefetch(store: TrustStore, moment: datetime, caches: Caches, *,
             only_without_fresh_crl: bool, deadline: float | None = None
             ) -> Callable[[ValidationPath], list[asn1_ocsp.OCSPResponse]]:
    """A hook that asks the responders (AIA) of a path's certificates for their status.

    With ``only_without_fresh_crl`` a certificate whose issuer has a CRL current at
    ``moment`` is not asked about. Unreachable or broken responders give no answer (then
    the CRL decides, and without one the status is unknown); no request outlives ``deadline``.
    """
    index = crl_index(store, caches)

    def fresh_crl(issuer: asn1_x509.Certificate) -> bool:
        for item, next_update in index.get(issuer.subject.hashable, ()):
            this_update = item["tbs_cert_list"]["this_update"].native
            if next_update is not None and this_update <= moment <= next_update:
                return True
        return False

    def hook(path: ValidationPath) -> list[asn1_ocsp.OCSPResponse]:
        from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpOCSPFetcher

        certs = list(path.iter_certs(include_root=True))
        wanted = []
        for issuer, cert in zip(certs, certs[1:], strict=False):
            if not cert.ocsp_urls:
                continue
            if only_without_fresh_crl and fresh_crl(issuer):
                continue
            wanted.append((cert, issuer))
        left = remaining(deadline)
        if not wanted or left == 0:
            return []
        per_request = OCSP_TIMEOUT if left is None else min(OCSP_TIMEOUT, left)
        fetcher = AIOHttpOCSPFetcher(_session(), per_request_timeout=per_request)

        async def one(cert, issuer):
            try:
                return await fetcher.fetch(cert, AuthorityWithCert(issuer))
            except Exception as exc:  # unreachable, malformed: no answer from it
                log.info("OCSP for %s: %s", describe(cert), exc)
                return None

        async def all_of():
            # One bound for all requests of the path: the slowest responder cannot hold the
            # worker past the validation's deadline.
            tasks = [asyncio.ensure_future(one(c, i)) for c, i in wanted]
            done, pending = await asyncio.wait(tasks, timeout=per_request + 1)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
                log.info("OCSP: %d responder(s) gave no answer in time", len(pending))
            return [t.result() for t in tasks if t in done]

        return [r for r in run(all_of()) if r is not None]

    return hook


def after_answers(moment: datetime, responses: Sequence[asn1_ocsp.OCSPResponse]) -> datetime:
    """"Now" once the answers have arrived (bounded: a responder's clock may run ahead)."""
    latest = moment
    limit = datetime.now(timezone.utc) + timedelta(seconds=60)
    for response in responses:
        try:
            for single in response.basic_ocsp_response["tbs_response_data"]["responses"]:
                latest = max(latest, min(single["this_update"].native, limit))
        except Exception:
            continue
    return latest


def fresh_until(responses: Sequence[asn1_ocsp.OCSPResponse], moment: datetime) -> datetime:
    """How long a decision taken on these OCSP answers may be reused."""
    until = moment + timedelta(seconds=OCSP_CACHE_SECONDS)
    for response in responses:
        try:
            for single in response.basic_ocsp_response["tbs_response_data"]["responses"]:
                next_update = single["next_update"].native
                if next_update is not None:
                    until = min(until, next_update)
        except Exception:
            continue
    return until
