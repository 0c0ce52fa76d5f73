"""Indexes for every lookup the product does by ИНН, ОГРН, КПП, СНИЛС or name.

ИНН, ОГРН and СНИЛС already have unique or plain indexes on their tables; these add КПП, the
journal's keyset order, and the name searches. Names are searched for words anywhere in them
(``LIKE '%word%'``), which a B-tree cannot serve: on PostgreSQL they are trigram GIN indexes
(``pg_trgm``), on SQLite plain indexes (a single-node SQLite registry is small enough to scan).
The migration ``prod_indexes_jobs`` creates the same indexes.
"""

from __future__ import annotations

from sqlalchemy import Index

from .auth.models import User
from .core.journal import OrganizationJournalEntry
from .organizations.models import Organization
from .refdata.models import EgrulRecord


def _trigram(name: str, column) -> Index:
    return Index(name, column, postgresql_using="gin", postgresql_ops={column.key: "gin_trgm_ops"})


INDEXES = (
    Index("ix_organizations_kpp", Organization.kpp),
    Index("ix_egrul_records_kpp", EgrulRecord.kpp),
    Index("ix_organization_journal_keyset", OrganizationJournalEntry.organization_id,
          OrganizationJournalEntry.created_at, OrganizationJournalEntry.id),
    _trigram("ix_organizations_full_name_trgm", Organization.full_name),
    _trigram("ix_organizations_short_name_trgm", Organization.short_name),
    _trigram("ix_egrul_records_full_name_trgm", EgrulRecord.full_name),
    _trigram("ix_users_full_name_trgm", User.full_name),
)
