"""The producers: each notice once, on the right day (counted in REGISTRY_TIMEZONE), to the
right people; through the SMTP server when the address is confirmed."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from registry.documents.models import Application
from registry.documents.services import applications, expiry
from registry.extensions import db
from registry.members.models import Role
from registry.members.services import joining, roles
from registry.notices.models import Notice
from registry.notices.producers import certificate_expiry, threshold
from registry.operator.services import notify_trust_problems

from ..factories import (
    make_application,
    make_confirmed_address,
    make_document,
    make_member,
    make_organization,
    make_user,
    make_user_certificate,
)


def _notices(user_id=None, kind=None) -> list[Notice]:
    stmt = select(Notice).order_by(Notice.id)
    if user_id is not None:
        stmt = stmt.where(Notice.user_id == user_id)
    if kind is not None:
        stmt = stmt.where(Notice.kind == kind)
    return list(db.session.scalars(stmt))


def test_thresholds():
    assert [threshold(d) for d in (31, 30, 29, 15, 14, 8, 7, 2, 1, 0)] == [
        None, 30, 30, 30, 14, 14, 7, 7, 1, None]


def test_certificate_expiry_each_threshold_once_on_its_day(app, db_session, smtp):
    # 22:30 UTC on 30 January is already 31 January in Moscow: that is the day it expires.
    expires = datetime(2027, 1, 30, 22, 30, tzinfo=timezone.utc)
    with app.app_context():
        person = make_user(full_name="Петров Пётр Петрович")
        make_confirmed_address(person, "petrov@example.ru")
        make_user_certificate(person, not_after=expires, serial="1A2B")
        renewed = make_user()  # an old certificate expiring, a newer one in use: nothing
        make_user_certificate(renewed, not_after=expires)
        make_user_certificate(renewed, not_after=datetime(2028, 1, 1, tzinfo=timezone.utc))
        db.session.commit()
        person_id, renewed_id = person.id, renewed.id

        by_day = {}
        for day in (date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 1), date(2027, 1, 2),
                    date(2027, 1, 17), date(2027, 1, 24), date(2027, 1, 30), date(2027, 1, 31)):
            by_day.setdefault(day, 0)
            by_day[day] += certificate_expiry(today=day)
            db.session.commit()
        assert by_day == {date(2026, 12, 31): 0, date(2027, 1, 1): 1, date(2027, 1, 2): 0,
                          date(2027, 1, 17): 1, date(2027, 1, 24): 1, date(2027, 1, 30): 1,
                          date(2027, 1, 31): 0}
        notices = _notices(person_id)
        assert [n.subject for n in notices] == [
            "Срок действия вашего сертификата истекает через 30 дней",
            "Срок действия вашего сертификата истекает через 14 дней",
            "Срок действия вашего сертификата истекает через 7 дней",
            "Срок действия вашего сертификата истекает завтра"]
        assert "действует по 31.01.2027" in notices[-1].body
        assert _notices(renewed_id) == []
    letters = smtp.wait(4)
    assert [m["Subject"] for m in letters] == [n.subject for n in notices]
    assert all(m["To"] == "petrov@example.ru" for m in letters)


def test_document_expiry_to_those_with_the_documents_permission(app, db_session):
    with app.app_context():
        org = make_organization()
        keeper, participant, admin = make_user(), make_user(), make_user()
        make_member(keeper, org, Role.APPLICATIONS)
        make_member(participant, org, Role.DMDK_PARTICIPANT)
        make_member(admin, org, Role.ADMIN)
        make_member(make_user(), org, Role.APPLICATIONS, status="pending")
        document = make_document(org, expires_on=date(2027, 3, 10))
        make_document(make_organization(), expires_on=date(2027, 3, 10))  # another organization's
        db.session.flush()
        assert expiry.notify_expiring_documents(today=date(2027, 2, 7)) == 0  # 31 days
        assert expiry.notify_expiring_documents(today=date(2027, 2, 8)) == 2  # 30 days
        assert expiry.notify_expiring_documents(today=date(2027, 2, 9)) == 0
        assert expiry.notify_expiring_documents(today=date(2027, 3, 10)) == 2  # today
        mine = _notices(kind="document_expiry")
        assert {n.user_id for n in mine if n.organization_id == org.id} == {keeper.id, participant.id}
        assert [n.subject for n in mine if n.user_id == keeper.id] == [
            f"Срок действия документа «{document.title}» истекает через 30 дней",
            f"Срок действия документа «{document.title}» истекает сегодня"]
        assert mine[0].url == f"/organizations/{org.id}/documents/{document.id}"


def test_member_waiting_and_roles_changed(app, db_session):
    with app.app_context():
        org = make_organization()
        head, other_admin, employee = make_user(), make_user(), make_user(full_name="Сотрудникова Анна")
        make_member(head, org, Role.ADMIN)
        make_member(other_admin, org, Role.ADMIN, Role.APPLICATIONS)
        member = joining.join(employee, org, None)
        waiting = _notices(kind="member_waiting")
        assert {n.user_id for n in waiting} == {head.id, other_admin.id}
        assert waiting[0].subject == "Сотрудник ожидает назначения ролей: Сотрудникова Анна"
        assert waiting[0].url == f"/organizations/{org.id}/members/{member.id}"
        joining.join(employee, org, None)  # asked again while waiting: no second notice
        assert len(_notices(kind="member_waiting")) == 2

        roles.set_roles(member, {Role.APPLICATIONS}, actor=head, version=member.version)
        roles.set_roles(member, {Role.APPLICATIONS}, actor=head, version=member.version)  # no change
        roles.set_roles(member, set(), actor=head, version=member.version)
        changed = _notices(employee.id, "roles_changed")
        title = Role.APPLICATIONS.title
        assert [n.body.split(". ")[0] for n in changed] == [f"Роли назначены: {title}", f"Роли сняты: {title}"]
        assert changed[0].subject == f"Изменены ваши роли в организации {org.name}"


def test_application_status_to_the_head(app, db_session):
    with app.app_context():
        head = make_user()
        org = make_organization(registered_by_id=head.id)
        application = make_application(org, status=Application.SIGNED)
        applications.submit_application(application, actor=head)
        notices = _notices(head.id, "application_status")
        assert len(notices) == 1
        assert notices[0].body == f"Статус заявления «{application.title}» изменился: Подано."
        assert notices[0].url == f"/organizations/{org.id}/applications/{application.id}"


def test_trust_problems_to_operators_once(app, db_session):
    report = {"cas": [
        {"name": "УЦ Тест", "key_id": "ab", "crl_state": "stale", "next_update": "2027-01-01T00:00:00",
         "next_update_text": "01.01.2027 03:00 МСК", "listed": True, "accredited": True},
        {"name": "УЦ Норма", "key_id": "cd", "crl_state": "fresh", "listed": True, "accredited": True},
        {"name": "УЦ Бывший", "key_id": "ef", "crl_state": "fresh", "listed": True,
         "accredited": False, "accreditation": "Прекращена"}],
        "problems": [{"path": "trust/bad.crt", "error": "не сертификат"}]}
    with app.app_context():
        operator, person = make_user(is_operator=True), make_user()
        assert notify_trust_problems(report) == 3
        assert notify_trust_problems(report) == 0
        assert _notices(person.id) == []
        subjects = [n.subject for n in _notices(operator.id, "trust_problem")]
        assert subjects == ["УЦ Тест: список отзыва устарел", "УЦ Бывший: аккредитация не действует",
                            "Файл хранилища доверия не загружен"]
        notify_trust_problems()  # the application's own trust report: runs without errors
