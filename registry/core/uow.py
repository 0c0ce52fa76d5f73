"""One unit of work per request and per CLI command.

A request commits once, after its view (and its error handler, if any) produced the response:

- a response below 400 (pages, redirects after a flash, downloads) commits;
- a 4xx response rolls back, except for what the request explicitly :func:`keep`\\ s (the
  sign-in journal written by the sign-in hook, a refusal recorded for the refusal page, text a
  person typed that is kept on a 422 page);
- a 5xx response or an exception rolls back everything.

Views, hooks and services never commit: services ``flush()`` and raise domain errors, views
turn those into HTTP answers. A view that catches a domain error and goes on writing wraps the
failed attempt in ``db.session.begin_nested()`` so the attempt alone is undone.

The commit happens before a streamed body is sent: a streaming response only reads.

Side effects outside the database (files put in place or removed) join the unit of work
through :func:`on_commit` and :func:`on_rollback`.

CLI commands get the same rule from :func:`command_transaction` (commit when the command
returns, roll back when it raises, ``click`` exits included).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, Response, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import WRITE_LOCK, db, sqlite_begin, write_lock_at_begin

log = logging.getLogger(__name__)

_STATE = "_registry_uow"

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    __slots__ = ("kept", "kept_callbacks", "on_commit", "on_rollback", "finished", "connected", "wrote")

    def __init__(self) -> None:
        self.kept: Any = None  # the savepoint begun by the last keep()
        self.kept_callbacks = (0, 0)  # how many callbacks were registered before it
        self.on_commit: list[Callable[[], None]] = []
        self.on_rollback: list[Callable[[], None]] = []
        self.finished = False
        self.connected = False  # whether the session used the database at all
        self.wrote = False  # whether its transaction has written (flushed or executed) anything


def _state() -> _State:
    """The unit of work of the current request or command (kept in the application context)."""
    state = g.get(_STATE)
    if state is None:
        state = _State()
        setattr(g, _STATE, state)
    return state


def keep() -> None:
    """Keep what this request has written so far even if its answer is an error page (4xx).

    Later writes still follow the response: a 4xx undoes them. A 5xx undoes everything.
    """
    state = _state()
    db.session.flush()
    state.kept = db.session.begin_nested()
    state.kept_callbacks = (len(state.on_commit), len(state.on_rollback))


def on_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the unit of work has committed."""
    _state().on_commit.append(callback)


def on_rollback(callback: Callable[[], None]) -> None:
    """Run ``callback`` if the unit of work rolls back (or its commit fails)."""
    _state().on_rollback.append(callback)


def _run(callbacks: list[Callable[[], None]], what: str) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # one failing cleanup must not keep the others from running
            log.exception("%s callback %r failed", what, callback)


@event.listens_for(Session, "after_begin")
def _connected(session, transaction, connection) -> None:
    if has_app_context():  # the state may not exist yet: the first statement creates it
        _state().connected = True


_READ_CACHES: set[str] = set()


def read_cache(key: str) -> dict:
    """A dict for what this request read once and reuses (kept in ``g`` under ``key``; outside
    a request a new one each time). It is emptied whenever the session writes (a flush, an
    UPDATE or DELETE statement) or its transaction ends: what was read may be stale then."""
    if not has_request_context():
        return {}
    _READ_CACHES.add(key)
    return g.setdefault(key, {})


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_commit")
def _forget_reads(session, *_args) -> None:
    if has_request_context():
        for key in _READ_CACHES:
            g.pop(key, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_reads_on_write(state) -> None:
    if not state.is_select:
        _forget_reads(state.session)
    if state.is_insert or state.is_update or state.is_delete:
        _wrote(state.session)


@event.listens_for(Session, "after_flush")
def _wrote(session, *_args) -> None:
    if has_app_context():
        _state().wrote = True


@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_commit")
def _transaction_ended(session) -> None:
    if has_app_context() and _STATE in g:
        _state().wrote = False


def will_write() -> None:
    """Say that this request is about to write: on SQLite its transaction begins with the write
    lock (BEGIN IMMEDIATE). A page view that has only read so far (the session lookup, in a
    deferred transaction) ends that transaction first; the next one takes the lock."""
    write_lock_at_begin()
    if not used_database() or db.engine.dialect.name != "sqlite" or not db.session().in_transaction():
        return
    if db.session.connection().info.get(WRITE_LOCK):
        return
    state = _state()
    if state.wrote or state.kept is not None or db.session.new or db.session.dirty or db.session.deleted:
        return  # it has written already: it goes on in its transaction
    db.session.rollback()  # only reads: nothing is lost


def used_database() -> bool:
    """Whether this request's (or command's) session has used the database so far."""
    return _state().connected


def _commit(state: _State) -> None:
    opened = db.session.registry.has()  # (asking the session would open one)
    if not state.connected and not (opened and (db.session.new or db.session.dirty or db.session.deleted)):
        # Nothing was read or written through the session (a page served from what the
        # session lookup read): there is no transaction to commit.
        state.finished = True
        _run(state.on_commit, "after-commit")
        return
    try:
        db.session.commit()
    except BaseException:
        _rollback(state)
        raise
    state.finished = True
    _run(state.on_commit, "after-commit")


def _rollback(state: _State) -> None:
    state.finished = True
    try:
        db.session.rollback()
    finally:
        _run(state.on_rollback, "after-rollback")


def finish(status: int) -> None:
    """End the unit of work of the current request for a response with ``status``."""
    state = _state()
    if state.finished:
        return
    if status < 400:
        _commit(state)
    elif status < 500 and state.kept is not None:
        if state.kept.is_active:
            state.kept.rollback()
        # What was registered after keep() belongs to the writes just undone.
        commits, rollbacks = state.kept_callbacks
        undone = state.on_rollback[rollbacks:]
        del state.on_commit[commits:], state.on_rollback[rollbacks:]
        _run(undone, "after-rollback")
        _commit(state)
    else:
        _rollback(state)


def _before_request() -> None:
    # SQLite: a page view reads side by side with the others (WAL); a form's post writes, and
    # takes the write lock at its first statement. (Set for every request: a thread serves
    # many; a job's thread starts with the default, IMMEDIATE.)
    sqlite_begin("DEFERRED" if request.method in ("GET", "HEAD") else "IMMEDIATE")


def _after_request(response: Response) -> Response:
    finish(response.status_code)
    return response


def _teardown_request(error: BaseException | None) -> None:
    # Reached without a response when an exception escaped every handler (or was propagated
    # in testing): nothing of the request is kept.
    state = g.get(_STATE)
    if state is not None and not state.finished:
        _rollback(state)


def init_app(app: Flask) -> None:
    """Install the request-level unit of work; call before any other ``after_request`` so that
    it runs last (Flask runs them in reverse order)."""
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.teardown_request(_teardown_request)


@contextmanager
def transaction() -> Iterator[None]:
    """One unit of work outside a request (a background job, a step of one): commit when the
    block ends, roll back if it raises. Needs an application context."""
    outer = g.get(_STATE)
    state = _State()
    setattr(g, _STATE, state)
    try:
        try:
            yield
        except BaseException:
            _rollback(state)
            raise
        _commit(state)
    finally:
        setattr(g, _STATE, outer)


def command_transaction(command: F) -> F:
    """Run a CLI command as one unit of work: commit when it returns, roll back if it raises."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outer = g.get(_STATE)
        state = _State()
        setattr(g, _STATE, state)
        try:
            try:
                result = command(*args, **kwargs)
            except SystemExit as exc:
                if exc.code in (None, 0):
                    _commit(state)
                else:
                    _rollback(state)
                raise
            except BaseException:
                _rollback(state)
                raise
            _commit(state)
            return result
        finally:
            setattr(g, _STATE, outer)

    return wrapper  # type: ignore[return-value]
