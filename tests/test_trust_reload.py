"""The running application picks up a changed trust store, and a CRL that is really past its
nextUpdate (issued by the test PKI's CA, not a mock) stops sign-ins it can no longer vouch for.

Each test has a copy of the demo PKI's trust directory of its own, read by an application
that checks the directory on every request; the demo PKI itself stays untouched.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from asn1crypto import pem

from registry import create_app
from registry.pki import TrustStore, reason_title
from registry.pki import reasons as R
from registry.pki.builder import build_crl, load_key, utcnow

from .conftest import CertClient, app_config

ALG = "ecdsa"


@pytest.fixture
def trust_copy(demo_pki, tmp_path):
    directory = tmp_path / "trust"
    shutil.copytree(demo_pki.trust_dir, directory)
    return directory


@pytest.fixture
def live_app(app, database_url, demo_pki, trust_copy, tmp_path, db_session):
    application = create_app(app_config(database_url, demo_pki, tmp_path / "instance",
                                        REGISTRY_TRUST_STORE=str(trust_copy),
                                        REGISTRY_TRUST_RELOAD_SECONDS=0))
    application.test_client_class = CertClient
    return application


def issue_ca_crl(demo_pki, trust_copy, *, this_update, next_update, revoked=()) -> None:
    """Replace the issuing CA's CRL in the copy by one signed with the CA's real key."""
    ca = demo_pki.ca(ALG)
    crl = build_crl(issuer=ca.certificate.asn1, issuer_key=load_key(ALG, ca.key_path.read_bytes()),
                    this_update=this_update, next_update=next_update,
                    revoked=[(serial, this_update) for serial in revoked],
                    number=int(utcnow().timestamp()) + 1)
    path = trust_copy / f"ca-{ALG}.crl"
    assert path.exists(), "the demo PKI names its CA's CRL differently"
    path.write_bytes(pem.armor("X509 CRL", crl.dump()))


def sign_in(live_app, demo_pki, person="employee1"):
    client = live_app.test_client()
    client.certificate = demo_pki.person(person, ALG).pem
    return client, client.get("/profile")


def test_a_new_crl_in_the_store_is_used_without_a_restart(live_app, demo_pki, trust_copy):
    client, page = sign_in(live_app, demo_pki)
    assert page.status_code == 200
    serial = demo_pki.person("employee1", ALG).certificate.asn1.serial_number
    now = utcnow()
    issue_ca_crl(demo_pki, trust_copy, this_update=now - timedelta(minutes=1),
                 next_update=now + timedelta(days=7), revoked=[serial])

    page = client.get("/profile")  # the same session: the certificate is checked again
    assert page.status_code == 403
    assert reason_title(R.REVOKED) in page.text
    _other, page = sign_in(live_app, demo_pki, "head")  # others are not affected
    assert page.status_code == 200

    issue_ca_crl(demo_pki, trust_copy, this_update=now, next_update=now + timedelta(days=7))
    assert sign_in(live_app, demo_pki)[1].status_code == 200  # and the next list is read again


def test_a_stale_crl_refuses_sign_in(live_app, demo_pki, trust_copy):
    assert sign_in(live_app, demo_pki)[1].status_code == 200
    now = utcnow()
    issue_ca_crl(demo_pki, trust_copy, this_update=now - timedelta(days=40),
                 next_update=now - timedelta(days=10))
    store = TrustStore.from_paths(trust_copy)
    stale = [c for c in store.crl_status() if not c["fresh"]]
    assert len(stale) == 1 and demo_pki.ca(ALG).certificate.common_name in stale[0]["issuer"]

    _client, page = sign_in(live_app, demo_pki)
    assert page.status_code == 403
    assert reason_title(R.REVOCATION_UNKNOWN) in page.text
    # another CA's people, whose CRL is current, still sign in
    client = live_app.test_client()
    client.certificate = demo_pki.person("employee1", "rsa").pem
    assert client.get("/profile").status_code == 200
