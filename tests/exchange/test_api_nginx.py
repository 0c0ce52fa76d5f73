"""The API through the shipped nginx configuration and gunicorn, with real TLS client certificates."""

from __future__ import annotations

import http.client
import json
import ssl
from datetime import date, timedelta

import pytest

from registry.extensions import db
from registry.members.models import Membership, Role

from ..deploy.test_nginx import nginx_stack  # noqa: F401  (fixture: nginx -> gunicorn -> PostgreSQL)
from ..documents.conftest import HEAD, make_org
from ..documents.pdfs import signed_pdf
from ..factories import make_user
from .test_api import add_document, add_profile


def call(port, demo_pki, cert=None, path="/api/v1/me", method="GET", headers=None):
    ctx = ssl.create_default_context(cafile=str(demo_pki.server_cert_path.parent / "ca.crt"))
    if cert is not None:
        ctx.load_cert_chain(str(cert.cert_path), str(cert.key_path))
    conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=15)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def stack(nginx_stack, demo_pki, system_cert):  # noqa: F811
    """ООО «РОМАШКА» with an exchange profile, a member and a signed document, committed."""
    from registry.identifiers import make_inn, make_ogrn

    app = nginx_stack["app"]
    person = demo_pki.person("head", "rsa")
    data = signed_pdf(person.key_path, person.cert_path, [demo_pki.ca("rsa").cert_path])
    with app.app_context():
        org = make_org(ogrn=make_ogrn("102770000077"), inn=make_inn("770100077"), name="ООО «API»")
        other = make_org(ogrn=make_ogrn("102770000078"), inn=make_inn("770100078"), name="ООО «ДРУГАЯ»")
        head = make_user(full_name="Иванов Иван Иванович", snils=HEAD["snils"], inn=HEAD["inn"])
        db.session.add(Membership(organization_id=org.id, user_id=head.id, status="active",
                                  roles=[Role.APPLICATIONS.value]))
        add_profile(org.id, system_cert, "ERP-1")
        doc = add_document(org, data, "устав.pdf", expires_on=date.today() + timedelta(days=100))
        foreign = add_document(other, data, "чужой.pdf")
        db.session.commit()
        ids = {"org": org.id, "other": other.id, "doc": doc.id, "foreign": foreign.id}
    return {**nginx_stack, "ids": ids, "data": data}


def test_exchange_certificate_through_nginx(stack, demo_pki, system_cert):
    ids, port = stack["ids"], stack["https"]
    status, ctype, body = call(port, demo_pki, system_cert)
    assert status == 200 and ctype.startswith("application/json"), body
    me = json.loads(body)
    assert me["kind"] == "exchange_profile" and [o["id"] for o in me["organizations"]] == [ids["org"]]
    status, _ctype, body = call(port, demo_pki, system_cert, f"/api/v1/organizations/{ids['org']}/documents")
    [document] = json.loads(body)["documents"]
    assert status == 200 and document["signature"]["state"] == "valid"
    status, ctype, body = call(port, demo_pki, system_cert, document["file_url"])
    assert status == 200 and ctype == "application/pdf" and body == stack["data"]


def test_member_certificate_through_nginx(stack, demo_pki):
    status, _ctype, body = call(stack["https"], demo_pki, demo_pki.person("head", "ecdsa"),
                                f"/api/v1/organizations/{stack['ids']['org']}")
    assert status == 200 and json.loads(body)["full_name"] == "ООО «API»"


def test_foreign_data_through_nginx_is_404(stack, demo_pki, system_cert):
    ids = stack["ids"]
    for path in (f"/api/v1/organizations/{ids['other']}", f"/api/v1/organizations/{ids['other']}/documents",
                 f"/api/v1/organizations/{ids['org']}/documents/{ids['foreign']}/file"):
        status, ctype, body = call(stack["https"], demo_pki, system_cert, path)
        assert status == 404 and ctype.startswith("application/json"), path
        assert json.loads(body)["error"]["code"] == "not_found"


def test_unknown_revoked_and_missing_certificates_through_nginx_are_401(stack, demo_pki, stranger_cert):
    path = f"/api/v1/organizations/{stack['ids']['org']}"
    cases = [(None, "certificate_required"), (stranger_cert, "unknown_certificate"),
             (demo_pki.person("employee2", "ecdsa"), "revoked")]
    for cert, code in cases:
        status, ctype, body = call(stack["https"], demo_pki, cert, path)
        assert status == 401 and ctype.startswith("application/json"), code
        assert json.loads(body)["error"]["code"] == code


def test_forged_certificate_header_is_ignored_by_the_api(stack, demo_pki, system_cert):
    from urllib.parse import quote
    forged = {"X-SSL-Client-Cert": quote(system_cert.pem, safe="")}
    status, _ctype, body = call(stack["https"], demo_pki, None, "/api/v1/me", headers=forged)
    assert status == 401 and json.loads(body)["error"]["code"] == "certificate_required"


def test_openapi_through_nginx(stack, demo_pki):
    status, ctype, body = call(stack["https"], demo_pki, None, "/api/v1/openapi.json")
    assert status == 200 and json.loads(body)["openapi"].startswith("3.1")
