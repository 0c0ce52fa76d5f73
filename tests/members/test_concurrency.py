"""Two administrators save the same member's roles at the same moment, on PostgreSQL with real
transactions: exactly one save wins, the other is told about the conflict, nothing is lost."""

from __future__ import annotations

import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from registry import create_app
from registry.core.journal import OrganizationJournalEntry
from registry.extensions import db
from registry.members.models import Membership, Role
from registry.members.services.memberships import MemberError
from registry.members.services.roles import set_roles

from ..conftest import app_config
from ..factories import make_member, make_organization, make_user
from ..helpers import fresh_postgres_database


@pytest.fixture
def pg_app(postgres_admin_url, demo_pki, tmp_path):
    with fresh_postgres_database(postgres_admin_url) as url:
        app = create_app(app_config(url, demo_pki, tmp_path))
        with app.app_context():
            upgrade()
        yield app
        with app.app_context():
            db.engine.dispose()


def test_two_simultaneous_role_saves(pg_app):
    app = pg_app
    with app.app_context():
        org = make_organization()
        admins = [make_user(), make_user()]
        for admin in admins:
            make_member(admin, org, Role.ADMIN)
        member = make_member(make_user(), org, status="pending")
        db.session.commit()
        member_id, version, admin_ids = member.id, member.version, [a.id for a in admins]

    barrier = threading.Barrier(2)
    results: dict[str, str] = {}
    wanted = {"first": {Role.APPLICATIONS}, "second": {Role.DMDK_PARTICIPANT, Role.ADMIN}}

    def save(name, admin_id):
        with app.app_context():
            try:
                m = db.session.get(Membership, member_id)
                actor = db.session.get(type(m.user), admin_id)
                barrier.wait(timeout=10)  # both cards were opened at the same version
                set_roles(m, wanted[name], actor=actor, version=version)
                db.session.commit()
                results[name] = "saved"
            except MemberError as exc:
                db.session.rollback()
                results[name] = "conflict" if exc.conflict else exc.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(n, a)) for n, a in zip(wanted, admin_ids, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results.values()) == ["conflict", "saved"], results
    winner = next(n for n, r in results.items() if r == "saved")
    with app.app_context():
        m = db.session.get(Membership, member_id)
        assert set(m.roles) == {r.value for r in wanted[winner]}  # the winner's roles, intact
        assert m.version == version + 1 and m.status == "active"
        entries = db.session.scalars(select(OrganizationJournalEntry).where(
            OrganizationJournalEntry.event == "roles")).all()
        assert len(entries) == 1  # the refused save left no trace
