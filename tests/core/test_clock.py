"""One time-zone rule: stored times are UTC; "today" and the days people type are in
REGISTRY_TIMEZONE (Europe/Moscow by default)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from registry.core import clock
from registry.extensions import db
from registry.members.services.journal import journal_query

from ..factories import make_org_journal_entry, make_organization

LATE_EVENING_UTC = datetime(2026, 1, 9, 22, 30, tzinfo=timezone.utc)  # 01:30 on the 10th in Moscow


class _Frozen(datetime):
    @classmethod
    def now(cls, tz=None):
        return LATE_EVENING_UTC.astimezone(tz) if tz else LATE_EVENING_UTC.replace(tzinfo=None)


def test_today_is_the_moscow_date(app, monkeypatch):
    monkeypatch.setattr(clock, "datetime", _Frozen)
    with app.app_context():
        assert clock.zone().key == "Europe/Moscow"
        assert clock.today() == date(2026, 1, 10)  # the server's UTC date is still the 9th
        assert clock.zone_title(clock.local(LATE_EVENING_UTC)) == "МСК"


def test_day_bounds_are_local_midnights(app):
    with app.app_context():
        start, end = clock.day_bounds(date(2026, 1, 10), date(2026, 1, 10))
    assert start == datetime(2026, 1, 9, 21, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 1, 10, 21, 0, tzinfo=timezone.utc)
    assert clock.day_bounds(None, None) == (None, None)


def test_the_journal_filters_by_local_days(app, db_session):
    with app.app_context():
        organization = make_organization()
        late = make_org_journal_entry(organization, "joined", created_at=LATE_EVENING_UTC)

        def found(first, last):
            return [e.id for e in db.session.scalars(
                journal_query(organization, date_from=first, date_to=last))]

        assert found(date(2026, 1, 10), date(2026, 1, 10)) == [late.id]
        assert found(date(2026, 1, 9), date(2026, 1, 9)) == []
        assert found(None, date(2026, 1, 9)) == []
        assert found(date(2026, 1, 10), None) == [late.id]
