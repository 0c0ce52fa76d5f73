"""Queries the operator console's trust page needs beyond the trust store itself."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..extensions import db, utcnow
from .validation import GRACE_JOURNAL_PREFIX


def recent_grace_sign_ins(days: int = 7, limit: int = 20) -> list:
    """Sign-ins accepted on a stale CRL within the grace period, newest first."""
    from ..auth.models import VisitJournalEntry

    since = utcnow() - timedelta(days=days)
    return list(
        db.session.scalars(
            select(VisitJournalEntry)
            .where(
                VisitJournalEntry.event == VisitJournalEntry.EVENT_SIGN_IN,
                VisitJournalEntry.created_at >= since,
                VisitJournalEntry.message.startswith(GRACE_JOURNAL_PREFIX),
            )
            .order_by(VisitJournalEntry.created_at.desc(), VisitJournalEntry.id.desc())
            .limit(limit)
        )
    )
