"""Background jobs: enqueued after commit, retried with backoff, failures on the console;
periodic jobs once per period with several schedulers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from huey.storage import MemoryStorage
from sqlalchemy import select

from registry import create_app, jobs
from registry.extensions import db
from registry.jobs import tasks  # noqa: F401  (the periodic jobs)
from registry.jobs.models import JobFailure, PeriodicRun

from ..helpers import as_utc, periods_between, stop
from ..operator.test_operator import make_operator

CALLS: list[tuple] = []


@jobs.job(retries=2, retry_delay=5, backoff=3.0, name="tests.flaky")
def flaky(value: int) -> None:
    CALLS.append(("flaky", value))
    raise RuntimeError(f"broken input {value}")


@jobs.job(retries=0, name="tests.record")
def record(value: int) -> None:
    CALLS.append(("record", value))


@pytest.fixture
def queued(app):
    """The queue in memory and not immediate: jobs wait until the test runs them."""
    saved = (jobs.huey._immediate, jobs.huey.storage, jobs._state.app)
    jobs.huey._immediate = False
    jobs.huey.storage = MemoryStorage("tests")
    jobs._state.app = app
    CALLS.clear()
    yield jobs.huey
    jobs.huey._immediate, jobs.huey.storage, jobs._state.app = saved


def run_queued(huey) -> int:
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


def test_job_is_enqueued_only_when_the_transaction_commits(app, db_session, queued):
    with app.app_context():
        jobs.after_commit(record, 1)
        db.session.rollback()
        assert queued.pending_count() == 0
        jobs.after_commit(record, 2)
        assert queued.pending_count() == 0  # not before the commit
        db.session.commit()
    assert queued.pending_count() == 1
    assert run_queued(queued) == 1 and CALLS == [("record", 2)]


def test_failed_job_is_retried_with_backoff_and_shown_to_the_operator(app, db_session, demo_pki, org,
                                                                     queued):
    flaky(7)
    run_queued(queued)
    [retry] = queued.scheduled()
    assert retry.retries == 1 and retry.retry_delay == 15  # 5 s, then ×3
    now = datetime.now(timezone.utc)
    assert timedelta(seconds=3) < retry.eta.replace(tzinfo=timezone.utc) - now <= timedelta(seconds=6)
    # the retry runs (once due) and fails again; the last attempt is the final failure
    for _ in range(2):
        # what the scheduler does once the retry is due: take it off the schedule and run it
        later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=1)
        [task] = queued.read_schedule(later)
        queued.execute(task, timestamp=later)
    assert CALLS == [("flaky", 7)] * 3
    assert queued.scheduled() == []
    with app.app_context():
        failures = list(db.session.scalars(select(JobFailure).where(JobFailure.task == "tests.flaky")
                                           .order_by(JobFailure.id)))
    assert [f.retries_left for f in failures] == [2, 1, 0]
    assert all("broken input 7" in f.error for f in failures)
    operator = make_operator(app, demo_pki)
    page = operator.get("/operator/").text
    assert "Фоновые задачи" in page and "tests.flaky" in page and "не выполнена" in page
    listing = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert listing.exit_code == 0 and "FAILED" in listing.output and "tests.flaky" in listing.output


def test_periodic_job_claims_its_period_once(app, db_session):
    now = datetime(2026, 12, 1, 10, 17, tzinfo=timezone.utc)
    with app.app_context():
        app.config["REGISTRY_FILES_SWEEP_MINUTES"] = 60
        assert jobs.run_periodic("files_sweep", now) is True
        assert jobs.run_periodic("files_sweep", now + timedelta(minutes=40)) is False
        assert jobs.run_periodic("files_sweep", now + timedelta(minutes=45)) is True  # next hour
        starts = list(db.session.scalars(select(PeriodicRun.period_start)
                                         .where(PeriodicRun.name == "files_sweep")
                                         .order_by(PeriodicRun.period_start)))
    assert [s.hour for s in starts] == [10, 11]


def test_crl_refresh_calls_the_trust_refresh_when_there_is_one(app, db_session, monkeypatch):
    from registry import trust

    seen = []
    monkeypatch.setattr(trust, "refresh_crls", lambda a: seen.append(a) or [], raising=False)
    with app.app_context():
        assert jobs.run_periodic("crl_refresh") is True
    assert seen == [app]


# -- two schedulers ------------------------------------------------------------------------------
def test_periodic_jobs_run_once_with_two_schedulers(tmp_path, redis_url, demo_pki):
    """Two `registry jobs worker` processes (each with its scheduler) share Redis and one
    database: every periodic job runs once in the period, on one of them."""
    database = tmp_path / "registry.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "x",
           "REGISTRY_INSTANCE_PATH": str(tmp_path / "instance"), "REGISTRY_BROKER_URL": redis_url,
           "REGISTRY_TRUST_STORE": str(demo_pki.trust_dir), "REGISTRY_FILES_DIR": str(tmp_path / "files")}
    registry = [os.path.join(os.path.dirname(sys.executable), "registry")]
    subprocess.run([*registry, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
    window_start = datetime.now(timezone.utc)
    workers = [subprocess.Popen([*registry, "jobs", "worker", "--workers", "2"], env=env,
                                stdout=log.open("w"), stderr=subprocess.STDOUT) for log in logs]
    names = set(jobs.PERIODIC)
    try:
        import sqlite3
        deadline = time.monotonic() + 15
        done: list = []
        while time.monotonic() < deadline:
            with sqlite3.connect(database) as conn:
                done = conn.execute("SELECT name, node FROM periodic_runs WHERE finished_at IS NOT NULL").fetchall()
            if {n for n, _ in done} >= names and all("Enqueueing periodic task" in log.read_text()
                                                      for log in logs):
                break
            time.sleep(0.2)
        time.sleep(1.5)  # let the other scheduler's copies run too
        with sqlite3.connect(database) as conn:
            rows = conn.execute("SELECT name, period_start FROM periodic_runs").fetchall()
        window_end = datetime.now(timezone.utc)
    finally:
        for worker in workers:
            stop(worker)
    for log in logs:  # both schedulers offered the periodic jobs
        assert "Enqueueing periodic task" in log.read_text(), log.read_text()[-2000:]
    # every job ran, once in each period of the window (two periods when it crossed a boundary)
    assert {name for name, _start in rows} == names
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "x",
                      "REGISTRY_INSTANCE_PATH": str(tmp_path / "instance")})
    for name in names:
        starts = [as_utc(datetime.fromisoformat(start)) for n, start in rows if n == name]
        window = periods_between(app, name, window_start, window_end)
        assert len(starts) == len(set(starts)) and set(starts) <= window, (name, starts, window)
