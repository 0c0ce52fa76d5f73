"""МЧД through the pages: a ZIP package or an attached signature on the upload page, the real
size of a file too large, the operator's table of powers and roles, text powers shown to the
administrators, and the JSON API's view of an organization's МЧД."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from registry.extensions import db
from registry.mchd.models import PowerOfAttorneyRecord, PowerRoleRule
from registry.members.models import Role
from registry.notices.kinds import MEMBER_WAITING
from registry.notices.models import Notice
from registry.pki.demo_pki import PEOPLE

from ..factories import make_person
from ..members.conftest import person_client
from .builder import build, sign
from .conftest import membership, upload


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def post_files(browser, org_id, files: dict[str, tuple[bytes, str]]):
    return browser.post(f"/mchd/organizations/{org_id}/upload",
                        {k: (io.BytesIO(v), n) for k, (v, n) in files.items()},
                        content_type="multipart/form-data")


def test_a_zip_package_is_accepted_without_a_signature_file(app, org, setup, head):
    xml, name = build()
    response = post_files(setup, org, {"xml": (_zip({f"{name}.xml": xml, f"{name}.xml.sig": sign(xml, head)}),
                                               "доверенность.zip")})
    assert response.status_code == 302, response.text
    assert "(время указано подписантом)" in setup.get(response.headers["Location"]).text
    with app.app_context():
        record = db.session.scalar(select(PowerOfAttorneyRecord))
        assert record.xml == xml and record.file_name == f"{name}.xml"  # kept unpacked
        assert not record.time_proven
    assert membership(app, org)["status"] == "active"


def test_an_attached_signature_is_accepted(app, org, setup, head):
    xml, name = build()
    response = post_files(setup, org, {"xml": (sign(xml, head, attached=True), f"{name}.xml.sig")})
    assert response.status_code == 302, response.text
    with app.app_context():
        assert db.session.scalar(select(PowerOfAttorneyRecord.xml)) == xml


def test_a_file_too_large_is_refused_with_its_size_and_nothing_saved_changes(app, org, setup, head):
    xml, name = build()
    assert upload(setup, org, xml, sign(xml, head), name + ".xml").status_code == 302
    with app.app_context():
        before = db.session.scalar(select(PowerOfAttorneyRecord))
        kept = (before.id, before.status, before.xml, list(before.granted_roles))
    for size in (2 << 20, 15 << 20):
        response = post_files(setup, org, {"xml": (b"<" + b" " * (size - 1), name + ".xml"),
                                           "signature": (b"0", name + ".xml.sig")})
        assert response.status_code == 422
        assert f"{size // 1024} КБ при допустимых 1024 КБ" in response.text
    with app.app_context():
        after = db.session.scalar(select(PowerOfAttorneyRecord))
        assert (after.id, after.status, after.xml, list(after.granted_roles)) == kept
    assert membership(app, org)["status"] == "active"


def test_the_operator_keeps_the_table_of_powers_and_roles(app, org, setup, head, demo_pki):
    with app.app_context():
        seeded = {r.code: r.roles for r in db.session.scalars(select(PowerRoleRule))}
        assert seeded["DMDK_APPLICATIONS"] == ["applications"] and seeded["DMDK_ADMIN"] == ["admin"]
        make_person("ip", is_operator=True)
        db.session.commit()
    assert setup.get("/operator/mchd-powers").status_code == 404  # not an operator: nothing here
    operator = person_client(app, demo_pki, "ip")
    page = operator.get("/operator/mchd-powers")
    assert page.status_code == 200 and "DMDK_APPLICATIONS" in page.text
    refused = operator.post("/operator/mchd-powers", {"code": "02 01", "name": "x"})
    assert refused.status_code == 422 and "от 6 до 255 символов" in refused.text
    saved = operator.post("/operator/mchd-powers", {"code": "02.01.001.003", "name": "Подписание заявлений ДМДК",
                                                     "role_admin": "y", "role_applications": "y"})
    assert saved.status_code == 302, saved.text
    assert "02.01.001.003" in operator.get("/operator/mchd-powers").text
    xml, name = build(powers=[("02.01.001.003", "Подписание заявлений ДМДК")])
    assert upload(setup, org, xml, sign(xml, head), name + ".xml").status_code == 302
    assert set(membership(app, org)["roles"]) == {Role.ADMIN.value, Role.APPLICATIONS.value}
    removed = operator.post("/operator/mchd-powers/delete", {"code": "02.01.001.003"})
    assert removed.status_code == 302
    with app.app_context():
        assert db.session.get(PowerRoleRule, "02.01.001.003") is None


def test_text_powers_are_shown_to_the_administrators(app, org, setup, head):
    xml, name = build(powers="Представлять общество в ГИИС ДМДК и подписывать заявления")
    assert upload(setup, org, xml, sign(xml, head), name + ".xml").status_code == 302
    assert membership(app, org)["status"] == "pending"
    with app.app_context():
        notices = list(db.session.scalars(select(Notice).where(Notice.kind == MEMBER_WAITING)))
        [notice] = [n for n in notices if "по доверенности" in n.subject]
        assert notice.user.snils == PEOPLE["head"]["snils"]
        assert "указаны текстом" in notice.body and "подписывать заявления" in notice.body


def test_unknown_codes_are_shown_to_the_administrators(app, org, setup, head):
    xml, name = build(powers=[("NALOG.01.001", "Представление отчётности в налоговый орган")])
    assert upload(setup, org, xml, sign(xml, head), name + ".xml").status_code == 302
    with app.app_context():
        [notice] = [n for n in db.session.scalars(select(Notice).where(Notice.kind == MEMBER_WAITING))
                    if "по доверенности" in n.subject]
        assert "NALOG.01.001 не сопоставлены ролям" in notice.body


def test_the_api_shows_the_powers_of_attorney(app, org, setup, head, demo_pki):
    xml, name = build(text="Получать уведомления Пробирной палаты")
    assert upload(setup, org, xml, sign(xml, head), name + ".xml").status_code == 302
    client = app.test_client()

    def get(person, path):
        client.certificate = demo_pki.person(person, "ecdsa").pem
        return client.get(f"/api/v1/organizations/{org}{path}")

    listing = get("head", "/mchd")  # the administrator sees every МЧД of the organization
    assert listing.status_code == 200, listing.text
    [item] = listing.json["powers_of_attorney"]
    assert item["representative"]["full_name"] == "Сидорова Анна Сергеевна"
    assert [(p["code"], p["name"]) for p in item["powers"]][0] == (None, "Получать уведомления Пробирной палаты")
    assert item["granted_roles"] == ["applications", "dmdk_participant"] and item["status"] == "active"
    assert any(c["name"] == "egrul" and c["ok"] for c in item["checks"])
    card = get("employee1", f"/mchd/{item['id']}")  # and the employee their own
    assert card.status_code == 200 and card.json["number"] == item["number"]
    assert get("employee1", "/mchd/999999").status_code == 404
    assert get("head", "/mchd").json["powers_of_attorney"][0]["url"].endswith(f"/mchd/{item['id']}")
    with app.app_context():
        make_person("ip")
        db.session.commit()
    client.certificate = demo_pki.person("ip", "ecdsa").pem  # not a member: nothing there
    assert client.get(f"/api/v1/organizations/{org}/mchd").status_code == 404


def test_a_cades_t_mchd_shows_its_proven_signing_time(app, org, setup, head, demo_pki, tmp_path):
    from ..tsa import add_signature_time_stamp, issue_tsa

    tsa = issue_tsa(demo_pki, tmp_path / "tsa")
    xml, name = build()
    response = upload(setup, org, xml, add_signature_time_stamp(sign(xml, head), tsa), name + ".xml")
    assert response.status_code == 302, response.text
    page = setup.get(response.headers["Location"]).text
    assert "(время подтверждено штампом времени)" in page and "CAdES-T" in page
    with app.app_context():
        assert db.session.scalar(select(PowerOfAttorneyRecord)).time_proven
