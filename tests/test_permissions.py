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
from sqlalchemy import select

from registry.extensions import db, utcnow
from registry.members.models import (
    BASE_PERMISSIONS,
    OPERATOR_PERMISSIONS,
    ROLE_PERMISSIONS,
    Membership,
    Permission,
    Role,
)
from registry.organizations.models import Organization

from .documents.pdfs import plain_pdf
from .factories import (
    make_application,
    make_decision,
    make_document,
    make_egrul_change,
    make_exchange_certificate,
    make_exchange_profile,
    make_member,
    make_organization,
    make_power_of_attorney,
    make_review,
    make_user,
    make_user_certificate,
)

P = Permission
OPERATOR = "operator console"
MCHD_CARD = "an МЧД of another member"
# Presenting an МЧД: the person's own membership, waiting for roles or active (any roles).
PRESENT = "own pending or active membership"
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
    ("POST", "/organizations/{org}/members/take-role", P.ASSIGN_ROLES),
    ("GET", "/organizations/{org}/journal", P.READ_JOURNAL),
    ("GET", "/organizations/{org}/journal?format=csv", P.READ_JOURNAL),
    # A change ЕГРЮЛ shows: members look; only the new head (by certificate) confirms.
    ("GET", "/organizations/{org}/egrul/{change}", P.VIEW_PROFILE),
    ("POST", "/organizations/{org}/egrul/{change}", P.VIEW_PROFILE),
    # The operator's console: nobody else may know it exists. (Posted without a reason, so
    # nothing is actually blocked.)
    ("GET", "/operator/organizations/{org}", OPERATOR),
    ("GET", "/operator/applications", OPERATOR),
    ("GET", "/operator/records", OPERATOR),
    ("POST", "/operator/organizations/{org}/block", OPERATOR),
    ("POST", "/operator/organizations/{org}/unblock", OPERATOR),
    ("POST", "/operator/organizations/{org}/members/{member}/block", OPERATOR),
    ("POST", "/operator/organizations/{org}/members/{member}/unblock", OPERATOR),
    # Documents, applications, exchange profiles ({document} is attached to {application}, so
    # deleting it is refused with 409; the deletions that succeed come last).
    ("GET", "/organizations/{org}/documents", P.READ_DOCUMENTS),
    ("GET", "/organizations/{org}/documents/new", P.DOCUMENTS),
    ("POST", "/organizations/{org}/documents/new", P.DOCUMENTS),
    ("GET", "/organizations/{org}/documents/{document}", P.READ_DOCUMENTS),
    ("GET", "/organizations/{org}/documents/{document}/file", P.READ_DOCUMENTS),
    ("GET", "/organizations/{org}/documents/{document}/signature-file", P.READ_DOCUMENTS),
    ("GET", "/organizations/{org}/documents/{document}/signature-report.json", P.READ_DOCUMENTS),
    ("POST", "/organizations/{org}/documents/{document}/signature", P.DOCUMENTS),
    ("POST", "/organizations/{org}/documents/{document}/verify", P.DOCUMENTS),
    ("POST", "/organizations/{org}/documents/{document}/delete", P.DOCUMENTS),
    ("GET", "/organizations/{org}/applications", P.APPLICATIONS),
    ("POST", "/organizations/{org}/applications", P.APPLICATIONS),
    ("GET", "/organizations/{org}/applications/{application}", P.APPLICATIONS),
    ("GET", "/organizations/{org}/applications/{application}/pdf", P.APPLICATIONS),
    ("GET", "/organizations/{org}/applications/{application}/signature", P.APPLICATIONS),
    ("POST", "/organizations/{org}/applications/{application}/sign", P.APPLICATIONS),
    ("POST", "/organizations/{org}/applications/{application}/submit", P.APPLICATIONS),
    ("GET", "/organizations/{org}/exchange", P.MANAGE_EXCHANGE),
    ("POST", "/organizations/{org}/exchange", P.MANAGE_EXCHANGE),
    ("GET", "/organizations/{org}/exchange/{profile}", P.MANAGE_EXCHANGE),
    ("POST", "/organizations/{org}/exchange/{profile}/certificates", P.MANAGE_EXCHANGE),
    ("POST", "/organizations/{org}/exchange/{profile}/edit", P.MANAGE_EXCHANGE),
    ("POST", "/organizations/{org}/exchange/{profile}/certificates/{certificate}/delete", P.MANAGE_EXCHANGE),
    # The JSON API with the person's own certificate.
    ("GET", "/api/v1/organizations/{org}", P.VIEW_PROFILE),
    ("GET", "/api/v1/organizations/{org}/branches", P.VIEW_PROFILE),
    ("GET", "/api/v1/organizations/{org}/documents", P.DOCUMENTS),
    ("GET", "/api/v1/organizations/{org}/documents/{document}", P.DOCUMENTS),
    ("GET", "/api/v1/organizations/{org}/documents/{document}/file", P.DOCUMENTS),
    ("GET", "/api/v1/organizations/{org}/documents/{document}/signatures", P.DOCUMENTS),
    # МЧД: every member reads their own, an administrator everyone's (the {mchd} is the admin's).
    ("GET", "/api/v1/organizations/{org}/mchd", P.VIEW_PROFILE),
    ("GET", "/api/v1/organizations/{org}/mchd/{mchd}", MCHD_CARD),
    # The special record and the operator's decisions, the organization's to download.
    ("GET", "/organizations/{org}/special-record/", P.VIEW_PROFILE),
    ("GET", "/organizations/{org}/special-record/decisions/{decision}.pdf", P.VIEW_PROFILE),
    ("POST", "/organizations/{org}/exchange/{profile}/delete", P.MANAGE_EXCHANGE),
    ("POST", "/organizations/{org}/applications/{application}/delete", P.APPLICATIONS),
    # An employee presents an МЧД for the organization they joined (posted without files: 422).
    ("POST", "/mchd/organizations/{org}/upload", PRESENT),
    ("POST", "/mchd/organizations/{org}/lookup", PRESENT),
]
PLACEHOLDERS = {"{org}": "<int:org_id>", "{member}": "<int:member_id>", "{document}": "<int:document_id>",
                "{application}": "<int:application_id>", "{profile}": "<int:profile_id>",
                "{certificate}": "<int:certificate_id>", "{change}": "<int:change_id>",
                "{mchd}": "<int:record_id>", "{decision}.pdf": "<int:decision_id>.<any(pdf, sig):kind>"}
ACTORS = ["admin", "dmdk_participant", "batch_operations", "applications", "no_membership",
          "pending", "removed", "blocked", "operator"]


def _documents_of(org: Organization) -> dict:
    """A document (with a signature file) attached to a signed application, and an exchange
    profile with one certificate: the objects the documents' and exchange routes act on."""
    document = make_document(org, signature=plain_pdf(), expires_on=utcnow().date())
    application = make_application(org, [document], number=1)
    application.signature_key, application.signature_kind = make_document(org).file_key, "cms"
    profile = make_exchange_profile(org, system_name="ИС", system_code=f"IS-{org.id}")
    certificate = make_exchange_certificate(profile, fingerprint=f"{org.id:064x}")
    change = make_egrul_change(org)
    admin = db.session.scalars(select(Membership).where(Membership.organization_id == org.id)).first()
    mchd = make_power_of_attorney(admin)
    review = make_review(application)
    decision = make_decision(review)
    db.session.flush()
    return {"document": document.id, "application": application.id, "profile": profile.id,
            "certificate": certificate.id, "change": change.id, "mchd": mchd.id, "decision": decision.id,
            "review": review.id}


def _granted(actor: str, own: bool) -> frozenset:
    if actor == "operator":
        return OPERATOR_PERMISSIONS
    if not own or actor in ("no_membership", "pending", "removed", "blocked"):
        return frozenset()
    return BASE_PERMISSIONS | ROLE_PERMISSIONS[Role(actor)]


def expected(actor: str, own: bool, permission) -> str:
    if permission == OPERATOR:
        return "allowed" if actor == "operator" else "not found"
    if permission == MCHD_CARD:  # another member's МЧД: their administrator's to read
        granted = _granted(actor, own)
        if granted and P.ASSIGN_ROLES not in granted:
            return "not found"
        permission = P.ASSIGN_ROLES
    if permission == PRESENT:
        joined = actor not in ("no_membership", "removed", "blocked", "operator")
        return "allowed" if own and joined else "not found"
    granted = _granted(actor, own)
    if not granted:
        # A member who may not see the organization yet is told why (not «not found»).
        return "forbidden" if own and actor in ("pending", "removed", "blocked") else "not found"
    return "allowed" if permission in granted else "forbidden"


def outcome(status: int) -> str:
    return {404: "not found", 403: "forbidden"}.get(status, "allowed" if status in (200, 302) else str(status))


def test_every_organization_route_is_in_the_table(app):
    covered = set()
    for _m, path, _p in ROUTES:
        path = path.split("?")[0]
        for placeholder, rule in PLACEHOLDERS.items():
            path = path.replace(placeholder, rule)
        covered.add(path)
    org_rules = {rule.rule for rule in app.url_map.iter_rules() if "<int:org_id>" in rule.rule}
    covered |= {"/organizations/<int:org_id>/edit/<step>"}
    # The wizard's steps are one route; the matrix takes one step as their representative.
    org_rules = {r.replace("<step>", "general").replace("<fmt>", "json") for r in org_rules}
    assert org_rules <= covered, f"routes without a permission check in this test: {org_rules - covered}"


def _world(app, demo_pki, actor: str) -> tuple[int, int, dict]:
    """The person (``employee1``) as ``actor`` in their own organization, and a foreign one;
    every organization has an administrator (the {member} of the routes) and objects."""
    with app.app_context():
        mine, foreign = make_organization(), make_organization()
        person = make_user(full_name="Сидорова Анна Сергеевна", snils=None, inn=None,
                           is_operator=actor == "operator")
        make_user_certificate(person, demo_pki.person("employee1", "ecdsa").certificate)
        ids = {}
        for org in (mine, foreign):
            admin = make_member(make_user(), org, Role.ADMIN)
            ids[org.id] = {"member": admin.id, **_documents_of(org)}
        if actor not in ("no_membership", "operator"):
            status = actor if actor in ("pending", "removed", "blocked") else "active"
            make_member(person, mine, *([actor] if status == "active" else []), status=status)
        db.session.commit()
        return mine.id, foreign.id, ids


def _answers(client, demo_pki, org_id: int, placeholders: dict, routes) -> list:
    client.certificate = demo_pki.person("employee1", "ecdsa").pem
    page = client.get("/profile")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    for method, template, permission in routes:
        path = template.format(org=org_id, **placeholders)
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={"csrf_token": token, "version": "-1"})
        yield method, path, permission, response


@pytest.mark.parametrize("own", [True, False], ids=["own", "foreign"])
@pytest.mark.parametrize("actor", ACTORS)
def test_route_role_matrix(app, client, demo_pki, actor, own):
    mine, foreign, ids = _world(app, demo_pki, actor)
    org_id = mine if own else foreign
    problems = []
    for method, path, permission, response in _answers(client, demo_pki, org_id, ids[org_id], ROUTES):
        got, want = outcome(response.status_code), expected(actor, own, permission)
        if path.startswith("/api/") and want == "forbidden" and not _granted(actor, own):
            want = "not found"  # the API tells a system nothing about memberships
        if method == "POST" and want == "allowed" and (response.status_code in (409, 422) or (
                response.status_code == 400 and path.endswith("/take-role"))):
            got = "allowed"  # passed the permission check; the form itself was refused
        if got != want:
            problems.append(f"{method} {path}: {response.status_code} ({got}), expected {want}")
    assert problems == []


OBJECT_ROUTES = [route for route in ROUTES if "{" in route[1].replace("{org}", "")]


@pytest.mark.parametrize("actor", ACTORS)
def test_own_organization_with_a_foreign_objects_id(app, client, demo_pki, actor):
    """An object of another organization is not found under one's own organization's URL,
    whatever the person may do there (a page that loads objects by id alone fails here)."""
    mine, foreign, ids = _world(app, demo_pki, actor)
    problems = []
    for method, path, permission, response in _answers(client, demo_pki, mine, ids[foreign],
                                                       OBJECT_ROUTES):
        want = expected(actor, True, permission)
        want = "not found" if want == "allowed" else want
        if path.startswith("/api/") and want == "forbidden" and not _granted(actor, True):
            want = "not found"  # the API tells a system nothing about memberships
        if outcome(response.status_code) != want:
            problems.append(f"{method} {path}: {response.status_code}, expected {want}")
    assert problems == []
    with app.app_context():  # and nothing of the foreign organization was touched
        from registry.documents.models import Application, Document
        from registry.exchange.models import ExchangeCertificate, ExchangeProfile
        for model, key in ((Membership, "member"), (Document, "document"),
                           (Application, "application"), (ExchangeProfile, "profile"),
                           (ExchangeCertificate, "certificate")):
            assert db.session.get(model, ids[foreign][key]) is not None, key
        assert db.session.get(Membership, ids[foreign]["member"]).status == "active"


def test_ids_beyond_the_column_range_are_not_found(app, client, demo_pki):
    client.certificate = demo_pki.person("employee1", "ecdsa").pem
    huge = 99999999999999999999
    for path in (f"/organizations/{huge}", f"/organizations/{huge}/members", f"/organizations/1/members/{huge}",
                 f"/organizations/{huge}/journal", f"/organizations/{huge}/documents"):
        assert client.get(path).status_code == 404, path
