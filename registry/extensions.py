"""Flask extensions shared by every domain, and the declarative base of all models."""

from __future__ import annotations

import contextvars
import logging
from datetime import datetime, timezone

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Fixed before the first migration so that constraint names are stable across databases and
# Alembic can alter them (SQLite batch mode needs names to drop constraints).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
login_manager = LoginManager()
log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only kind stored)."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite drops the offset of aware datetimes; storing naive UTC everywhere and re-attaching
    the zone on load gives the same values on SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use registry.extensions.utcnow()")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    # pysqlite opens transactions behind SQLAlchemy's back and breaks SAVEPOINT; take control
    # of BEGIN ourselves, and have SQLite enforce foreign keys like PostgreSQL does.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Several gunicorn workers write one file: WAL lets readers go on during a write and
        # writers queue on busy_timeout instead of failing with "database is locked";
        # synchronous=NORMAL is durable in WAL mode up to the last checkpointed commit.
        if not _is_memory(dbapi_connection):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _is_memory(dbapi_connection) -> bool:
    try:
        rows = dbapi_connection.execute("PRAGMA database_list").fetchall()
    except Exception:
        return True
    return not any(row[2] for row in rows if row[1] == "main")


# How SQLite transactions begin in this context: "IMMEDIATE" (the write lock at BEGIN) unless a
# request that only reads is running (see SQLiteReadsMiddleware).
_sqlite_begin_mode: contextvars.ContextVar[str] = contextvars.ContextVar(
    "registry_sqlite_begin", default="IMMEDIATE")
_sqlite_snapshot_lost: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "registry_sqlite_snapshot_lost", default=None)


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        # By default every transaction takes the write lock at BEGIN, where busy_timeout waits
        # for it: a deferred transaction that read first and writes after another connection
        # committed fails at once with "database is locked" (no busy wait for a stale
        # snapshot). Requests that should only read (GET, HEAD) begin deferred instead, so that
        # they run side by side in WAL mode; the rare one that writes after all and loses its
        # snapshot is run again with the write lock (SQLiteReadsMiddleware).
        mode = _sqlite_begin_mode.get()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN DEFERRED")


@event.listens_for(Engine, "handle_error")
def _sqlite_locked(context):
    lost = _sqlite_snapshot_lost.get()
    if lost is not None and context.engine is not None and context.engine.dialect.name == "sqlite" \
            and "database is locked" in str(context.original_exception):
        lost.append(True)


def write_lock_at_begin() -> None:
    """The rest of this request writes: on SQLite its next transaction takes the write lock at
    BEGIN (waiting for it, busy_timeout) instead of reading first and losing its snapshot to
    another writer, which would mean running the request again."""
    _sqlite_begin_mode.set("IMMEDIATE")


def replaying() -> bool:
    """Whether this run of the request lost its SQLite snapshot: its answer is thrown away and
    the request runs again with the write lock (SQLiteReadsMiddleware). Logs and metrics skip
    such a run, so that they count what the client received."""
    return bool(_sqlite_snapshot_lost.get())


class SkipReplayedRun(logging.Filter):
    """Drops records (Flask's «Exception on …») of a run that will be replayed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not replaying()


class SQLiteReadsMiddleware:
    """Deferred SQLite transactions for GET and HEAD requests, retried once with the write lock.

    A read-only request then never waits for the write lock (WAL lets readers run during a
    write). A GET that writes (a sign-in, the session's last activity) usually succeeds in its
    deferred transaction too; when another connection committed first, SQLite refuses the
    write with "database is locked", nothing of the request has been committed, and the
    request runs again from the start with BEGIN IMMEDIATE. Streamed bodies only read (after
    the request's commit), also in deferred transactions.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        captured: list = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers, exc_info]
            return lambda data: None  # write() is not used by Flask

        lost: list = []
        mode_token = _sqlite_begin_mode.set("DEFERRED")
        lost_token = _sqlite_snapshot_lost.set(lost)
        try:
            body = self.app(dict(environ), capture)  # a retry starts from the request as it came
        except Exception:
            if not lost:
                raise
            body = None  # propagated (testing): run it again all the same
        finally:
            _sqlite_begin_mode.reset(mode_token)
            _sqlite_snapshot_lost.reset(lost_token)
        if lost:
            if body is not None and hasattr(body, "close"):
                body.close()
            log.info("%s %s lost its SQLite snapshot to another writer: run again with the "
                     "write lock", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            return self.app(environ, start_response)
        start_response(*captured[:2], *captured[2:3] if captured[2] else ())
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(wrapper, type) and isinstance(body, wrapper):
            return body  # a file sent as is (sendfile): no database
        return _DeferredBody(body)


class _DeferredBody:
    """A streamed body (a CSV export) reads in deferred transactions too: on SQLite it must not
    hold the write lock for as long as the download lasts."""

    def __init__(self, body):
        self.body = body

    def __iter__(self):
        chunks = iter(self.body)
        while True:
            token = _sqlite_begin_mode.set("DEFERRED")
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            finally:
                _sqlite_begin_mode.reset(token)
            yield chunk

    def close(self):
        if hasattr(self.body, "close"):
            token = _sqlite_begin_mode.set("DEFERRED")
            try:
                self.body.close()
            finally:
                _sqlite_begin_mode.reset(token)


def contains_word(column, word: str):
    """Case-insensitive "contains" that also works for Cyrillic on SQLite and on PostgreSQL
    databases with the C locale, where lower() leaves non-ASCII letters alone: the word is
    matched as typed in lower case, Capitalized and UPPER CASE (how names are written)."""
    from sqlalchemy import or_
    variants = {word.lower(), word.capitalize(), word.upper()}
    return or_(*(column.contains(v, autoescape=True) for v in variants))
