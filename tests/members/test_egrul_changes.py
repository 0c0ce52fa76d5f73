"""A newer ЕГРЮЛ extract, imported with ``registry egrul import``, changes a registered
organization: a new head (the previous head's administrator role waits for the new head's
confirmation), liquidation (read-only), reorganization under way."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import func, select

from registry.core.journal import OrganizationJournalEntry
from registry.documents.models import Document
from registry.extensions import db
from registry.members.models import Membership
from registry.notices.models import Notice
from registry.organizations.models import EgrulChange, Organization
from registry.pki.demo_pki import ORGANIZATION, PEOPLE
from registry.refdata.egrul_xml import write_extract

from ..factories import make_document, make_organization
from ..refdata.conftest import legal_entity
from .conftest import member_of, person_client, user_id

OLD_HEAD = {"kind": "person", "surname": "Иванов", "given": "Иван", "patronymic": "Иванович",
            "inn": PEOPLE["head"]["inn"], "title": "Генеральный директор", "date": "2018-02-20"}
NEW_HEAD = {"kind": "person", "surname": "Сидорова", "given": "Анна", "patronymic": "Сергеевна",
            "inn": PEOPLE["employee1"]["inn"], "title": "Генеральный директор", "date": "2026-02-01"}
ANNA = "Сидорова Анна Сергеевна"
IVAN = "Иванов Иван Иванович"


def extract(tmp_path, name, *records):
    path = tmp_path / name
    write_extract(path, list(records))
    return str(path)


def romashka(**overrides) -> dict:
    return legal_entity(1, **{"ogrn": ORGANIZATION["ogrn"], "inn": ORGANIZATION["inn"], "head": OLD_HEAD,
                              "full_name": ORGANIZATION["full_name"], **overrides})


def run_import(app, *paths):
    result = app.test_cli_runner().invoke(args=["egrul", "import", "--quiet", *paths])
    assert result.exit_code == 0, result.output
    return result.stdout


def changes(app, org_id):
    with app.app_context():
        return [(c.kind, c.status, c.summary) for c in db.session.scalars(
            select(EgrulChange).where(EgrulChange.organization_id == org_id).order_by(EgrulChange.id))]


def journal(app, org_id, event):
    with app.app_context():
        return list(db.session.scalars(select(OrganizationJournalEntry).where(
            OrganizationJournalEntry.organization_id == org_id, OrganizationJournalEntry.event == event)))


def notices_of(app, uid):
    with app.app_context():
        return [(n.kind, n.subject, n.url) for n in db.session.scalars(select(Notice).where(Notice.user_id == uid))]


def test_new_head_suspends_the_previous_and_confirms(app, db_session, demo_pki, org, wizard, tmp_path):
    anna = person_client(app, demo_pki, "employee1")
    anna.get("/")  # Анна has an account (not a member): she is told too
    run_import(app, extract(tmp_path, "jan.xml", romashka()))
    assert changes(app, org) == []  # the same head as at registration: nothing to tell
    assert member_of(app, org, user_id(app, IVAN))["roles"] == ["admin", "applications"]  # make_admin

    out = run_import(app, extract(tmp_path, "feb.xml", romashka(head=NEW_HEAD, extract_date=date(2026, 2, 1))))
    assert "обновлено: 1" in out
    [(kind, status, summary)] = changes(app, org)
    assert (kind, status) == ("head", "open")
    assert summary == (f"Руководитель по ЕГРЮЛ: {IVAN} (ИНН {PEOPLE['head']['inn']}), Генеральный директор → "
                       f"{ANNA} (ИНН {PEOPLE['employee1']['inn']}), Генеральный директор "
                       "(выписка ЕГРЮЛ от 01.02.2026)")
    # The previous head is no longer an administrator; the journal says so.
    assert member_of(app, org, user_id(app, IVAN))["roles"] == ["applications"]  # what an administrator gave stays
    [entry] = journal(app, org, "egrul_head")
    assert "у Иванова Ивана Ивановича приостановлена до подтверждения новым руководителем" in entry.details
    # Both are told, once each, with a link to the change.
    for uid in (user_id(app, IVAN), user_id(app, ANNA)):
        [(kind, subject, url)] = notices_of(app, uid)
        assert kind == "egrul_change" and "Сменился руководитель" in subject
        assert url == f"/organizations/{org}/egrul/" + url.rsplit("/", 1)[1]
    # The organization page shows it; the previous head may no longer give roles.
    page = wizard.get(f"/organizations/{org}").text
    assert "Руководитель по ЕГРЮЛ" in page
    assert "Ваша роль «Администратор организации» приостановлена до подтверждения." in page  # to him
    assert wizard.get(f"/organizations/{org}/members").status_code == 403
    # The same extract again changes nothing.
    run_import(app, extract(tmp_path, "feb2.xml", romashka(head=NEW_HEAD, extract_date=date(2026, 2, 1))))
    assert len(changes(app, org)) == 1

    # Анна signs in: «Моя организация» asks her to confirm; she does and is the administrator.
    assert "Вы — новый руководитель по ЕГРЮЛ" in anna.get("/organizations/?all=1").text
    assert "Подтвердить смену руководителя" in anna.get("/").text
    assert "Подтвердить смену руководителя" not in wizard.get("/").text
    with app.app_context():
        change_id = db.session.scalar(select(EgrulChange.id).where(EgrulChange.organization_id == org))
    url = f"/organizations/{org}/egrul/{change_id}"
    r = wizard.get(url)  # a member sees the change, without the confirmation
    assert r.status_code == 200 and ANNA in r.text and "Подтвердить: я руководитель" not in r.text
    assert "Подтвердить: я руководитель" in anna.get(url).text
    r = wizard.post(url, {"submit": "y"})  # the previous head cannot confirm
    assert "Подтвердить смену может только новый руководитель" in r.text
    r = anna.post(url, {"submit": "y"})
    assert r.status_code == 302, r.text
    assert member_of(app, org, user_id(app, ANNA))["roles"] == ["admin"]
    assert member_of(app, org, user_id(app, ANNA))["status"] == "active"
    assert changes(app, org)[0][1] == "closed"
    [entry] = journal(app, org, "egrul_confirmed")
    cert = demo_pki.person("employee1", "ecdsa").certificate
    assert entry.actor_id == user_id(app, ANNA) and entry.cert_serial == cert.serial
    assert entry.cert_issuer == cert.issuer
    assert "роль «Администратор организации» у Иванова Ивана Ивановича снята" in entry.details
    assert anna.get(f"/organizations/{org}/members").status_code == 200
    assert "Руководитель по ЕГРЮЛ" not in anna.get(f"/organizations/{org}").text  # closed: not shown
    # The previous head, still a member without roles, reads why the role is gone and who gives roles.
    page = wizard.get(f"/organizations/{org}").text
    assert ("Роль «Администратор организации» у вас снята" in page
            and f"новый руководитель по ЕГРЮЛ {ANNA} подтвердила смену" in page
            and "Роли в организации теперь назначает она." in page)
    assert "у вас снята" not in anna.get(f"/organizations/{org}").text  # only to the one it concerns


def test_a_stranger_sees_no_change(app, db_session, demo_pki, org, tmp_path):
    run_import(app, extract(tmp_path, "a.xml", romashka()))
    run_import(app, extract(tmp_path, "b.xml", romashka(head=NEW_HEAD, extract_date=date(2026, 2, 1))))
    with app.app_context():
        change_id = db.session.scalar(select(EgrulChange.id).where(EgrulChange.organization_id == org))
    stranger = person_client(app, demo_pki, "ip")
    assert stranger.get(f"/organizations/{org}/egrul/{change_id}").status_code == 404
    assert stranger.post(f"/organizations/{org}/egrul/{change_id}", {"submit": "y"}).status_code == 404


def test_liquidated_organization_is_read_only(app, db_session, demo_pki, org, wizard, tmp_path):
    run_import(app, extract(tmp_path, "a.xml", romashka()))
    run_import(app, extract(tmp_path, "b.xml", romashka(liquidated=True, status=None,
                                                        extract_date=date(2026, 3, 1))))
    [(kind, status, summary)] = changes(app, org)
    assert kind == "liquidated" and "ликвидирована по сведениям ЕГРЮЛ (выписка ЕГРЮЛ от 01.03.2026" in summary
    page = wizard.get(f"/organizations/{org}").text
    assert "Организация доступна только для просмотра" in page
    assert "· Ликвидирована по ЕГРЮЛ ·" in page and "Зарегистрирована" not in page  # one state, not two
    r = wizard.post(f"/organizations/{org}/edit", {"submit": "y"})
    assert r.status_code == 403 and "ликвидирована" in r.text and "только для" in r.text
    assert wizard.get(f"/organizations/{org}/members").status_code == 403
    assert wizard.get(f"/organizations/{org}/journal").status_code == 200
    joining = person_client(app, demo_pki, "employee1")
    joining.post("/join", {"query": ORGANIZATION["inn"], "find": "1"})
    r = joining.post("/join", {"organization": str(org), "unit": "", "submit": "1"})
    assert "присоединиться к ней нельзя" in r.text
    assert member_of(app, org, user_id(app, ANNA)) is None
    [(kind, subject, _url)] = notices_of(app, user_id(app, IVAN))
    assert kind == "egrul_change" and "ликвидирована" in subject


def test_reorganization_is_shown_and_told(app, db_session, demo_pki, org, wizard, tmp_path):
    run_import(app, extract(tmp_path, "a.xml", romashka()))
    run_import(app, extract(tmp_path, "b.xml", romashka(
        status="Находится в процессе реорганизации в форме присоединения к другому юридическому лицу",
        status_code="124", extract_date=date(2026, 3, 1))))
    [(kind, status, summary)] = changes(app, org)
    assert (kind, status) == ("status", "open") and "в процессе реорганизации" in summary
    assert "(код 124, выписка ЕГРЮЛ от 01.03.2026)" in summary
    assert "в процессе реорганизации" in wizard.get(f"/organizations/{org}").text
    assert [j.event for j in journal(app, org, "egrul_status")] == ["egrul_status"]
    # A later extract back to «Действующее» is not a change to warn about; the warning stays
    # until ЕГРЮЛ shows another status of the kind.
    assert wizard.get(f"/organizations/{org}/members").status_code == 200  # not read-only


def test_only_registered_organizations_are_looked_at(app, db_session, org, tmp_path):
    """A bulk import of unregistered organizations records no change and asks nothing of them."""
    others = [legal_entity(n) for n in range(10, 60)]
    run_import(app, extract(tmp_path, "a.xml", romashka(), *others))
    newer = [legal_entity(n, head=NEW_HEAD, extract_date=date(2026, 2, 1)) for n in range(10, 60)]
    with app.app_context():
        make_organization(ogrn=newer[0]["ogrn"], inn=newer[0]["inn"])  # one of them registered
        db.session.commit()
    run_import(app, extract(tmp_path, "b.xml", *newer))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EgrulChange)) == 1
        registered = db.session.scalar(select(Organization).where(Organization.ogrn == newer[0]["ogrn"]))
        assert db.session.scalar(select(EgrulChange.organization_id)) == registered.id


def test_the_watch_costs_one_statement_per_batch(app, db_session, org, tmp_path, monkeypatch):
    """Registered organizations are found with one joined statement per written batch, however
    many records the batch holds; unregistered ones cost nothing more."""
    from sqlalchemy import event

    import registry.refdata.egrul as egrul_import

    monkeypatch.setattr(egrul_import, "BATCH", 10)
    run_import(app, extract(tmp_path, "a.xml", romashka(), *[legal_entity(n) for n in range(10, 49)]))
    newer = [romashka(head=NEW_HEAD, extract_date=date(2026, 2, 1))] + [
        legal_entity(n, head=NEW_HEAD, extract_date=date(2026, 2, 1)) for n in range(10, 49)]
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        run_import(app, extract(tmp_path, "b.xml", *newer))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    watch = [s for s in seen if "LEFT OUTER JOIN egrul_records" in s]
    assert len(watch) == 4  # 40 records, batches of 10
    assert [kind for kind, _status, _summary in changes(app, org)] == ["head"]


def test_journal_shows_the_certificate_and_exports_it(app, demo_pki, org, wizard):
    head = person_client(app, demo_pki, "head", "rsa")  # a new sign-in, journalled with its certificate
    head.get("/")
    cert = demo_pki.person("head", "rsa").certificate
    page = wizard.get(f"/organizations/{org}/journal?event=sign_in").text
    assert cert.serial in page and "<th>МЧД</th>" in page
    r = wizard.get(f"/organizations/{org}/journal?format=csv&event=sign_in")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][4:7] == ["Серийный номер сертификата", "Издатель сертификата", "Номер МЧД"]
    assert any(row[4] == cert.serial and row[5] == cert.issuer and row[6] == "" for row in rows[1:])


def test_journal_names_the_mchd_acted_by(app, demo_pki, org, wizard):
    from registry.core import signals

    def authority(_sender, user, organization):
        return f"МЧД-{organization.id}-{user.surname}"

    with signals.acting_authority.connected_to(authority, sender=app):
        person_client(app, demo_pki, "head", "rsa").get("/")
    serial = demo_pki.person("head", "rsa").certificate.serial
    [entry] = [e for e in journal(app, org, "sign_in") if e.cert_serial == serial]
    assert entry.mchd_number == f"МЧД-{org}-Иванов"
    assert f"МЧД-{org}-Иванов" in wizard.get(f"/organizations/{org}/journal?event=sign_in").text


def test_liquidated_organization_keeps_its_documents_readable(app, db_session, demo_pki, org, wizard, tmp_path):
    """Read-only means the documents are still listed and downloaded; changing them is refused
    with the reason."""
    with app.app_context():
        organization = db.session.get(Organization, org)
        member = db.session.scalar(select(Membership).where(Membership.organization_id == org))
        member.roles = ["admin", "dmdk_participant"]
        document = make_document(organization, number="У-17")
        db.session.commit()
        document_id = document.id
    run_import(app, extract(tmp_path, "a.xml", romashka()))
    run_import(app, extract(tmp_path, "b.xml", romashka(liquidated=True, status=None,
                                                        extract_date=date(2026, 3, 1))))
    docs = f"/organizations/{org}/documents"
    assert "Документы организации" in wizard.get(f"/organizations/{org}").text  # the tab stays
    page = wizard.get(docs)
    assert page.status_code == 200 and "У-17" in page.text
    assert '<div class="table-scroll">\n<table class="table documents">' in page.text  # 375 px: scrolls inside
    assert "Документы можно просматривать и скачивать" in page.text and "Загрузить документ" not in page.text
    card = wizard.get(f"{docs}/{document_id}")
    assert card.status_code == 200 and "Удалить документ" not in card.text
    r = wizard.client.get(f"{docs}/{document_id}/file")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    r = wizard.get(f"{docs}/new")
    assert r.status_code == 403 and "ликвидирована" in r.text
    assert "документы можно просматривать и скачивать, но не загружать, подписывать и удалять" in r.text
    r = wizard.post(f"{docs}/{document_id}/delete", {})
    assert r.status_code == 403
    with app.app_context():
        assert db.session.get(Document, document_id) is not None
