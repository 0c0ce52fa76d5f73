"""An organization registered through the wizard, and people around it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.auth.models import User
from registry.extensions import db
from registry.members.models import Membership
from registry.pki.demo import ORGANIZATION

from ..organizations.conftest import Wizard, demo_extract, refdata, register, wizard  # noqa: F401  (fixtures)


@pytest.fixture
def org(app, wizard):  # noqa: F811
    """ООО «РОМАШКА» registered by its head (the head's client is ``wizard.client``)."""
    url = register(app, wizard, ORGANIZATION["ogrn"])
    return int(url.rsplit("/", 1)[1])


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
