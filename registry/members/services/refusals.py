"""Refusals that say what is missing and who can grant it."""

from __future__ import annotations

from dataclasses import dataclass

from ...core import access
from ...organizations.models import Organization
from ...text import quoted
from ..models import (
    PERMISSION_TITLES,
    Membership,
    MemberStatus,
    Permission,
    Role,
    roles_granting,
)
from .memberships import administrators, membership


# -- refusals that say what is missing and who can grant it ------------------------------------
def _names(members) -> str:
    return ", ".join(m.user.full_name for m in members) or "администратор организации"


@dataclass
class MissingPermission:
    text: str
    roles: list[Role]
    may_take: bool  # an administrator who is a member may give himself one of the roles


def missing_permission(user, organization: Organization, permission: Permission) -> MissingPermission:
    """Why a right is missing in an organization: the roles that carry it, who assigns them."""
    if organization.is_liquidated:
        if permission == Permission.DOCUMENTS:  # reading them stays (READ_DOCUMENTS)
            return MissingPermission(f"{organization.liquidated_reason}. Организация доступна только для "
                                     "просмотра: документы можно просматривать и скачивать, но не "
                                     "загружать, подписывать и удалять.", [], False)
        return MissingPermission(f"{organization.liquidated_reason}. Организация доступна только для "
                                 f"просмотра: раздел «{PERMISSION_TITLES[permission]}» недоступен.", [], False)
    roles = roles_granting(permission)
    can_assign = access.can(user, Permission.ASSIGN_ROLES, organization)
    titles = " или ".join(f"«{r.title}»" for r in roles)
    if can_assign:
        grant = "Вы администратор организации и можете назначить эту роль себе."
    else:
        grant = ("Роли назначает администратор организации в разделе «Профили организации»: "
                 f"{_names(administrators(organization))}.")
    text = (f"Для раздела «{PERMISSION_TITLES[permission]}» в организации {quoted(organization.name)} "
            f"нужна роль {titles}. {grant}")
    return MissingPermission(text, list(roles), can_assign and membership(user, organization) is not None)


def inactive_refusal(organization: Organization, member: Membership) -> tuple[str, str]:
    """The title and text shown to a member who may not see the organization (yet)."""
    status = member.member_status
    if status == MemberStatus.PENDING:
        return ("Ожидает назначения ролей",
                f"Ваша заявка в организацию {quoted(organization.name)} ожидает назначения ролей. "
                "Сведения организации станут доступны, когда администратор назначит вам роли: "
                f"{_names(administrators(organization))}. Если вы действуете по машиночитаемой "
                "доверенности (МЧД), загрузите её в разделе «Доверенности (МЧД)»: доступ откроется сразу.")
    if status == MemberStatus.REMOVED:
        return ("Доступ к организации закрыт",
                f"Администратор организации {quoted(organization.name)} снял с вас все роли. Чтобы снова "
                "получить доступ, подайте заявку на странице «Присоединиться к организации» "
                "или обратитесь к администратору: "
                f"{_names(administrators(organization))}.")
    return ("Доступ заблокирован",
            "Вы заблокированы в этой организации оператором реестра"
            + (f": {member.blocked_reason}." if member.blocked_reason else ".")
            + " По вопросам блокировки обращайтесь к оператору реестра.")
