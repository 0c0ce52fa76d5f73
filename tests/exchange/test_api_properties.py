"""Every endpoint of the OpenAPI description, driven by schemathesis strategies (hypothesis
underneath): no answer is a server error, every status, content type and body is the one
described. Path ids are drawn at random or taken from real data (own and foreign), so both the
"found" and the "not found" branches run, for exchange profiles, a member, a stranger and a
client without a certificate."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from registry.core.web import CERT_ENVIRON_KEY
from registry.exchange.openapi import spec
from registry.web.proxy import DIRECT_TLS_KEY

from .test_api import build

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = sorted(spec()["paths"])
CLIENTS = ["exchange_profile", "branch_profile", "member", "stranger", "none"]


def with_certificate(app, pem: str | None):
    """The application as reached over TLS with this client certificate (or none)."""
    def wsgi(environ, start_response):
        environ["wsgi.url_scheme"] = "https"
        if pem is not None:
            environ[CERT_ENVIRON_KEY] = pem
            environ[DIRECT_TLS_KEY] = True
        return app(environ, start_response)
    return wsgi


def test_every_operation_is_exercised():
    assert len(OPERATIONS) == 12


# The API's answers against its description: the same on both databases (tests/exchange/test_api.py
# covers the queries on each).
@pytest.mark.one_database
@pytest.mark.parametrize("path", OPERATIONS)
def test_documented_endpoint_never_fails(app, client, org, demo_pki, system_cert, branch_cert, stranger_cert, path):
    data = build(app, org, demo_pki, system_cert, branch_cert)
    pems = {"exchange_profile": system_cert.pem, "branch_profile": branch_cert.pem,
            "member": demo_pki.person("head", "gost256").pem, "stranger": stranger_cert.pem, "none": None}
    schema = schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").json)
    apps = {name: with_certificate(app, pem) for name, pem in pems.items()}
    schema.app = apps["exchange_profile"]
    operation = schema[path]["GET"]
    real = {"org_id": [data.org_id, data.other_id], "document_id": [data.document_id, data.foreign_document_id],
            "record_id": [data.mchd_id, data.mchd_id + 1]}
    seen = set()

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(case=operation.as_strategy(), who=st.sampled_from(CLIENTS), use_real=st.booleans(), pick=st.data())
    def run(case, who, use_real, pick):
        if use_real:
            for name in case.path_parameters or {}:
                case.path_parameters[name] = pick.draw(st.sampled_from(real[name]))
        response = case.call_and_validate(checks=CHECKS, app=apps[who])
        seen.add(response.status_code)

    run()
    assert seen, "nothing was called"
    # Besides the random cases, the two answers every operation must be able to give: the
    # system's own data with real ids, and a refusal without a known certificate.
    url = "/api/v1" + path.format(org_id=data.org_id, document_id=data.document_id, record_id=data.mchd_id)
    if "/mchd" in path:  # people's authority: their administrator reads it, a system does not
        assert Client(apps["exchange_profile"]).get(url).status_code == 403, url
        assert Client(apps["member"]).get(url).status_code == 200, url
    else:
        assert Client(apps["exchange_profile"]).get(url).status_code == 200, url
    if path != "/openapi.json":
        assert Client(apps["none"]).get(url).status_code == 401, url
        assert Client(apps["stranger"]).get(url).status_code == 401, url
