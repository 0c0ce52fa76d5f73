"""``/api/v1/``: certificate authentication, JSON errors, scope, the OpenAPI description and a
property-based run of every documented endpoint."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.core import clock
from registry.documents.services import store, uploads
from registry.exchange.models import ExchangeCertificate, ExchangeProfile
from registry.extensions import db
from registry.pki import load_certificate

from ..documents.conftest import BRANCH_ID
from ..documents.pdfs import plain_pdf, signed_pdf


def add_profile(org_id: int, cert, code: str, branch_id=None) -> ExchangeProfile:
    parsed = load_certificate(cert.cert_path.read_bytes())
    profile = ExchangeProfile(organization_id=org_id, system_name=f"ИС {code}", system_code=code, branch_id=branch_id)
    profile.certificates.append(ExchangeCertificate(
        fingerprint=parsed.fingerprint, serial=parsed.serial, subject=parsed.subject, issuer=parsed.issuer,
        algorithm=parsed.algorithm, not_before=parsed.not_before, not_after=parsed.not_after, pem=parsed.pem))
    db.session.add(profile)
    db.session.flush()
    return profile


def add_document(org, data: bytes, name: str, **values):
    cleanup = store.FileCleanup()
    args = {"doc_type": "charter", "number": "У-1", "doc_date": date(2024, 2, 1),
            "expires_on": clock.today() + timedelta(days=365)}
    args.update(values)
    return uploads.add_document(org, user=None, stream=io.BytesIO(data), filename=name, cleanup=cleanup, **args)


@dataclass
class ApiData:
    org_id: int
    other_id: int
    document_id: int
    foreign_document_id: int
    signed: bytes
    mchd_id: int = 0


def build(app, org, demo_pki, system_cert, branch_cert) -> ApiData:
    from registry.organizations.models import Organization
    with app.app_context():
        organization, other = db.session.get(Organization, org.id), db.session.get(Organization, org.other_id)
        add_profile(org.id, system_cert, "ERP-1")
        add_profile(org.id, branch_cert, "SPB-1", BRANCH_ID)
        person = demo_pki.person("head", "ecdsa")
        signed = signed_pdf(person.key_path, person.cert_path, [demo_pki.ca("ecdsa").cert_path])
        doc = add_document(organization, signed, "устав.pdf")
        add_document(organization, plain_pdf(), "лицензия.pdf", doc_type="license", number="Л-1",
                     expires_on=clock.today() - timedelta(days=1))
        foreign = add_document(other, plain_pdf(), "чужой.pdf")
        from registry.members.models import Membership

        from ..factories import make_power_of_attorney
        member = db.session.scalars(select(Membership).where(Membership.organization_id == org.id)).first()
        mchd = make_power_of_attorney(member)
        db.session.commit()
        return ApiData(org.id, org.other_id, doc.id, foreign.id, signed, mchd.id)


@pytest.fixture
def api(app, org, demo_pki, system_cert, branch_cert) -> ApiData:
    return build(app, org, demo_pki, system_cert, branch_cert)


def get(client, path, cert=None, **kwargs):
    client.certificate = cert.pem if cert is not None else None
    return client.get(f"/api/v1{path}", **kwargs)


def test_exchange_profile_reads_the_organization(client, api, system_cert):
    r = get(client, "/me", system_cert)
    assert r.status_code == 200, r.text
    me = r.json
    assert me["kind"] == "exchange_profile" and me["system_code"] == "ERP-1"
    assert [o["id"] for o in me["organizations"]] == [api.org_id]
    assert get(client, "/organizations", system_cert).json["organizations"][0]["ogrn"]
    profile = get(client, f"/organizations/{api.org_id}", system_cert).json
    assert profile["full_name"] == "ООО «РОМАШКА»" and profile["profile"]["head"]["surname"] == "Иванов"
    assert get(client, f"/organizations/{api.org_id}/branches", system_cert).json["branches"][0]["okved"] == ["47.77"]
    listing = get(client, f"/organizations/{api.org_id}/documents", system_cert).json["documents"]
    assert {d["file"]["name"] for d in listing} == {"устав.pdf", "лицензия.pdf"}
    charter = next(d for d in listing if d["id"] == api.document_id)
    assert charter["signature"]["state"] == "valid"
    assert charter["signature"]["checks"][0]["signer"]["full_name"] == "Иванов Иван Иванович"
    expired = get(client, f"/organizations/{api.org_id}/documents?state=expired", system_cert).json["documents"]
    assert [d["number"] for d in expired] == ["Л-1"] and expired[0]["expired"] is True
    found = get(client, f"/organizations/{api.org_id}/documents?type=license", system_cert).json
    assert found["documents"][0]["number"] == "Л-1"
    one = get(client, f"/organizations/{api.org_id}/documents/{api.document_id}", system_cert)
    assert one.status_code == 200 and one.json["file"]["sha256"]
    f = get(client, f"/organizations/{api.org_id}/documents/{api.document_id}/file", system_cert)
    assert f.status_code == 200 and f.data == api.signed and f.headers["Content-Type"] == "application/pdf"


def test_branch_profile_sees_its_own_branch(client, api, branch_cert):
    assert get(client, "/me", branch_cert).json["branch_id"] == BRANCH_ID
    branches = get(client, f"/organizations/{api.org_id}/branches", branch_cert).json["branches"]
    assert [b["id"] for b in branches] == [BRANCH_ID]


def test_foreign_data_is_404(client, api, system_cert):
    for path in (f"/organizations/{api.other_id}", f"/organizations/{api.other_id}/branches",
                 f"/organizations/{api.other_id}/documents",
                 f"/organizations/{api.other_id}/documents/{api.foreign_document_id}/file",
                 f"/organizations/{api.org_id}/documents/{api.foreign_document_id}",
                 f"/organizations/{api.org_id}/documents/{api.foreign_document_id}/file",
                 "/organizations/999999", "/organizations/99999999999999999999", "/nothing"):
        r = get(client, path, system_cert)
        assert r.status_code == 404, path
        assert r.json["error"]["code"] == "not_found" and r.json["error"]["message"]


def test_unknown_revoked_and_missing_certificates_are_401(client, api, demo_pki, stranger_cert):
    r = get(client, "/me")
    assert r.status_code == 401 and r.json["error"]["code"] == "certificate_required"
    r = get(client, f"/organizations/{api.org_id}", stranger_cert)
    assert r.status_code == 401 and r.json["error"]["code"] == "unknown_certificate"
    r = get(client, f"/organizations/{api.org_id}", demo_pki.person("employee2", "ecdsa"))
    assert r.status_code == 401 and r.json["error"]["code"] == "revoked"
    assert "отозван" in r.json["error"]["message"]
    r = get(client, "/me", demo_pki.special("expired", "ecdsa"))
    assert r.status_code == 401 and r.json["error"]["code"] == "expired"
    client.certificate = "garbage"
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and r.json["error"]["code"] == "malformed"


def test_active_members_use_their_own_certificate(client, api, demo_pki):
    head = demo_pki.person("head", "gost256")
    assert get(client, "/me", head).json["kind"] == "member"
    assert get(client, f"/organizations/{api.org_id}/documents", head).status_code == 200
    # «Операции с партиями» reads the profile but not the documents
    batches = demo_pki.person("ip", "rsa")
    assert get(client, f"/organizations/{api.org_id}", batches).status_code == 200
    r = get(client, f"/organizations/{api.org_id}/documents/{api.document_id}/file", batches)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert get(client, f"/organizations/{api.other_id}", head).status_code == 404


def test_writes_and_html_are_not_part_of_the_api(client, api, system_cert):
    client.certificate = system_cert.pem
    r = client.post(f"/api/v1/organizations/{api.org_id}")
    assert r.status_code == 405 and r.json["error"]["code"] == "method_not_allowed"
    r = client.delete(f"/api/v1/organizations/{api.org_id}/documents/{api.document_id}")
    assert r.status_code == 405
    # on the web the system's certificate is only an account of its own (no СНИЛС, no
    # membership): it sees nothing of the organization whose profile lists it
    page = client.get("/profile")
    assert page.status_code == 200
    assert client.get(f"/organizations/{api.org_id}").status_code == 404
    assert "Посторонн" not in page.text


def test_openapi_description_is_valid(client):
    from openapi_spec_validator import validate

    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.json
    validate(spec)
    assert spec["servers"] == [{"url": "/api/v1"}]
    assert set(spec["paths"]) == {"/openapi.json", "/me", "/organizations", "/organizations/{org_id}",
                                  "/organizations/{org_id}/branches", "/organizations/{org_id}/documents",
                                  "/organizations/{org_id}/documents/{document_id}",
                                  "/organizations/{org_id}/documents/{document_id}/file",
                                  "/organizations/{org_id}/documents/{document_id}/signatures",
                                  "/organizations/{org_id}/mchd", "/organizations/{org_id}/mchd/{record_id}",
                                  "/register"}


def test_profile_json_is_the_documented_shape_and_errors_are_utf8(app, api, system_cert):
    client = app.test_client()
    body = get(client, f"/organizations/{api.org_id}", system_cert).json["profile"]
    assert set(body) == {"general", "okved", "head", "premises", "branches", "beneficiaries"}
    assert isinstance(body["okved"]["auxiliary"], list) and isinstance(body["okved"]["others"], list)
    assert not any(k.startswith(("le_", "fo_", "auxiliary_")) for k in body["head"] | body["okved"])
    assert all(isinstance(b["okved"], list) for b in body["branches"])
    ok = get(client, f"/organizations/{api.org_id}", system_cert)
    missing = get(client, "/organizations/999999", system_cert)
    assert missing.status_code == 404
    for response in (ok, missing):
        assert response.mimetype == "application/json" and b"\\u04" not in response.data
    assert "не найдена" in missing.data.decode("utf-8")
    unmatched = get(client, "/no-such-thing", system_cert)
    assert unmatched.status_code == 404 and "Не найдено" in unmatched.data.decode("utf-8")


def test_a_liquidated_organization_keeps_its_documents_readable(app, client, api, demo_pki):
    """As on the web: ЕГРЮЛ shows the organization ended, it is read-only, and its documents
    are still read (list, card, file) by those whose roles carry them."""
    from registry.extensions import utcnow
    from registry.organizations.models import Organization

    with app.app_context():
        organization = db.session.get(Organization, api.org_id)
        organization.liquidated_at, organization.liquidated_reason = utcnow(), "Ликвидировано по ЕГРЮЛ"
        db.session.commit()
    head = demo_pki.person("head", "gost256")
    listed = get(client, f"/organizations/{api.org_id}/documents", head)
    assert listed.status_code == 200 and api.document_id in [d["id"] for d in listed.json["documents"]]
    assert get(client, f"/organizations/{api.org_id}/documents/{api.document_id}", head).status_code == 200
    file = get(client, f"/organizations/{api.org_id}/documents/{api.document_id}/file", head)
    assert file.status_code == 200 and file.data == api.signed
    # and nobody else got anything by it
    batches = demo_pki.person("ip", "rsa")
    r = get(client, f"/organizations/{api.org_id}/documents/{api.document_id}/file", batches)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"


def test_document_signatures_in_the_command_json(client, api, system_cert):
    r = get(client, f"/organizations/{api.org_id}/documents/{api.document_id}/signatures", system_cert)
    assert r.status_code == 200, r.data
    [s] = r.json["signatures"]
    assert s["indication"] == "TOTAL_PASSED" and s["format"].startswith("PAdES-")
    assert s["signer"]["full_name"] == "Иванов Иван Иванович" and s["checks"]
    foreign = get(client, f"/organizations/{api.org_id}/documents/{api.foreign_document_id}/signatures", system_cert)
    assert foreign.status_code == 404
