"""What the job queue leaves in the database: failures to show the operator, periodic runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import UTCDateTime, db, utcnow


class JobFailure(db.Model):
    """One failed attempt of a background job (``retries_left`` 0: it will not run again)."""

    __tablename__ = "job_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100), index=True)
    task_id: Mapped[str] = mapped_column(String(64))
    args: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    retries_left: Mapped[int] = mapped_column(Integer)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PeriodicRun(db.Model):
    """A periodic job claimed for one period: the unique key makes it run once across nodes."""

    __tablename__ = "periodic_runs"
    __table_args__ = (UniqueConstraint("name", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    node: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
