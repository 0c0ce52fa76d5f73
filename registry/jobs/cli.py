"""`registry jobs …` (the queue) and `registry files sweep`."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("jobs", help="Фоновые задачи: очередь, неудачные попытки, обработчик.")
def jobs_cli() -> None:
    pass


@jobs_cli.command("list")
@click.option("--limit", default=20, show_default=True)
@with_appcontext
def list_command(limit: int) -> None:
    """Queued, scheduled (retries included) and failed jobs, and the last periodic runs."""
    from . import huey, report

    r = report(limit)
    click.echo(f"queue: {r.broker}; queued {r.pending}, scheduled {r.scheduled}")
    if r.pending > 0:
        for task in huey.pending(limit):
            click.echo(f"  queued     {task.name} {task.args!r} id={task.id}")
    if r.scheduled > 0:
        for task in huey.scheduled(limit):
            click.echo(f"  scheduled  {task.name} {task.args!r} at {task.eta:%Y-%m-%d %H:%M:%S} UTC "
                       f"(retries left {task.retries})")
    click.echo(f"failed attempts (last {limit}):")
    for f in r.failures:
        state = "will retry" if f.retries_left else "FAILED"
        click.echo(f"  {f.failed_at:%Y-%m-%d %H:%M:%S} {state:<10} {f.task} {f.args} — "
                   f"{f.error.strip().splitlines()[-1] if f.error.strip() else ''}")
    click.echo(f"periodic runs (last {limit}):")
    for run in r.periodic:
        state = "error" if run.error else ("done" if run.finished_at else "running")
        click.echo(f"  {run.period_start:%Y-%m-%d %H:%M} {run.name:<16} {state:<8} on {run.node}")


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
@click.option("--no-periodic", is_flag=True, help="Do not schedule periodic jobs here.")
@with_appcontext
def worker_command(workers: int, no_periodic: bool) -> None:
    """Run the queue's consumer (workers and the periodic scheduler) until stopped."""
    from . import _state, huey, run_startup

    _state.app = current_app._get_current_object()  # type: ignore[attr-defined]
    if huey.immediate:
        raise click.ClickException("REGISTRY_BROKER_URL=immediate runs jobs inline; no worker needed")
    logging.getLogger("huey").setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_startup(current_app._get_current_object())  # type: ignore[attr-defined]
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=not no_periodic)
    consumer.run()


@jobs_cli.command("run-periodic")
@click.argument("name")
@with_appcontext
def run_periodic_command(name: str) -> None:
    """Run one periodic job now, if this period has not been claimed yet."""
    from . import PERIODIC, run_periodic

    if name not in PERIODIC:
        raise click.ClickException(f"unknown periodic job {name!r}; known: {', '.join(sorted(PERIODIC))}")
    click.echo("ran" if run_periodic(name) else "already ran in this period")
