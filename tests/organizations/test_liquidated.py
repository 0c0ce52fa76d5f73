"""The wizard registers only an organization that ЕГРЮЛ shows active: a liquidated record is
refused at the search, and at «Зарегистрировать» when a newer extract has arrived meanwhile."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from registry.extensions import db
from registry.organizations.models import Organization, OrganizationDraft
from registry.pki.demo_pki import ORGANIZATION
from registry.refdata.demo_data import demo_records
from registry.refdata.egrul import import_egrul
from registry.refdata.egrul_xml import write_extract

from .conftest import GENERAL, HEAD, OKVED


def test_a_liquidated_record_is_not_registered(app, wizard):
    vector = next(r for r in demo_records() if r.get("status") == "Ликвидировано")
    r = wizard.post("/organizations/register", {"query": vector["ogrn"]})
    assert r.status_code == 422
    assert "Организация прекратила деятельность: статус в ЕГРЮЛ — Ликвидировано" in r.text
    with app.app_context():
        assert db.session.scalar(select(OrganizationDraft)) is None


def test_a_newer_extract_that_ends_the_organization_stops_the_registration(app, wizard, tmp_path):
    assert wizard.start(ORGANIZATION["ogrn"]).status_code == 302
    assert wizard.step("general", GENERAL).status_code == 302
    assert wizard.step("okved", OKVED).status_code == 302
    assert wizard.step("head", HEAD).status_code == 302
    assert wizard.step("premises", {"action": "nav"}).status_code == 302
    with app.app_context():
        branches = db.session.scalars(select(OrganizationDraft)).all()[-1].data["branches"]
    for item in branches:
        values = {k: v for k, v in item.items() if k != "id"}
        assert wizard.add("branches", {**values, "okved": "47.77", "item": item["id"]}).status_code == 302
    assert wizard.step("branches", {"action": "nav"}).status_code == 302
    assert wizard.step("beneficiaries", {"action": "nav"}).status_code == 302
    # Meanwhile ЕГРЮЛ shows РОМАШКА liquidated.
    romashka = next(r for r in demo_records() if r["ogrn"] == ORGANIZATION["ogrn"])
    write_extract(tmp_path / "newer.xml", [{**romashka, "liquidated": True, "status": None,
                                            "extract_date": date(2030, 1, 1)}])
    with app.app_context():
        assert not import_egrul([tmp_path / "newer.xml"]).errors
        db.session.commit()
    r = wizard.refused("review", {})
    assert "Организация прекратила деятельность" in r.text, r.text
    with app.app_context():
        assert db.session.scalar(select(Organization)) is None
