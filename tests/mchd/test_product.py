"""An employee presents an МЧД for the organization they joined: each check shown in Russian,
a valid one activates the membership with the roles its powers map to."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select

from registry.core import clock
from registry.core.journal import OrganizationJournalEntry
from registry.extensions import db
from registry.mchd import services
from registry.mchd.document import read
from registry.mchd.models import PowerOfAttorneyRecord
from registry.mchd.services import acting_authority
from registry.members.models import Membership, Role
from registry.notices.kinds import MCHD_EXPIRY
from registry.notices.models import Notice
from registry.organizations.models import Organization
from registry.pki.demo_pki import ORGANIZATION

from ..factories import make_member
from ..members.conftest import person_client
from ..test_every_page import INTERNAL, visible_text
from .builder import build, principal, sign
from .conftest import OTHER_ORG, membership, upload
from .registry_server import registry_server


def journal(app, org_id):
    with app.app_context():
        return [e.details for e in db.session.scalars(select(OrganizationJournalEntry).where(
            OrganizationJournalEntry.organization_id == org_id,
            OrganizationJournalEntry.event == "mchd").order_by(OrganizationJournalEntry.id))]


def test_page_offers_the_organization_the_person_joined(setup):
    page = setup.get("/mchd").text
    assert "Доверенности (МЧД)" in page and ORGANIZATION["name"] in page
    assert "Файл доверенности (XML или архив ZIP)" in page and "Найти в реестре и проверить" in page


def test_valid_mchd_activates_the_membership(app, org, setup, head):
    xml, name = build()
    response = upload(setup, org, xml, sign(xml, head), name + ".xml")
    assert response.status_code == 302, response.text
    page = setup.get(response.headers["Location"]).text
    assert "принята" in page and "Назначены роли" in page
    assert "с правом однократного передоверия" in page  # ПрПередов="2" of the builder
    assert "Руководитель по ЕГРЮЛ" in page and "пройдена" in page
    assert INTERNAL.findall(visible_text(page)) == []
    m = membership(app, org)
    assert m["status"] == "active"
    assert set(m["roles"]) == {Role.APPLICATIONS.value, Role.DMDK_PARTICIPANT.value}
    [entry] = journal(app, org)
    assert read(xml).number in entry and "назначены роли" in entry
    with app.app_context():
        record = db.session.scalar(select(PowerOfAttorneyRecord))
        assert record.xml == xml and record.is_active and record.format == "003"
        user = record.user
        assert acting_authority(user, db.session.get(Organization, org)) == record.number
        entry = db.session.scalar(select(OrganizationJournalEntry).where(
            OrganizationJournalEntry.event == "mchd"))
        assert entry.mchd_number == record.number  # the evidence: acting by this МЧД from now on
    assert ">Доверенности (МЧД)<" in setup.get("/").text  # the menu keeps the entry


def test_text_powers_leave_the_roles_to_the_administrator(app, org, setup, head):
    xml, name = build("002", powers="Представлять организацию в ГИИС ДМДК")
    response = upload(setup, org, xml, sign(xml, head), name + ".xml")
    assert response.status_code == 302
    assert "роли назначит администратор" in setup.get(response.headers["Location"]).text
    assert membership(app, org)["status"] == "pending"


def test_refused_mchd_shows_each_check_and_is_journaled(app, org, setup, employee):
    xml, name = build()
    response = upload(setup, org, xml, sign(xml, employee), name + ".xml")
    assert response.status_code == 422
    assert "подписана самим представителем" in response.text
    assert "не пройдена" in response.text and "Электронная подпись" in response.text
    # the reason is said once, at the step that failed (the notice above names the step)
    assert visible_text(response.text).count("подписана самим представителем") == 1
    assert INTERNAL.findall(visible_text(response.text)) == []
    assert membership(app, org)["status"] == "pending"
    [entry] = journal(app, org)
    assert "не принята: Доверенность подписана самим представителем" in entry


def test_mchd_of_another_organization_is_refused(app, org, setup, head):
    xml, name = build(org=principal(**OTHER_ORG))
    response = upload(setup, org, xml, sign(xml, head), name + ".xml")
    assert response.status_code == 422 and "Загрузите доверенность этой организации" in response.text


def test_mchd_for_someone_else_is_refused(app, org, setup, head):
    xml, name = build(representative="employee2")
    response = upload(setup, org, xml, sign(xml, head), name + ".xml")
    assert response.status_code == 422 and "а не вам" in response.text


def test_missing_files_are_form_errors(setup, org):
    response = setup.post(f"/mchd/organizations/{org}/upload", {}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Выберите файл доверенности" in response.text


def test_foreign_organization_and_record_are_not_found(app, org, setup, head, demo_pki):
    with app.app_context():
        other = Organization(kind="ul", ogrn=OTHER_ORG["ogrn"], inn=OTHER_ORG["inn"],
                             full_name=OTHER_ORG["name"], short_name=OTHER_ORG["name"], data={})
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    xml, name = build()
    assert upload(setup, other_id, xml, sign(xml, head), name).status_code == 404
    response = upload(setup, org, xml, sign(xml, head), name + ".xml")
    record_url = response.headers["Location"]
    stranger = person_client(app, demo_pki, "ip")
    assert stranger.get(record_url).status_code == 404


def test_member_card_shows_the_mchd(app, org, setup, head, wizard):
    xml, name = build()
    upload(setup, org, xml, sign(xml, head), name + ".xml")
    with app.app_context():
        member_id = db.session.scalar(select(Membership.id).where(
            Membership.organization_id == org, Membership.user_id == membership(app, org)["user_id"]))
    card = wizard.get(f"/organizations/{org}/members/{member_id}").text
    assert "Доверенность (МЧД)" in card and read(xml).number in card
    assert "Действует" in card
    # The powers said the same way everywhere: the words, then the code.
    assert "Работа с заявлениями в ГИИС ДМДК (код DMDK_APPLICATIONS)" in card
    assert "DMDK_APPLICATIONS —" not in card
    [record_id] = re.findall(r'href="/mchd/(\d+)"', setup.get("/mchd").text)[:1]
    assert "Работа с заявлениями в ГИИС ДМДК (код DMDK_APPLICATIONS)" in setup.get(f"/mchd/{record_id}").text
    [entry] = journal(app, org)
    assert "Работа с заявлениями в ГИИС ДМДК (код DMDK_APPLICATIONS)" in entry


def test_lookup_through_the_registry(app, org, setup, head, monkeypatch):
    xml, name = build()
    number = read(xml).number
    with registry_server() as server:
        monkeypatch.setitem(app.config, "REGISTRY_MCHD_PROVIDER_URL", server.url)
        server.add(number, xml, sign(xml, head), inn=ORGANIZATION["inn"], file_name=name + ".xml")
        missing = setup.post(f"/mchd/organizations/{org}/lookup", {
            "number": "0f8fad5b-d9cb-469f-a165-70867728950e", "inn": ORGANIZATION["inn"]})
        assert missing.status_code == 422 and "не найдена в реестре" in missing.text
        server.down = True
        down = setup.post(f"/mchd/organizations/{org}/lookup", {"number": number,
                                                                "inn": ORGANIZATION["inn"]})
        assert down.status_code == 422 and "Это не отзыв" in down.text
        server.down = False
        found = setup.post(f"/mchd/organizations/{org}/lookup", {"number": number,
                                                                 "inn": ORGANIZATION["inn"]})
        assert found.status_code == 302, found.text
    assert membership(app, org)["status"] == "active"
    with app.app_context():
        assert db.session.scalar(select(PowerOfAttorneyRecord.source)) == "registry"


def test_lookup_form_checks_the_number_and_inn(setup, org):
    response = setup.post(f"/mchd/organizations/{org}/lookup", {"number": "123", "inn": "1"})
    assert response.status_code == 422 and "GUID" in response.text and "ИНН" in response.text


# -- expiry and revocation -------------------------------------------------------------------------
def accepted(app, org, setup, head, **kwargs):
    xml, name = build(**kwargs)
    assert upload(setup, org, xml, sign(xml, head), name + ".xml").status_code == 302
    return read(xml).number


def notices(app, kind):
    """The МЧД notices of ``kind`` ("expiring" or "suspended") as (key, subject, body)."""
    prefix = f"{kind}:"
    with app.app_context():
        return [(n.key.removeprefix(prefix), n.subject, n.body) for n in db.session.scalars(
            select(Notice).where(Notice.kind == MCHD_EXPIRY, Notice.key.startswith(prefix))
            .order_by(Notice.id))]


def test_expiry_suspends_what_the_mchd_granted(app, org, setup, head):
    number = accepted(app, org, setup, head, until=clock.today() + timedelta(days=10))
    with app.app_context():
        assert services.sweep(clock.today() + timedelta(days=3)).reminded == 1  # 7 days left
        assert services.sweep(clock.today() + timedelta(days=3)).reminded == 0  # once
        report = services.sweep(clock.today() + timedelta(days=11))
        db.session.commit()
    assert report.expired == 1
    [(key, subject, _body), (admin_key, admin_subject, _)] = notices(app, "expiring")
    assert key == f"{number}:7" and "истекает через 7 дней" in subject
    assert admin_key == key and "Доверенность сотрудника истекает" in admin_subject  # to the head
    [(key, subject, body), (_, admin_subject, _)] = notices(app, "suspended")
    assert "больше не действует" in subject and "срок действия истёк" in body
    assert "Сидорова Анна Сергеевна" in admin_subject
    m = membership(app, org)
    assert m["status"] == "pending" and m["roles"] == []
    with app.app_context():
        record = db.session.scalar(select(PowerOfAttorneyRecord))
        assert record.status == "expired"
        assert acting_authority(record.user, record.organization) is None
    assert "сняты роли" in journal(app, org)[-1]


def test_revocation_suspends_but_unavailable_does_not(app, org, setup, head, monkeypatch):
    xml, name = build()
    sig = sign(xml, head)
    assert upload(setup, org, xml, sig, name + ".xml").status_code == 302
    number = read(xml).number
    with registry_server() as server:
        monkeypatch.setitem(app.config, "REGISTRY_MCHD_PROVIDER_URL", server.url)
        server.down = True
        with app.app_context():
            assert services.sweep().revoked == 0
            db.session.commit()
        assert membership(app, org)["status"] == "active"
        server.down = False
        server.add(number, b"<x/>", b"s", inn=ORGANIZATION["inn"], status="revoked",
                   revoked_at="2026-11-30T10:00:00Z")
        with app.app_context():
            assert services.sweep().revoked == 1
            db.session.commit()
        server.down = True  # presented again while the registry cannot be asked: still revoked
        again = upload(setup, org, xml, sig, name + ".xml")
        assert again.status_code == 422 and "Доверенность отозвана" in again.text
    m = membership(app, org)
    assert m["status"] == "pending" and m["roles"] == []
    (_key, _subject, body), _to_the_head = notices(app, "suspended")
    assert "отозвана" in body


def test_roles_granted_otherwise_are_kept(app, org, setup, head):
    with app.app_context():
        m = db.session.scalar(select(Membership).where(Membership.organization_id == org,
                                                       Membership.user_id == membership(app, org)["user_id"]))
        m.roles, m.status = [Role.BATCH_OPERATIONS.value], "active"
        db.session.commit()
    accepted(app, org, setup, head, until=clock.today() + timedelta(days=2))
    with app.app_context():
        services.sweep(clock.today() + timedelta(days=5))
        db.session.commit()
    m = membership(app, org)
    assert (m["status"], m["roles"]) == ("active", [Role.BATCH_OPERATIONS.value])


def test_reminders_at_30_7_and_1_days(app, org, setup):
    from ..factories import make_power_of_attorney

    today = clock.today()
    anna = membership(app, org)["user_id"]
    with app.app_context():
        m = db.session.scalar(select(Membership).where(Membership.organization_id == org,
                                                       Membership.user_id == anna))
        record = make_power_of_attorney(m, valid_until=today + timedelta(days=40))
        number = record.number
        for days_ahead in (0, 5, 10, 11, 20, 33, 34, 38, 39):  # 40, 35, 30, 29, 20, 7, 6, 2, 1 left
            services.sweep(today + timedelta(days=days_ahead), check_registry=False)
        db.session.commit()
    sent = notices(app, "expiring")  # to Сидорова, then to the head (the administrator)
    assert [key for key, *_ in sent] == [f"{number}:{d}" for d in (30, 30, 7, 7, 1, 1)]
    assert "истекает через 1 день" in notices(app, "expiring")[-1][1]


def test_the_sweep_is_a_periodic_job(app, org, setup, head):
    from registry.jobs import PERIODIC

    assert PERIODIC["mchd_sweep"].every(app).total_seconds() == 3600
    accepted(app, org, setup, head, issued=clock.today() - timedelta(days=10),
             until=clock.today() - timedelta(days=0))
    with app.app_context():
        PERIODIC["mchd_sweep"].fn(app)  # today: still valid (the last day counts)
        db.session.commit()
    assert membership(app, org)["status"] == "active"


def test_redelegation_uploaded_with_its_parent(app, org, setup, head, stranger):
    parent_xml, parent_name = build(representative="ip", redelegation="2")
    parent_number = read(parent_xml).number
    xml, name = build(signatory=None, delegator="ip", representative="employee1", redelegation="1",
                      parent=parent_number, powers=[("DMDK_APPLICATIONS", "Заявления")],
                      until=clock.today() + timedelta(days=30))
    sig = sign(xml, stranger)
    alone = upload(setup, org, xml, sig, name + ".xml")
    assert alone.status_code == 422 and "Это передоверие" in alone.text
    response = setup.post(f"/mchd/organizations/{org}/upload", {
        "xml": (io.BytesIO(xml), name + ".xml"), "signature": (io.BytesIO(sig), "a.sig"),
        "parent_xml": (io.BytesIO(parent_xml), parent_name + ".xml"),
        "parent_signature": (io.BytesIO(sign(parent_xml, head)), "b.sig")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    assert membership(app, org)["roles"] == [Role.APPLICATIONS.value]
    page = setup.get(response.headers["Location"]).text
    assert f"по доверенности № {parent_number}" in page


def test_menu_entry_for_people_waiting_or_holding_an_mchd(app, org, setup, wizard, demo_pki):
    link = '<a href="/mchd">Доверенности (МЧД)</a>'
    assert link in setup.get("/").text  # waiting for roles
    assert link in wizard.get("/").text  # the head: an administrator, active
    assert link not in person_client(app, demo_pki, "ip").get("/").text  # no organization


def test_mchd_page_statements_do_not_grow_with_organizations(app, org, setup, head):
    from registry.auth.models import User

    from ..factories import make_organization, make_power_of_attorney
    from ..members.test_bounded_sql import statements

    def count() -> int:
        with statements(app) as sql:
            assert setup.get("/mchd").status_code == 200
        return len(sql)

    accepted(app, org, setup, head)
    before = count()
    with app.app_context():
        user = db.session.get(User, db.session.scalar(select(PowerOfAttorneyRecord.user_id)))
        for n in range(6):
            member = make_member(user, make_organization(), status="pending")
            if n % 2:
                make_power_of_attorney(member)
        db.session.commit()
    assert count() == before


def test_liquidation_of_the_principal_ends_the_mchd(app, org, setup, head):
    from registry.refdata.models import EgrulRecord

    accepted(app, org, setup, head)
    with app.app_context():
        record = db.session.scalar(select(EgrulRecord).where(EgrulRecord.ogrn == ORGANIZATION["ogrn"]))
        record.liquidated, record.status = True, "Ликвидировано"
        assert services.sweep(check_registry=False).terminated == 1
        db.session.commit()
        assert db.session.scalar(select(PowerOfAttorneyRecord.status)) == "terminated"
    assert membership(app, org)["status"] == "pending"
    (_key, _subject, body), *_ = notices(app, "suspended")
    assert "ликвидирована" in body


def test_organization_page_warns_administrators_of_expiring_mchd(app, org, setup, head, wizard):
    number = accepted(app, org, setup, head, until=clock.today() + timedelta(days=20))
    page = wizard.get(f"/organizations/{org}").text
    assert f"Доверенность (МЧД) № {number} сотрудника Сидоровой Анны Сергеевны" in page
    later = accepted(app, org, setup, head, until=clock.today() + timedelta(days=200))
    page = wizard.get(f"/organizations/{org}").text
    assert number not in page and later not in page  # replaced; the new one is far from its end


def test_a_waiting_member_is_told_of_the_mchd(app, org, setup):
    page = setup.get(f"/organizations/{org}")
    assert page.status_code == 403 and "загрузите её в разделе «Доверенности (МЧД)»" in page.text
