"""``/metrics`` in the Prometheus text format, for the operator's monitoring.

Only addresses in ``REGISTRY_METRICS_FROM`` get an answer (everyone else a plain 404). Under
gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory writable by the workers
(deploy/): every worker writes its counters there and a scrape sums them. Measured:

- ``registry_http_request_seconds`` — request latency by endpoint, method and status;
- ``registry_sign_in_events_total`` — sign-ins, refusals and sign-outs by reason (the visit
  journal's event and result);
- ``registry_certificate_validation_seconds`` — certificate validation at sign-in;
- ``registry_signature_check_seconds`` — document signature checks;
- ``registry_crl_age_seconds`` / ``registry_crl_seconds_to_next_update`` — per CA, at scrape;
- ``registry_jobs_queued``, ``registry_jobs_scheduled``, ``registry_job_failures`` — at scrape.
"""

from __future__ import annotations

import functools
import time
from datetime import datetime, timezone

from flask import Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from .config import parse_networks
from .core.measures import (
    MULTIPROCESS,
    REQUEST_SECONDS,
    SIGN_IN_EVENTS,
    SIGNATURE_SECONDS,
    VALIDATION_SECONDS,
)


class _ScrapeTime:
    """Gauges computed when scraped: CRL ages of the trust store, the job queue."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        with self.app.app_context():
            yield from self._crls()
            yield from self._jobs()

    def _crls(self):
        from .trust import holder

        age = GaugeMetricFamily("registry_crl_age_seconds", "Seconds since the CRL's thisUpdate",
                                labels=["issuer"])
        left = GaugeMetricFamily("registry_crl_seconds_to_next_update",
                                 "Seconds until the CRL's nextUpdate (negative: stale)", labels=["issuer"])
        now = datetime.now(timezone.utc)
        try:
            items = holder().get().crl_status(now)
        except Exception:
            items = []
        for item in items:
            if item.get("this_update"):
                age.add_metric([item["issuer"]], (now - item["this_update"]).total_seconds())
            if item.get("next_update"):
                left.add_metric([item["issuer"]], (item["next_update"] - now).total_seconds())
        yield age
        yield left

    def _jobs(self):
        from sqlalchemy import func, select

        from .extensions import db
        from .jobs import huey
        from .jobs.models import JobFailure

        try:
            queued, scheduled = huey.pending_count(), huey.scheduled_count()
        except Exception:
            queued = scheduled = -1
        yield GaugeMetricFamily("registry_jobs_queued", "Jobs waiting in the queue", value=queued)
        yield GaugeMetricFamily("registry_jobs_scheduled", "Jobs scheduled (retries included)",
                                value=scheduled)
        failures = GaugeMetricFamily("registry_job_failures", "Recorded failed attempts",
                                     labels=["task", "final"])
        try:
            rows = db.session.execute(select(JobFailure.task, JobFailure.retries_left == 0, func.count())
                                      .group_by(JobFailure.task, JobFailure.retries_left == 0)).all()
        except Exception:
            db.session.rollback()
            rows = []
        for task, final, count in rows:
            failures.add_metric([task, "yes" if final else "no"], count)
        yield failures


def _registry(app: Flask) -> CollectorRegistry:
    registry = CollectorRegistry()
    if MULTIPROCESS:
        from prometheus_client import multiprocess
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (REQUEST_SECONDS, SIGN_IN_EVENTS, VALIDATION_SECONDS, SIGNATURE_SECONDS):
            registry.register(collector)
    registry.register(_ScrapeTime(app))
    return registry


def _allowed(app: Flask) -> bool:
    from .web.proxy import TrustedProxyMiddleware

    networks = parse_networks(str(app.config.get("REGISTRY_METRICS_FROM") or ""))
    return TrustedProxyMiddleware(None, networks).is_trusted(request.remote_addr)


def init_app(app: Flask) -> None:
    from sqlalchemy import event

    from .auth import services as auth_services
    from .auth.models import VisitJournalEntry
    from .core.web import public

    @app.route("/metrics")
    @public
    def metrics():
        if not _allowed(app):
            abort(404)
        return Response(generate_latest(_registry(app)), mimetype=CONTENT_TYPE_LATEST)

    @app.before_request
    def _start_timer():
        g.registry_request_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("registry_request_started", None)
        if started is not None and request.endpoint != "metrics":
            REQUEST_SECONDS.labels(request.endpoint or "unmatched", request.method,
                                   str(response.status_code)).observe(time.perf_counter() - started)
        return response

    if not getattr(VisitJournalEntry, "_registry_metrics", False):
        VisitJournalEntry._registry_metrics = True  # type: ignore[attr-defined]

        @event.listens_for(VisitJournalEntry, "after_insert")
        def _count(mapper, connection, entry):
            SIGN_IN_EVENTS.labels(entry.event, entry.result or "").inc()

    checker = auth_services.CertificateChecker
    if not getattr(checker.check, "_registry_timed", False):
        original = checker.check

        @functools.wraps(original)
        def timed_check(self, raw):
            started = time.perf_counter()
            try:
                return original(self, raw)
            finally:
                VALIDATION_SECONDS.observe(time.perf_counter() - started)
        timed_check._registry_timed = True  # type: ignore[attr-defined]
        checker.check = timed_check  # type: ignore[method-assign]
