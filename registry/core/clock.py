"""One time-zone rule: times are stored in UTC; what people see, type and call "today" is in
``REGISTRY_TIMEZONE`` (default Europe/Moscow).

Services ask :func:`today` (never ``date.today()``, the server's own zone) and turn days people
typed into UTC bounds with :func:`day_bounds`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from ..config import DEFAULTS
from .web import TZ_KEY


def zone() -> ZoneInfo:
    """The people's time zone: the application's ``REGISTRY_TIMEZONE``."""
    if has_app_context():
        found = current_app.extensions.get(TZ_KEY)
        if found is not None:
            return found
        return ZoneInfo(str(current_app.config.get("REGISTRY_TIMEZONE") or DEFAULTS["REGISTRY_TIMEZONE"]))
    return ZoneInfo(str(DEFAULTS["REGISTRY_TIMEZONE"]))


def now() -> datetime:
    """The current moment in the people's zone (aware)."""
    return datetime.now(timezone.utc).astimezone(zone())


def today() -> date:
    """Today's date where the people are (in Moscow, not on the server's clock)."""
    return now().date()


def local(value: datetime) -> datetime:
    """A stored (UTC, aware) time in the people's zone."""
    return value.astimezone(zone())


def day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC bounds ``[start, end)`` of the local days ``first``..``last`` (either may be open)."""
    tz = zone()
    start = (datetime.combine(first, time.min, tzinfo=tz).astimezone(timezone.utc)
             if first else None)
    end = (datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz).astimezone(timezone.utc)
           if last else None)
    return start, end


def zone_title(value: datetime) -> str:
    """How the zone of a local time is named to people: «МСК» for Moscow, else its name."""
    key = zone().key
    return "МСК" if key == "Europe/Moscow" else f"часовой пояс {key}"
