"""An organization as the wizard leaves it (created directly), and people around it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.auth.models import User
from registry.extensions import db
from registry.members.models import Membership
from registry.pki.demo_pki import ORGANIZATION

from ..factories import make_okved, make_person, register_organization
from ..organizations.conftest import Wizard


@pytest.fixture
def org(app, db_session):
    """ООО «РОМАШКА» registered by its head; the classifier holds the profile's OKVED codes."""
    with app.app_context():
        for code in ("32.12", "46.48", "47.77"):
            make_okved(code)
        organization = register_organization(
            make_person("head"), ogrn=ORGANIZATION["ogrn"], inn=ORGANIZATION["inn"],
            kpp=ORGANIZATION["kpp"], name=ORGANIZATION["name"],
            full_name=ORGANIZATION["full_name"])
        db.session.commit()
        return organization.id


@pytest.fixture
def wizard(client, demo_pki):
    """The head's browser (their client certificate), as in the organizations' tests."""
    client.certificate = demo_pki.person("head", "ecdsa").pem
    return Wizard(client)


def person_client(app, demo_pki, name, alg="ecdsa"):
    client = app.test_client()
    client.certificate = demo_pki.person(name, alg).pem
    return Wizard(client)


def user_id(app, full_name):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.full_name == full_name))


def member_of(app, org_id, uid):
    with app.app_context():
        m = db.session.scalar(select(Membership).where(Membership.organization_id == org_id,
                                                       Membership.user_id == uid))
        return None if m is None else {"id": m.id, "status": m.status, "roles": m.roles,
                                       "version": m.version, "branch_id": m.branch_id}
