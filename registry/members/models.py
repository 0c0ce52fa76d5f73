"""Roles and permissions as data, and a person's membership in an organization."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..core.access import Permission
from ..extensions import UTCDateTime, db, utcnow
from ..organizations.models import Organization


class Role(str, enum.Enum):
    """Organization roles (ДМДК guide, table 1)."""

    ADMIN = "admin"
    DMDK_PARTICIPANT = "dmdk_participant"
    BATCH_OPERATIONS = "batch_operations"
    APPLICATIONS = "applications"

    @property
    def title(self) -> str:
        return ROLE_TITLES[self]


ROLE_TITLES = {
    Role.ADMIN: "Администратор организации",
    Role.DMDK_PARTICIPANT: "Участник ДМДК",
    Role.BATCH_OPERATIONS: "Операции с партиями",
    Role.APPLICATIONS: "Работа с заявлениями",
}


# Every active member may view the profile (spec §1); the rest comes from roles.
BASE_PERMISSIONS = frozenset({Permission.VIEW_PROFILE})
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset({Permission.ASSIGN_ROLES, Permission.EDIT_PROFILE, Permission.MANAGE_EXCHANGE,
                           Permission.READ_JOURNAL}),
    Role.DMDK_PARTICIPANT: frozenset({Permission.APPLICATIONS, Permission.DIRECTORY, Permission.DOCUMENTS,
                                      Permission.READ_DOCUMENTS, Permission.READ_JOURNAL}),
    Role.BATCH_OPERATIONS: frozenset({Permission.BATCHES}),
    Role.APPLICATIONS: frozenset({Permission.APPLICATIONS, Permission.DOCUMENTS, Permission.READ_DOCUMENTS,
                                  Permission.READ_JOURNAL}),
}


# What each permission lets a person do, in the words of the guide (table 1).
PERMISSION_TITLES: dict[Permission, str] = {
    Permission.ASSIGN_ROLES: "назначение ролей сотрудникам",
    Permission.VIEW_PROFILE: "просмотр профиля организации",
    Permission.EDIT_PROFILE: "редактирование профиля организации",
    Permission.MANAGE_EXCHANGE: "профили информационного обмена",
    Permission.APPLICATIONS: "работа с заявлениями и уведомлениями",
    Permission.DIRECTORY: "справочник организаций",
    Permission.DOCUMENTS: "документы организации",
    Permission.READ_DOCUMENTS: "документы организации",
    Permission.BATCHES: "работа с партиями, спецификациями, контрактами и квитанциями",
    Permission.READ_JOURNAL: "журнал организации",
}

# Rights that come with another one and are not named on their own (reading the documents
# comes with «документы организации»).
IMPLIED = frozenset({Permission.READ_DOCUMENTS})

# The role card's description of each role (guide, table 1).
ROLE_DESCRIPTIONS: dict[Role, list[str]] = {
    role: [title for p, title in PERMISSION_TITLES.items() if p in perms and p not in IMPLIED]
    for role, perms in ROLE_PERMISSIONS.items()
}


def roles_granting(permission: Permission) -> list[Role]:
    """The roles that carry ``permission``, in the guide's order."""
    return [role for role in Role if permission in ROLE_PERMISSIONS[role]]


# The registry operator looks at any organization but acts in none (spec §1).
OPERATOR_PERMISSIONS = frozenset({Permission.VIEW_PROFILE, Permission.READ_JOURNAL})
# ... and outside any organization, the operator's console.
OPERATOR_CONSOLE_PERMISSIONS = frozenset({Permission.OPERATOR_CONSOLE})

__all__ = ["Permission", "Role", "ROLE_TITLES", "BASE_PERMISSIONS", "ROLE_PERMISSIONS",
           "OPERATOR_PERMISSIONS", "OPERATOR_CONSOLE_PERMISSIONS", "MemberStatus", "Membership"]


class MemberStatus(str, enum.Enum):
    PENDING = "pending"
    ACTIVE = "active"
    REMOVED = "removed"
    BLOCKED = "blocked"

    @property
    def title(self) -> str:
        return {"pending": "Ожидает назначения ролей", "active": "Активный", "removed": "Удален",
                "blocked": "Заблокирован"}[self.value]


class Membership(db.Model):
    """A person in an organization: status and roles. ``version`` guards concurrent edits."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=MemberStatus.PENDING.value)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    # The ТОП (branch) the person works in: the id of an item of the profile's "branches".
    branch_id: Mapped[str | None] = mapped_column(String(20))
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    user: Mapped[User] = relationship()
    organization: Mapped[Organization] = relationship()

    @property
    def role_set(self) -> set[Role]:
        return {Role(r) for r in self.roles or []}

    @property
    def member_status(self) -> MemberStatus:
        return MemberStatus(self.status)
