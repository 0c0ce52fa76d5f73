"""Every organization route × every kind of person × own and foreign organization.

What each answer must be comes from the permission map (registry.members.models): a person
who is not an active member (or the operator, who may look) gets 404 — the organization does
not exist for them; an active member without the permission gets 403; with it, the page (or
its redirect). A route that takes an organization id and is missing here fails the test, so a
new page cannot skip the check.
"""

from __future__ import annotations

import re

import pytest

from registry.extensions import db
from registry.members.models import (BASE_PERMISSIONS, OPERATOR_PERMISSIONS, ROLE_PERMISSIONS,
                                     Membership, Permission, Role)
from registry.organizations.models import Organization

from .factories import make_user, make_user_certificate

P = Permission
OPERATOR = "operator console"
# (method, path template, permission); {org} and {member} are filled per organization.
ROUTES = [
    ("GET", "/organizations/{org}", P.VIEW_PROFILE),
    ("GET", "/organizations/{org}?tab=beneficiaries", P.VIEW_PROFILE),
    ("GET", "/organizations/{org}/history", P.VIEW_PROFILE),
    ("POST", "/organizations/{org}/edit", P.EDIT_PROFILE),
    ("GET", "/organizations/{org}/edit/general", P.EDIT_PROFILE),
    ("POST", "/organizations/{org}/edit/discard", P.EDIT_PROFILE),
    ("GET", "/organizations/{org}/members", P.ASSIGN_ROLES),
    ("GET", "/organizations/{org}/members/{member}", P.ASSIGN_ROLES),
    ("POST", "/organizations/{org}/members/{member}", P.ASSIGN_ROLES),
    ("GET", "/organizations/{org}/journal", P.READ_JOURNAL),
    ("GET", "/organizations/{org}/journal?format=csv", P.READ_JOURNAL),
    # The operator's console: nobody else may know it exists. (Posted without a reason, so
    # nothing is actually blocked.)
    ("GET", "/operator/organizations/{org}", OPERATOR),
    ("POST", "/operator/organizations/{org}/block", OPERATOR),
    ("POST", "/operator/organizations/{org}/unblock", OPERATOR),
    ("POST", "/operator/organizations/{org}/members/{member}/block", OPERATOR),
    ("POST", "/operator/organizations/{org}/members/{member}/unblock", OPERATOR),
]
ACTORS = ["admin", "dmdk_participant", "batch_operations", "applications", "no_membership",
          "pending", "removed", "blocked", "operator"]


def _organization(n: int) -> Organization:
    from registry.refdata.identifiers import make_inn, make_ogrn
    ogrn, inn = make_ogrn(f"1027700{n:05d}"), make_inn(f"7799{n:05d}")
    party = {"kind": "ul", "ogrn": ogrn, "inn": inn, "kpp": "779901001", "full_name": f"ООО «ТЕСТ-{n}»"}
    org = Organization(kind="ul", ogrn=ogrn, inn=inn, kpp="779901001", full_name=party["full_name"],
                       short_name=party["full_name"], party=party,
                       data={"general": {"email": "t@example.ru"}, "branches": []})
    db.session.add(org)
    db.session.flush()
    return org


def _granted(actor: str, own: bool) -> frozenset:
    if actor == "operator":
        return OPERATOR_PERMISSIONS
    if not own or actor in ("no_membership", "pending", "removed", "blocked"):
        return frozenset()
    return BASE_PERMISSIONS | ROLE_PERMISSIONS[Role(actor)]


def expected(actor: str, own: bool, permission) -> str:
    if permission == OPERATOR:
        return "allowed" if actor == "operator" else "not found"
    granted = _granted(actor, own)
    if not granted:
        return "not found"
    return "allowed" if permission in granted else "forbidden"


def outcome(status: int) -> str:
    return {404: "not found", 403: "forbidden"}.get(status, "allowed" if status in (200, 302) else str(status))


def test_every_organization_route_is_in_the_table(app):
    covered = {path.split("?")[0].replace("{org}", "<int:org_id>").replace("{member}", "<int:member_id>")
               for _m, path, _p in ROUTES}
    org_rules = {rule.rule for rule in app.url_map.iter_rules() if "<int:org_id>" in rule.rule}
    covered |= {"/organizations/<int:org_id>/edit/<step>"}
    # The wizard's steps are one route; the matrix takes one step as their representative.
    org_rules = {r.replace("<step>", "general") for r in org_rules}
    assert org_rules <= covered, f"routes without a permission check in this test: {org_rules - covered}"


@pytest.mark.parametrize("own", [True, False], ids=["own", "foreign"])
@pytest.mark.parametrize("actor", ACTORS)
def test_route_role_matrix(app, client, demo_pki, actor, own):
    cert = demo_pki.person("employee1", "ecdsa")
    with app.app_context():
        mine, foreign = _organization(1), _organization(2)
        person = make_user(full_name="Сидорова Анна Сергеевна", snils=None, inn=None,
                           is_operator=actor == "operator")
        make_user_certificate(person, cert.certificate)
        other = make_user()
        ids = {}
        for org in (mine, foreign):
            # every organization has an administrator, whose card is the {member} of the routes
            admin = Membership(organization_id=org.id, user_id=other.id if org is foreign else make_user().id,
                               roles=[Role.ADMIN.value], status="active")
            db.session.add(admin)
            db.session.flush()
            ids[org.id] = admin.id
        if actor not in ("no_membership", "operator"):
            status = actor if actor in ("pending", "removed", "blocked") else "active"
            roles = [actor] if status == "active" else []
            db.session.add(Membership(organization_id=mine.id, user_id=person.id, roles=roles, status=status))
        db.session.commit()
        target = mine if own else foreign
        org_id, member_id = target.id, ids[target.id]

    client.certificate = cert.pem
    page = client.get("/organizations/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    problems = []
    for method, template, permission in ROUTES:
        path = template.format(org=org_id, member=member_id)
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={"csrf_token": token, "version": "-1"})
        got, want = outcome(response.status_code), expected(actor, own, permission)
        if method == "POST" and want == "allowed" and response.status_code in (409, 422):
            got = "allowed"  # passed the permission check; the form itself was refused
        if got != want:
            problems.append(f"{method} {path}: {response.status_code} ({got}), expected {want}")
    assert problems == []
