"""The CRL refresh on a schedule inside a running process (``registry demo serve``).

Production runs ``registry trust refresh`` from a systemd timer (``deploy/systemd/``); the
demo, which has no timer, starts :func:`start_refresh_thread`. Either way the lock in
:mod:`registry.trust.refresh` keeps two refreshes from fetching at once.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

log = logging.getLogger(__name__)
THREAD_KEY = "registry.trust.refresh_thread"


def init_schedule(app: Flask) -> None:
    app.config.setdefault("REGISTRY_TRUST_REFRESH_SECONDS", 3600)


class RefreshThread(threading.Thread):
    """Runs one refresh at start, then every ``interval`` seconds, until :meth:`stop`."""

    def __init__(self, app: Flask, interval: float, before=None):
        super().__init__(name="trust-refresh", daemon=True)
        self.app = app
        self.interval = interval
        self.before = before
        self.runs = 0
        self._stopping = threading.Event()

    def run(self) -> None:
        from .refresh import refresh_crls

        while not self._stopping.is_set():
            try:
                if self.before is not None:
                    self.before()
                reports = refresh_crls(self.app)
                self.runs += 1
                bad = [r for r in reports if r.status != "fresh"]
                log.info("scheduled CRL refresh: %d CAs, %d not fresh", len(reports), len(bad))
            except Exception:  # the schedule must outlive one failed run
                log.exception("scheduled CRL refresh failed")
            self._stopping.wait(self.interval)

    def stop(self) -> None:
        self._stopping.set()


def start_refresh_thread(app: Flask, interval: float | None = None, before=None) -> RefreshThread:
    seconds = float(
        interval if interval is not None else app.config["REGISTRY_TRUST_REFRESH_SECONDS"]
    )
    thread = RefreshThread(app, seconds, before)
    app.extensions[THREAD_KEY] = thread
    thread.start()
    return thread
