"""Account lookup, session rules, profile and journal services."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from registry.auth import services
from registry.auth.forms import normalize_phone
from registry.auth.models import AuthSession, VisitJournalEntry
from registry.extensions import db
from registry.pki import TrustStore, validate

from .. import factories

IDLE, LIFETIME = timedelta(minutes=30), timedelta(hours=12)


T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def record(**extra):
    values = dict(user_id=1, cert_fingerprint="abc", method="tls", created_at=T0, last_seen_at=T0,
                  ended_at=None)
    values.update(extra)
    return AuthSession(**values)


@pytest.mark.parametrize("rec, user_id, fingerprint, now, state", [
    (None, "1", "abc", T0, "none"),
    (record(), None, "abc", T0, "none"),
    (record(), "2", "abc", T0, "none"),
    (record(), "1", "abc", T0 + timedelta(seconds=10), "ok"),
    (record(ended_at=T0), "1", "abc", T0 + timedelta(seconds=10), "ended"),
    (record(), "1", "other", T0 + timedelta(seconds=10), "changed"),
    (record(), "1", "abc", T0 + timedelta(minutes=30, seconds=1), "idle"),
    (record(last_seen_at=T0 + timedelta(hours=12)), "1", "abc",
     T0 + timedelta(hours=12, seconds=1), "lifetime"),
])
def test_check_session(rec, user_id, fingerprint, now, state):
    verdict = services.check_session(rec, user_id, fingerprint, idle=IDLE, lifetime=LIFETIME,
                                     now=now)
    assert verdict.state == state


def test_check_session_rewrites_last_seen_only_now_and_then():
    rec = record()
    assert not services.check_session(rec, 1, "abc", idle=IDLE, lifetime=LIFETIME,
                                      now=T0 + timedelta(seconds=30)).touch
    assert services.check_session(rec, 1, "abc", idle=IDLE, lifetime=LIFETIME,
                                  now=T0 + timedelta(seconds=61)).touch


def test_find_account_prefers_snils_then_inn_then_certificate(app, db_session, demo_pki):
    head = demo_pki.person("head", "ecdsa").certificate
    with app.app_context():
        assert services.find_account(head) is None
        by_cert = factories.make_user(snils=None, inn=None)
        factories.make_user_certificate(by_cert, head)
        assert services.find_account(head) == by_cert
        by_inn = factories.make_user(snils=None, inn=head.personal_inn)
        assert services.find_account(head) == by_inn
        by_snils = factories.make_user(snils=head.snils, inn=None)
        assert services.find_account(head) == by_snils


def test_same_inn_with_a_different_snils_is_another_person(app, db_session, demo_pki):
    head = demo_pki.person("head", "ecdsa").certificate
    with app.app_context():
        factories.make_user(inn=head.personal_inn)  # has a СНИЛС of its own
        assert services.find_account(head) is None


def test_sign_in_fills_missing_identifiers_and_refreshes_the_name(app, db_session, demo_pki):
    head = demo_pki.person("head", "ecdsa").certificate
    with app.app_context():
        user = factories.make_user(snils=None, inn=head.personal_inn, full_name="Старое Имя")
        assert services.sign_in(head, remote_addr="192.0.2.1", user_agent=None) == user
        assert (user.snils, user.full_name, user.given_names) == (
            head.snils, "Иванов Иван Иванович", "Иван Иванович")
        assert [c.fingerprint for c in user.certificates] == [head.fingerprint]


def test_refusal_of_an_unreadable_certificate_is_journaled_without_details(app, db_session,
                                                                           demo_pki):
    result = validate("garbage", trust_store=TrustStore.from_paths(demo_pki.trust_dir))
    with app.app_context():
        entry = services.record_refusal(result, remote_addr="192.0.2.1", user_agent="x" * 1000)
        assert (entry.result, entry.user_id, entry.cert_serial) == ("malformed", None, None)
        assert len(entry.user_agent) == services.USER_AGENT_MAX


def test_update_profile_clears_empty_values_and_refuses_other_fields(app, db_session):
    with app.app_context():
        user = factories.make_user(position="Бухгалтер")
        services.update_profile(user, email="a@example.ru", position="  ")
        assert (user.email, user.position) == ("a@example.ru", None)
        with pytest.raises(TypeError):
            services.update_profile(user, snils="12345678901")


def test_journal_query_is_newest_first_for_the_given_accounts(app, db_session):
    with app.app_context():
        me, other = factories.make_user(), factories.make_user()
        first = factories.make_journal_entry(me)
        second = factories.make_journal_entry(me, event=VisitJournalEntry.EVENT_SIGN_OUT,
                                              result="sign_out")
        factories.make_journal_entry(other)
        assert db.session.scalars(services.journal_query([me.id])).all() == [second, first]


def test_expiry_warning_from_thirty_days(demo_pki):
    cert = demo_pki.person("head", "ecdsa").certificate
    assert services.expiry_warning(cert, now=cert.not_after - timedelta(days=31, hours=1)) is None
    warning = services.expiry_warning(cert, now=cert.not_after - timedelta(days=30, hours=1))
    assert "истекает через 30 дней" in warning
    assert "через 1 день" in services.expiry_warning(cert, now=cert.not_after - timedelta(days=1, hours=1))


@pytest.mark.parametrize("n, word", [(1, "день"), (2, "дня"), (5, "дней"), (11, "дней"),
                                     (21, "день"), (24, "дня"), (112, "дней")])
def test_plural_days(n, word):
    assert services.plural_days(n) == word


@pytest.mark.parametrize("typed, stored", [
    ("8 (495) 123-45-67", "+74951234567"), ("+7 495 123 45 67", "+74951234567"),
    ("4951234567", "+74951234567"), ("+375 17 123-45-67", "+375171234567"), ("звоните", "звоните"),
])
def test_normalize_phone(typed, stored):
    assert normalize_phone(typed) == stored


def test_checker_parses_each_certificate_once(app, demo_pki):
    checker = app.extensions["registry.auth.checker"]
    pem = demo_pki.person("ip", "rsa").pem
    first, second = checker.check(pem), checker.check(pem)
    assert first.valid and second.valid
    assert first.certificate is second.certificate
