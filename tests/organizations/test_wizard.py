"""The registration wizard through the real HTTP client: every step's rules, the full walk."""

from __future__ import annotations

from sqlalchemy import select

from registry.extensions import db
from registry.members.models import Membership
from registry.organizations.models import Organization, OrganizationDraft
from registry.pki.demo_pki import ORGANIZATION

from .conftest import BENEFICIARY, GENERAL, HEAD, OKVED, PREMISES


def test_full_registration(app, wizard):
    r = wizard.start(ORGANIZATION["ogrn"])
    assert r.status_code == 302 and r.location.endswith("/organizations/register/general")
    page = wizard.get("/organizations/register/general").text
    assert ORGANIZATION["full_name"] in page and ORGANIZATION["kpp"] in page
    assert wizard.step("general", GENERAL).location.endswith("/okved")
    assert wizard.step("okved", OKVED).location.endswith("/head")
    assert wizard.step("head", HEAD).location.endswith("/premises")
    assert wizard.add("premises", PREMISES).status_code == 302
    assert wizard.step("premises", {"action": "nav"}).location.endswith("/branches")
    page = wizard.get("/organizations/register/branches").text
    assert "Санкт-Петербурге" in page  # prefilled from СвПодразд
    # The prefilled branch has no OKVED codes yet: «Далее» says so and waits.
    r = wizard.refused("branches", {"action": "nav"})
    assert r.status_code == 200 and "Запись 1" in r.text
    with app.app_context():
        draft = db.session.scalar(select(OrganizationDraft))
        branch_id = draft.data["branches"][0]["id"]
        branch = dict(draft.data["branches"][0])
    branch.update(okved="32.12", item=branch_id)
    branch.pop("id")
    r = wizard.add("branches", branch)
    assert r.status_code == 302, r.text
    r = wizard.step("branches", {"action": "nav"})
    assert r.location.endswith("/beneficiaries")
    assert wizard.add("beneficiaries", BENEFICIARY).status_code == 302
    assert wizard.step("beneficiaries", {"action": "nav"}).location.endswith("/review")
    r = wizard.step("review", {})
    assert r.status_code == 302, r.text
    with app.app_context():
        org = db.session.scalar(select(Organization))
        assert org.ogrn == ORGANIZATION["ogrn"]
        assert org.data["okved"]["main"] == "32.12"
        member = db.session.scalar(select(Membership))
        assert member.roles == ["admin", "applications"] and member.status == "active"
        assert db.session.scalar(select(OrganizationDraft)) is None
    page = wizard.get(r.location).text
    assert "зарегистрирована" in page
