"""Producing notices. Every domain calls :func:`notify`; it never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from .models import Notice


def notify(user: Any, kind: str, key: str, subject: str, body: str, *, url: str | None = None,
           organization: Any = None) -> Notice | None:
    """Record a notice for ``user`` once per (kind, key); None when it was already recorded."""
    existing = db.session.scalar(select(Notice.id).where(
        Notice.user_id == user.id, Notice.kind == kind, Notice.key == key))
    if existing is not None:
        return None
    notice = Notice(user_id=user.id, kind=kind, key=key, subject=subject, body=body, url=url,
                    organization_id=organization.id if organization is not None else None)
    db.session.add(notice)
    db.session.flush()
    return notice
