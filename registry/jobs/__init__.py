"""Background and periodic jobs on Huey.

One queue, three ways to run it, chosen by ``REGISTRY_BROKER_URL``:

- empty (the default): Huey's SQLite storage in the instance folder — one node, no extra
  server; ``registry jobs worker`` (or the consumer embedded in ``registry demo serve``) runs it;
- ``redis://…``: Redis storage shared by several nodes; one or more ``registry jobs worker``;
- ``immediate``: every job runs inline when it is enqueued (tests, debugging).

Jobs are enqueued only after the request's transaction commits (:func:`after_commit`), so a
worker never looks for a row that is not there yet. A failed attempt is retried with
exponential backoff and written to ``job_failures`` for the operator console. Periodic jobs
(:func:`periodic`) are offered by every consumer's scheduler every minute; the first claim of a
period in ``periodic_runs`` (a unique key) wins, so each runs once per period across nodes.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.consumer import Consumer
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core import uow
from ..extensions import db, utcnow

log = logging.getLogger(__name__)

QUEUE_NAME = "registry"
huey = Huey(QUEUE_NAME, results=False, storage_class=MemoryStorage)
_PENDING_KEY = "registry.jobs.after_commit"


class _State:
    app: Flask | None = None
    consumer: Consumer | None = None


_state = _State()


def configure(app: Flask) -> None:
    """Point the queue at the storage ``REGISTRY_BROKER_URL`` names (see the module doc)."""
    url = str(app.config.get("REGISTRY_BROKER_URL") or "")
    if url == "immediate":
        huey._immediate = True
        huey.storage = MemoryStorage(QUEUE_NAME)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        huey._immediate = False
        huey.storage = RedisStorage(QUEUE_NAME, url=url)
    elif url == "" or url.startswith("sqlite:///"):
        filename = url[len("sqlite:///"):] or str(Path(app.instance_path) / "jobs.db")
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        huey._immediate = False
        huey.storage = SqliteStorage(QUEUE_NAME, filename=filename)
    else:
        raise ValueError(f"REGISTRY_BROKER_URL={url!r}: expected redis://…, sqlite:///…, "
                         "'immediate' or empty")
    app.config["REGISTRY_BROKER_KIND"] = ("immediate" if huey.immediate else
                                          "redis" if isinstance(huey.storage, RedisStorage) else "sqlite")


def init_app(app: Flask) -> None:
    """Configure the queue; the domains register their jobs when they are installed, and
    :func:`start` runs the embedded consumer once they all are."""
    from . import cli, models, tasks  # noqa: F401  (register the jobs and tables)

    configure(app)
    _state.app = app
    app.cli.add_command(cli.jobs_cli)


def start(app: Flask) -> None:
    """Start the in-process consumer when configured (``REGISTRY_EMBEDDED_WORKER``)."""
    if app.config.get("REGISTRY_EMBEDDED_WORKER"):
        start_embedded_consumer(app)


def minutes(key: str) -> Callable[[Flask], timedelta]:
    """A period read from the configuration key ``key`` (minutes)."""
    return lambda app: timedelta(minutes=int(app.config[key]))


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _state.app is None:
        raise RuntimeError("registry.jobs: no application configured")
    return _state.app


# -- running one job ----------------------------------------------------------------------------
def _record_failure(name: str, task_id: str, args: tuple, exc: BaseException, retries_left: int) -> None:
    from .models import JobFailure

    try:
        with uow.transaction():
            db.session.add(JobFailure(task=name, task_id=task_id, args=repr(args)[:2000],
                                      error="".join(traceback.format_exception_only(type(exc), exc))[:4000],
                                      retries_left=retries_left))
    except Exception:  # the database itself may be why the job failed
        log.exception("could not record the failure of job %s", name)


def _run(name: str, fn: Callable, args: tuple, kwargs: dict, task) -> Any:
    app = _app()
    with app.app_context():
        try:
            with uow.transaction():  # the job is one unit of work
                result = fn(*args, **kwargs)
            return result
        except Exception as exc:
            retries_left = int(getattr(task, "retries", 0) or 0)
            log.warning("job %s%r failed (%s retries left): %s", name, args, retries_left, exc)
            _record_failure(name, getattr(task, "id", ""), args, exc, retries_left)
            raise


def job(*, retries: int = 3, retry_delay: int = 30, backoff: float = 2.0, name: str | None = None):
    """Make ``fn(*args)`` a background job: ``fn.enqueue(*args)`` now, or
    :func:`after_commit` (``fn``, args) once the current transaction commits. The job runs in an
    application context and its session is committed when it returns."""
    def decorate(fn: Callable) -> Any:
        task_name = name or fn.__name__

        @huey.task(retries=retries, retry_delay=retry_delay, retry_backoff=backoff, context=True,
                   name=task_name)
        def run(*args, task=None):
            return _run(task_name, fn, args, {}, task)

        run.call_now = fn  # type: ignore[attr-defined]
        return run
    return decorate


def after_commit(task, *args) -> None:
    """Enqueue ``task(*args)`` when the current session commits (dropped on rollback)."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before any query still drops the job
    session.info.setdefault(_PENDING_KEY, []).append((task, args))


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    for task, args in pending or ():
        try:
            task(*args)
        except Exception:  # an unreachable broker must not turn a saved request into an error
            log.exception("could not enqueue %s%r", getattr(task, "name", task), args)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_PENDING_KEY, None)


# -- periodic jobs ------------------------------------------------------------------------------
@dataclass
class Periodic:
    name: str
    fn: Callable[[Flask], Any]
    every: Callable[[Flask], timedelta]


PERIODIC: dict[str, Periodic] = {}
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def node_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def period_start(every: timedelta, now: datetime) -> datetime:
    return _EPOCH + every * ((now - _EPOCH) // every)


def periodic(name: str, every: timedelta | Callable[[Flask], timedelta]):
    """Run ``fn(app)`` once per ``every`` (a timedelta, or one read from the app's config)."""
    every_fn = every if callable(every) else (lambda _app, value=every: value)

    def decorate(fn: Callable[[Flask], Any]) -> Callable[[Flask], Any]:
        PERIODIC[name] = Periodic(name, fn, every_fn)

        @huey.periodic_task(crontab(), name=f"periodic.{name}")
        def tick():
            run_periodic(name)

        return fn
    return decorate


def run_periodic(name: str, now: datetime | None = None) -> bool:
    """Run a periodic job unless another node already claimed this period; whether it ran."""
    from .models import PeriodicRun

    item = PERIODIC[name]
    app = _app()
    with app.app_context():
        every = item.every(app)
        if every <= timedelta(0):
            return False
        start = period_start(every, now or utcnow())
        run = PeriodicRun(name=name, period_start=start, node=node_name())
        try:
            with uow.transaction():  # claim the period (another node may have)
                db.session.add(run)
        except IntegrityError:
            return False
        try:
            with uow.transaction():  # the job itself
                item.fn(app)
        except Exception as exc:
            log.exception("periodic job %s failed", name)
            run = db.session.get(PeriodicRun, run.id)
            if run is not None:
                run.error = "".join(traceback.format_exception_only(type(exc), exc))[:4000]
            _record_failure(f"periodic.{name}", "", (), exc, 0)
        with uow.transaction():  # and its end (with the error, if any)
            run = db.session.get(PeriodicRun, run.id) if run is not None else None
            if run is not None:
                run.finished_at = utcnow()
        return True


# -- consumers ----------------------------------------------------------------------------------
STARTUP: list[Callable[[Flask], Any]] = []


def on_consumer_start(fn: Callable[[Flask], Any]) -> Callable[[Flask], Any]:
    """Run ``fn(app)`` (one unit of work) whenever a consumer starts: a restart is when jobs
    of a killed process are lost (dequeued and not finished, or committed and not enqueued),
    so domains re-enqueue what their rows say is still to do."""
    if fn not in STARTUP:
        STARTUP.append(fn)
    return fn


def run_startup(app: Flask) -> None:
    """The :func:`on_consumer_start` hooks; one failing does not stop the consumer."""
    with app.app_context():
        for fn in list(STARTUP):
            try:
                with uow.transaction():
                    fn(app)
            except Exception:
                log.exception("consumer start hook %s failed", getattr(fn, "__name__", fn))


class _ThreadConsumer(Consumer):
    """A consumer inside another program (no signal handlers: it is not the main thread)."""

    def _set_signal_handlers(self) -> None:  # noqa: D401
        pass


def start_embedded_consumer(app: Flask, workers: int = 1) -> Consumer | None:
    """Run the queue in threads of this process (the demo, a one-node install)."""
    if huey.immediate or _state.consumer is not None:
        return _state.consumer
    _state.app = app
    run_startup(app)
    consumer = _ThreadConsumer(huey, workers=workers, worker_type="thread", periodic=True)
    consumer.start()  # scheduler and worker threads; returns at once
    _state.consumer = consumer
    return consumer


def stop_embedded_consumer() -> None:
    if _state.consumer is not None:
        _state.consumer.stop(graceful=True)
        _state.consumer = None


# -- what the console and CLI show --------------------------------------------------------------
@dataclass
class QueueReport:
    broker: str
    pending: int
    scheduled: int
    failures: list
    periodic: list


def report(limit: int = 20) -> QueueReport:
    from .models import JobFailure, PeriodicRun

    try:
        pending, scheduled = huey.pending_count(), huey.scheduled_count()
    except Exception:
        log.exception("job queue unreachable")
        pending = scheduled = -1
    failures = list(db.session.scalars(select(JobFailure).order_by(JobFailure.id.desc()).limit(limit)))
    runs = list(db.session.scalars(select(PeriodicRun).order_by(PeriodicRun.id.desc()).limit(limit)))
    return QueueReport(str(current_app.config.get("REGISTRY_BROKER_KIND", "")), pending, scheduled,
                       failures, runs)
