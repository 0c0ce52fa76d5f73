"""The kinds of notices a person can receive, with the Russian names shown in «Мой профиль».

A domain that produces a new kind registers it with :func:`register_kind` (an unknown kind is
still kept and mailed; it is only missing from the e-mail preferences).
"""

from __future__ import annotations

CERT_EXPIRY = "cert_expiry"
DOCUMENT_EXPIRY = "document_expiry"
MCHD_EXPIRY = "mchd_expiry"
MEMBER_WAITING = "member_waiting"
ROLES_CHANGED = "roles_changed"
APPLICATION_STATUS = "application_status"
EGRUL_CHANGE = "egrul_change"
TRUST_PROBLEM = "trust_problem"

KINDS: dict[str, str] = {
    CERT_EXPIRY: "Истекает срок действия моего сертификата",
    DOCUMENT_EXPIRY: "Истекает срок действия документа организации",
    MCHD_EXPIRY: "Истекает или отозвана машиночитаемая доверенность",
    MEMBER_WAITING: "Сотрудник ожидает назначения ролей",
    ROLES_CHANGED: "Мне назначены или сняты роли",
    APPLICATION_STATUS: "Изменился статус заявления",
    EGRUL_CHANGE: "Изменились сведения ЕГРЮЛ (руководитель, ликвидация, реорганизация)",
    TRUST_PROBLEM: "Проблемы списков отзыва и списка удостоверяющих центров (для оператора)",
}


def register_kind(kind: str, title: str) -> str:
    """Add a kind (``title``: its Russian name in the preferences); returns ``kind``."""
    KINDS.setdefault(kind, title)
    return kind


OPERATOR_KINDS = {TRUST_PROBLEM}


def for_person(user) -> dict[str, str]:
    """The kinds offered to ``user`` in the preferences (operators' kinds to operators only)."""
    operator = bool(getattr(user, "is_operator", False))
    return {k: v for k, v in KINDS.items() if operator or k not in OPERATOR_KINDS}


def title(kind: str) -> str:
    return KINDS.get(kind, "Уведомление реестра")
