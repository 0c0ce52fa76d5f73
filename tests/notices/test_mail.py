"""Letters through a real SMTP server on 127.0.0.1: each notice once, in Russian, with a link
and an unsubscribe link that works without signing in; nothing for an opted-out kind or to an
unconfirmed address; the confirmation link works once and expires."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from registry.auth.models import User
from registry.core import uow
from registry.extensions import db, utcnow
from registry.notices import services, tasks
from registry.notices.models import Notice, NoticeAddress, NoticeOptOut
from registry.notices.services import notify

from ..auth.conftest import csrf_token
from ..auth.test_views import signed_in_as
from ..factories import make_confirmed_address, make_user
from .conftest import BASE_URL, link, text_of


def _person(app, email="petrov@example.ru", confirmed=True) -> int:
    with app.app_context():
        person = make_user(full_name="Петров Пётр Петрович", given_names="Пётр Петрович",
                           email=email)
        if confirmed:
            make_confirmed_address(person, email)
        db.session.commit()
        return person.id


SUBJECT = "Срок действия вашего сертификата истекает через 30 дней"


def _notify(app, user_id, kind="cert_expiry", key="k:30", subject=SUBJECT, url="/profile") -> int:
    with app.app_context():
        notice = notify(db.session.get(User, user_id), kind, key, subject,
                        "Сертификат № 1A действует по 31.12.2026.", url=url)
        assert notice is not None
        db.session.commit()  # the letter is queued when the unit of work commits
        return notice.id


def _sweep(app) -> None:
    """One run of the periodic sweep (as its job runs it: one unit of work)."""
    with app.app_context(), uow.transaction():
        tasks.notice_mail(app)


def _notice(app, notice_id) -> Notice:
    with app.app_context():
        notice = db.session.get(Notice, notice_id)
        db.session.expunge(notice)
        return notice


def test_a_notice_is_mailed_once_in_russian_with_links(app, db_session, smtp):
    user_id = _person(app)
    notice_id = _notify(app, user_id)
    letters = smtp.wait(1)
    assert len(letters) == 1
    letter = letters[0]
    assert letter["To"] == "petrov@example.ru"
    assert letter["Subject"] == "Срок действия вашего сертификата истекает через 30 дней"
    body = text_of(letter)
    assert "Здравствуйте, Пётр Петрович!" in body
    assert f"Подробнее: {BASE_URL}/profile" in body
    assert f"Все уведомления: {BASE_URL}/notices/" in body
    assert "Отписаться от таких писем:" in body
    assert letter["List-Unsubscribe"].startswith(f"<{BASE_URL}/notices/unsubscribe/")
    sent = _notice(app, notice_id)
    assert sent.email_state == Notice.SENT and sent.emailed_at is not None

    # Again by the job, by the sweep and by a producer's repeated run: still one letter.
    with app.app_context():
        tasks.deliver_notice(notice_id)
        assert notify(db.session.get(User, user_id), "cert_expiry", "k:30", "x", "y") is None
        db.session.commit()
    _sweep(app)
    assert len(smtp.wait(2, timeout=0.5)) == 1


def test_a_notice_claimed_by_another_worker_is_not_sent_again(app, db_session, smtp):
    user_id = _person(app)
    with app.app_context():
        notice = notify(db.session.get(User, user_id), "cert_expiry", "k:1", "Тема", "Текст")
        notice.email_state = Notice.SENDING  # another worker took it a moment ago
        db.session.commit()
        notice_id = notice.id
    with app.app_context():
        tasks.deliver_notice(notice_id)
    assert smtp.wait(1, timeout=0.5) == []
    with app.app_context():  # the claim itself: one UPDATE wins
        notice = db.session.get(Notice, notice_id)
        notice.email_state = None
        db.session.flush()
        assert tasks._claim(notice_id) is True
        assert tasks._claim(notice_id) is False
        db.session.rollback()


def test_unsubscribe_link_works_without_signing_in(app, db_session, smtp):
    user_id = _person(app)
    _notify(app, user_id)
    path = link(smtp.wait(1)[0], "/notices/unsubscribe/")
    browser = app.test_client()  # a mail program: no certificate, no session
    page = browser.get(path)
    assert page.status_code == 200
    assert "Истекает срок действия моего сертификата" in page.text
    done = browser.post(path, data={"csrf_token": csrf_token(page.text)})
    assert done.status_code == 200 and "больше не будут приходить" in done.text
    with app.app_context():
        assert services.opted_out(db.session.get(User, user_id)) == {"cert_expiry"}
    # That kind is no longer mailed (but kept in the product); another kind still is.
    skipped = _notify(app, user_id, key="k:14")
    _notify(app, user_id, kind="roles_changed", key="r:1", subject="Изменены ваши роли")
    letters = smtp.wait(2)
    assert [m["Subject"] for m in letters] == [
        "Срок действия вашего сертификата истекает через 30 дней", "Изменены ваши роли"]
    notice = _notice(app, skipped)
    assert (notice.email_state, notice.email_error) == (Notice.SKIPPED, "opted out")
    # A forged token opts nobody out.
    assert browser.get(path[:-3] + "xyz").status_code == 404


def test_nothing_is_sent_to_an_unconfirmed_address(app, db_session, smtp):
    user_id = _person(app, confirmed=False)
    notice_id = _notify(app, user_id)
    assert smtp.wait(1, timeout=0.5) == []
    notice = _notice(app, notice_id)
    assert (notice.email_state, notice.email_error) == (Notice.SKIPPED, "no confirmed address")
    # A confirmed address that is no longer the profile's one does not count either.
    with app.app_context():
        person = db.session.get(User, user_id)
        make_confirmed_address(person, "old@example.ru")
        person.email = "new@example.ru"
        db.session.commit()
    _notify(app, user_id, key="k:14")
    assert smtp.wait(1, timeout=0.5) == []


def test_a_failed_send_is_retried_by_the_sweep(app, db_session, smtp):
    user_id = _person(app)
    smtp.fail = True
    notice_id = _notify(app, user_id)
    notice = _notice(app, notice_id)
    assert notice.email_state is None and notice.email_attempts == 1
    assert "451" in (notice.email_error or "")
    smtp.fail = False
    _sweep(app)
    assert len(smtp.wait(1)) == 1
    assert _notice(app, notice_id).email_state == Notice.SENT


def test_preferences_in_the_profile(app, client, demo_pki, smtp):
    page = signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    profile = client.get("/profile").text
    assert "Уведомления по электронной почте" in profile
    wanted = ["document_expiry", "roles_changed"]
    response = client.post("/notices/email", data={"csrf_token": csrf_token(page), "kinds": wanted})
    assert response.status_code == 302
    assert "Настройки уведомлений сохранены." in client.get("/profile").text
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        off = services.opted_out(user)
    assert off == {"cert_expiry", "member_waiting", "application_status", "mchd_expiry", "egrul_change",
                   "register_status"}
    assert "Проблемы списков отзыва" not in profile  # operators' kind, for operators only
    bad = client.post("/notices/email", data={"csrf_token": csrf_token(page), "kinds": ["nonsense"]})
    assert bad.status_code == 302 and "не сохранены" in client.get("/profile").text


def test_address_is_confirmed_by_a_link_once(app, client, demo_pki, smtp):
    page = signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    saved = client.post("/profile", data={"csrf_token": csrf_token(page), "email": "anna@example.ru"})
    assert saved.status_code == 302
    letter = smtp.wait(1)[0]
    assert letter["To"] == "anna@example.ru"
    assert letter["Subject"] == "Подтвердите адрес для уведомлений реестра"
    assert "действует 48 ч" in text_of(letter)
    profile = client.get("/profile").text
    assert "не подтверждён" in profile and "Отправить ещё раз" in profile
    with app.app_context():
        address = db.session.scalars(select(NoticeAddress)).one()
        assert address.token_hash and len(address.token_hash) == 64  # only the hash is kept
        left = address.token_expires_at - utcnow()
        assert timedelta(hours=47) < left <= timedelta(hours=48)
        user_id = address.user_id
    # Before confirmation nothing is sent.
    _notify(app, user_id)
    assert len(smtp.wait(2, timeout=0.5)) == 1

    path = link(letter, "/notices/confirm/")
    assert path.split("/")[-1] not in address.token_hash
    phone = app.test_client()  # opened on a phone, without a certificate
    page = phone.get(path)
    assert page.status_code == 200 and "anna@example.ru" in page.text
    done = phone.post(path, data={"csrf_token": csrf_token(page.text)})
    assert done.status_code == 200 and "подтверждён" in done.text
    assert 'href="/profile#notices">«Мой профиль»</a>' in done.text  # not a dead end
    again = phone.post(path, data={"csrf_token": csrf_token(page.text)})
    assert again.status_code == 410 and "уже использована" in again.text
    assert "Отправить ссылку ещё раз можно в разделе" in again.text and 'href="/profile#notices"' in again.text
    assert "Уведомления приходят на подтверждённый адрес anna@example.ru" in client.get("/profile").text
    _notify(app, user_id, key="k:14", subject="Сертификат истекает через 14 дней")
    assert [m["Subject"] for m in smtp.wait(2)][1] == "Сертификат истекает через 14 дней"

    # Changing the address resets the confirmation and sends a new link to the new one.
    page = client.get("/profile").text
    client.post("/profile", data={"csrf_token": csrf_token(page), "email": "anna.new@example.ru"})
    assert [m["To"] for m in smtp.wait(3)][2] == "anna.new@example.ru"
    assert "Адрес anna.new@example.ru не подтверждён" in client.get("/profile").text
    _notify(app, user_id, key="k:7")
    assert len(smtp.wait(4, timeout=0.5)) == 3


def test_confirmation_link_expires_and_resend_replaces_it(app, client, demo_pki, smtp):
    page = signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    client.post("/profile", data={"csrf_token": csrf_token(page), "email": "anna@example.ru"})
    first = link(smtp.wait(1)[0], "/notices/confirm/")
    # «Отправить ещё раз»: a new link; the first one stops working.
    resent = client.post("/notices/email/resend", data={"csrf_token": csrf_token(page)})
    assert resent.status_code == 302
    assert "отправлено ещё раз" in client.get("/profile").text
    second = link(smtp.wait(2)[1], "/notices/confirm/")
    assert second != first
    phone = app.test_client()
    assert phone.get(first).status_code == 410
    with app.app_context():  # the configured time passes
        address = db.session.scalars(select(NoticeAddress)).one()
        address.token_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    expired = phone.get(second)
    assert expired.status_code == 410 and "Срок действия ссылки истёк" in expired.text
    with app.app_context():
        address = db.session.scalars(select(NoticeAddress)).one()
        assert address.confirmed_at is None
        assert services.confirmation_or_error  # the service says the same
        try:
            services.confirm(second.split("/")[-1], now=utcnow())
        except services.NoticeError as exc:
            assert "истёк" in str(exc)
        else:
            raise AssertionError("an expired link confirmed the address")


def test_opt_outs_are_per_person(app, db_session):
    with app.app_context():
        a, b = make_user(), make_user()
        services.opt_out(a.id, "cert_expiry")
        services.opt_out(a.id, "cert_expiry")
        assert db.session.scalars(select(NoticeOptOut.user_id)).all() == [a.id]
        assert services.wants_email(b.id, "cert_expiry") and not services.wants_email(a.id, "cert_expiry")
        assert services.read_unsubscribe_token(services.unsubscribe_token(b.id, "x")) == (b.id, "x")
        assert services.read_unsubscribe_token("garbage") is None


def test_two_workers_send_a_notice_once(app, smtp):
    """Two workers take the same notice at the same moment, each with its own connection and
    transaction (nothing shared with the test): one letter."""
    import threading

    from registry import jobs
    from registry.auth.models import User as Person

    from ..factories import make_notice

    with app.app_context():
        person = make_user(full_name="Параллельный Павел", email="pavel@example.ru")
        make_confirmed_address(person, "pavel@example.ru")
        notice_id = make_notice(person, subject="Одно письмо").id  # recorded, not yet mailed
        person_id = person.id
        db.session.commit()
    try:
        start = threading.Barrier(2, timeout=10)
        errors: list[BaseException] = []

        def worker():
            try:
                start.wait()
                with app.app_context():  # a worker process serves this application alone
                    jobs._run("deliver_notice", tasks.deliver_notice.call_now, (notice_id,), {}, None)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        assert [m["Subject"] for m in smtp.wait(2, timeout=1)] == ["Одно письмо"]
        with app.app_context():
            notice = db.session.get(Notice, notice_id)
            assert (notice.email_state, notice.email_attempts) == (Notice.SENT, 1)
    finally:
        with app.app_context():
            from sqlalchemy import delete

            for model in (Notice, NoticeAddress):
                db.session.execute(delete(model).where(model.user_id == person_id))
            db.session.execute(delete(Person).where(Person.id == person_id))
            db.session.commit()


def test_the_certificate_address_is_offered_and_confirmed_like_a_typed_one(app, client, demo_pki, smtp):
    signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    page = client.get("/profile").text
    assert 'value="employee1@example.ru"' in page  # prefilled from the certificate
    assert "Адрес из сертификата (employee1@example.ru) подставлен" in page
    assert smtp.wait(1, timeout=0.3) == []  # nothing is sent before the person saves it
    client.post("/profile", data={"csrf_token": csrf_token(page), "email": "employee1@example.ru"})
    letter = smtp.wait(1)[0]
    assert letter["To"] == "employee1@example.ru"
    phone = app.test_client()
    path = link(letter, "/notices/confirm/")
    phone.post(path, data={"csrf_token": csrf_token(phone.get(path).text)})
    assert "подтверждённый адрес employee1@example.ru" in client.get("/profile").text
