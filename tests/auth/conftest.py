"""Helpers for sign-in tests: reading journals and forms' CSRF tokens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.auth.models import User, VisitJournalEntry
from registry.extensions import db


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def journal(app):
    """All journal entries so far, oldest first, as plain dicts."""
    def read():
        with app.app_context():
            rows = db.session.scalars(select(VisitJournalEntry).order_by(VisitJournalEntry.id))
            return [{c: getattr(e, c) for c in ("user_id", "event", "result", "message",
                                                  "remote_addr", "user_agent", "cert_serial",
                                                  "cert_issuer", "key_kind", "key_value")}
                    for e in rows]
    return read


@pytest.fixture
def users(app):
    def read():
        with app.app_context():
            return [(u.id, u.full_name, u.snils) for u in
                    db.session.scalars(select(User).order_by(User.id))]
    return read
