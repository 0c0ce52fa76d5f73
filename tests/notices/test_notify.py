"""notify() records a notice once per person, kind and key."""

from registry.notices.models import Notice
from registry.notices.services import notify
from tests.factories import make_user


def test_notify_once_per_kind_and_key(app, db_session):
    with app.app_context():
        _check(db_session)


def _check(db_session):
    person = make_user(full_name="Петров Пётр Петрович")
    first = notify(person, "cert_expiry", "abc:30", "Сертификат истекает", "через 30 дней")
    again = notify(person, "cert_expiry", "abc:30", "Сертификат истекает", "через 30 дней")
    other = notify(person, "cert_expiry", "abc:14", "Сертификат истекает", "через 14 дней")
    assert first is not None and other is not None and again is None
    assert db_session.query(Notice).filter_by(user_id=person.id).count() == 2
