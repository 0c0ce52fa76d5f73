"""What the organization's pages show that is not a rule of the domain: the wizard step's
template, the profile's tabs, the notices on top and the words for a step's outcome."""

from __future__ import annotations

from ..core import signals
from .models import Organization
from .services.wizard import LIST_SECTIONS, StepOutcome


def step_template(step: str) -> str:
    return f"organizations/step_{step if step not in LIST_SECTIONS else 'list'}.html"


def blocked_notice(organization: Organization) -> str | None:
    if not organization.is_blocked:
        return None
    return (f"Организация заблокирована оператором реестра: {organization.blocked_reason}. "
            "Действия в ней недоступны; по вопросам обращайтесь к оператору.")


def notices(organization: Organization) -> list[tuple[str, str]]:
    """What the organization's pages say on top: a block by the operator, then every domain's."""
    blocked = blocked_notice(organization)
    ended = ([("error", f"{organization.liquidated_reason}. Организация доступна только для просмотра.")]
             if organization.is_liquidated else [])
    domains = signals.collect(signals.organization_notices, organization=organization)
    return ([("error", blocked)] if blocked else []) + ended + domains


PROFILE_TABS = [("general", "Общие сведения"), ("okved", "Виды деятельности"), ("head", "Руководитель"),
                ("premises", "Объекты недвижимости"), ("branches", "ТОП"),
                ("beneficiaries", "Бенефициары"), ("history", "История изменений")]


def profile_tab(tab: str | None) -> str:
    """The profile tab asked for, or the first one (history is a page of its own)."""
    return tab if tab in dict(PROFILE_TABS) and tab != "history" else "general"


def step_warning(outcome: StepOutcome) -> str | None:
    """What to tell the person about a form step's outcome, if anything."""
    if outcome.kept_with_errors:
        return ("Данные шага сохранены как черновик; в них есть ошибки — исправьте их, "
                "прежде чем регистрировать организацию.")
    return None
