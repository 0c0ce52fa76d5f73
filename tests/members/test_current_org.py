"""A person in several organizations works in one at a time: the header says which, the pages
without an organization in the URL and the API stay in it, another organization's page
switches to it visibly, a foreign organization stays a 404."""

from __future__ import annotations

import re

from sqlalchemy import select

from registry.auth.models import User
from registry.extensions import db
from registry.pki.demo_pki import PEOPLE

from ..factories import make_organization, make_person, register_organization


def second_org(app, name="ООО «ЯХОНТ»") -> int:
    with app.app_context():
        head = db.session.scalar(select(User).where(User.inn == PEOPLE["head"]["inn"]))
        org = register_organization(head, name=name)
        db.session.commit()
        return org.id


def foreign_org(app) -> int:
    with app.app_context():
        org = register_organization(make_person("ip"), name="ООО «ЧУЖАЯ»")
        db.session.commit()
        return org.id


def current_in_header(page: str) -> int | None:
    found = re.search(r'data-current-org="(\d+)"', page)
    return int(found.group(1)) if found else None


def switch(wizard, org_id, next_path="/"):
    wizard.get("/")
    return wizard.post("/current-organization", {"org_id": str(org_id), "next": next_path})


def test_the_head_of_two_switches_between_them(app, demo_pki, org, wizard):
    other = second_org(app)
    home = wizard.get("/").text
    assert current_in_header(home) == org  # the first by name until one is chosen
    assert "ООО «ЯХОНТ»" in home and "Перейти" in home  # the other one, to switch to
    assert wizard.get("/organizations/").location.endswith(f"/organizations/{org}")
    assert wizard.get("/members").location.endswith(f"/organizations/{org}/members")

    r = switch(wizard, other, f"/organizations/{org}/journal?event=roles")
    assert r.status_code == 302 and r.location.endswith(f"/organizations/{other}/journal")
    page = wizard.get(r.location).text
    assert current_in_header(page) == other and "Текущая организация — ООО «ЯХОНТ»." in page
    # Pages without an organization in the URL stay in it, and so does the API.
    assert current_in_header(wizard.get("/").text) == other
    assert wizard.get("/organizations/").location.endswith(f"/organizations/{other}")
    assert wizard.get("/members").location.endswith(f"/organizations/{other}/members")
    me = wizard.get("/api/v1/me").get_json()
    assert me["current_organization"]["id"] == other
    assert {o["id"] for o in me["organizations"]} == {org, other}
    assert wizard.get("/api/v1/organizations").get_json()["current_organization"]["id"] == other

    # Opening a page of the other organization switches to it, and the page says so.
    page = wizard.get(f"/organizations/{org}/members").text
    assert current_in_header(page) == org
    assert "Текущая организация — ООО «РОМАШКА»: вы открыли её страницу" in page
    assert current_in_header(wizard.get("/").text) == org
    # A page of one object leads to the profile of the other organization.
    r = switch(wizard, other, f"/organizations/{org}/members/12345")
    assert r.location.endswith(f"/organizations/{other}")


def test_a_foreign_organization_stays_not_found(app, demo_pki, org, wizard):
    other = second_org(app)
    stranger = foreign_org(app)
    assert wizard.get(f"/organizations/{stranger}").status_code == 404
    assert switch(wizard, stranger).status_code == 404
    assert current_in_header(wizard.get("/").text) == org  # nothing changed
    assert wizard.post("/current-organization", {"org_id": "x"}).status_code == 400
    assert wizard.client.post("/current-organization", data={"org_id": str(other)}).status_code == 400  # no CSRF


def test_one_organization_has_no_switch(app, demo_pki, org, wizard):
    page = wizard.get("/").text
    assert current_in_header(page) == org and 'name="org_id"' not in page


def test_the_api_without_a_session_uses_the_first(app, demo_pki, org, wizard):
    other = second_org(app, name="ОБЩЕСТВО «АААА»")  # first by name
    switch(wizard, org)
    assert wizard.get("/api/v1/me").get_json()["current_organization"]["id"] == org
    fresh = app.test_client()
    fresh.certificate = demo_pki.person("head", "ecdsa").pem
    assert fresh.get("/api/v1/me").get_json()["current_organization"]["id"] == other


def test_a_person_without_organizations_sees_none(app, demo_pki, client):
    client.certificate = demo_pki.person("employee1", "ecdsa").pem
    assert current_in_header(client.get("/").text) is None
    with app.app_context():
        make_organization()  # somebody else's
        db.session.commit()
    assert client.get("/api/v1/me").get_json()["current_organization"] is None


def test_the_switch_asks_for_a_choice_and_marks_a_liquidated_one(app, demo_pki, org, wizard):
    other = second_org(app, name="ООО «ЯХОНТ»")
    with app.app_context():
        from registry.extensions import utcnow
        from registry.organizations.models import Organization
        ended = db.session.get(Organization, other)
        ended.liquidated_at, ended.liquidated_reason = utcnow(), "Организация ликвидирована по сведениям ЕГРЮЛ"
        db.session.commit()
    home = wizard.get("/").text
    # Nothing is pre-chosen: the first other organization is not mistaken for the current one.
    assert '<select id="org-switch" name="org_id" required>' in home
    assert '<option value="" disabled selected>Сменить организацию…</option>' in home
    assert f'<option value="{other}">ООО «ЯХОНТ» (ликвидирована)</option>' in home
    page = wizard.get(f"/organizations/{other}").text
    assert current_in_header(page) == other and "(ликвидирована, только просмотр)" in page
