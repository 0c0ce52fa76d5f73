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


# How SQLite transactions begin in this context: "IMMEDIATE" (the write lock at BEGIN, where
# busy_timeout waits for it) unless the request reads only (core.uow: GET and HEAD begin
# "DEFERRED", so that they run side by side in WAL mode).
_sqlite_begin_mode: contextvars.ContextVar[str] = contextvars.ContextVar(
    "registry_sqlite_begin", default="IMMEDIATE")
WRITE_LOCK = "registry_write_lock"  # in a connection's info: its transaction began IMMEDIATE


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        # A deferred transaction that read first and writes after another connection committed
        # fails at once with "database is locked" (no busy wait for a stale snapshot): a unit
        # of work that writes begins IMMEDIATE (core.uow.will_write).
        mode = _sqlite_begin_mode.get()
        conn.exec_driver_sql(f"BEGIN {mode}")
        conn.info[WRITE_LOCK] = mode == "IMMEDIATE"


def sqlite_begin(mode: str) -> None:
    """How the next SQLite transactions of this context begin: "IMMEDIATE" or "DEFERRED"."""
    _sqlite_begin_mode.set(mode)


def write_lock_at_begin() -> None:
    """The rest of this unit of work writes: on SQLite its next transaction takes the write
    lock at BEGIN (waiting for it, busy_timeout)."""
    _sqlite_begin_mode.set("IMMEDIATE")


def contains_word(column, word: str):
    """Case-insensitive "contains" that also works for Cyrillic on SQLite and on PostgreSQL
    databases with the C locale, where lower() leaves non-ASCII letters alone: the word is
    matched as typed in lower case, Capitalized and UPPER CASE (how names are written)."""
    from sqlalchemy import or_
    variants = {word.lower(), word.capitalize(), word.upper()}
    return or_(*(column.contains(v, autoescape=True) for v in variants))
