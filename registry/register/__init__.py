"""The operator's review of submitted applications, the special-registration record and the
register of organizations on special registration."""

from __future__ import annotations

from flask import Flask


def _record_notices(organization) -> list[tuple[str, str]]:
    from .services import active_record

    record = active_record(organization.id)
    if record is None:
        return []
    return [("info", f"Специальный учет: запись № {record.number} от {record.registered_on:%d.%m.%Y} — "
                     f"{record.status_title.lower()}.")]


def init_app(app: Flask) -> None:
    from ..core import signals
    from ..core.access import Permission
    from ..core.web import add_menu_item, add_org_tab
    from ..notices.kinds import register_kind
    from . import (
        demo_data,  # noqa: F401  (the demo step)
        models,  # noqa: F401  (tables)
    )
    from .outcomes import application_outcomes
    from .services import REGISTER_STATUS, flag_from_egrul, on_application_submitted
    from .views import operator_bp, org_bp, register_bp, register_public

    app.register_blueprint(operator_bp)
    app.register_blueprint(register_bp)
    app.register_blueprint(org_bp)
    if app.config.get("REGISTRY_REGISTER_PUBLIC"):
        register_public(app)
    register_kind(REGISTER_STATUS, "Решения оператора по заявлению и записи специального учета")
    signals.receive(signals.application_submitted, app, on_application_submitted)
    signals.receive(signals.egrul_changes_found, app, flag_from_egrul)
    signals.receive(signals.organization_notices, app, _record_notices)
    signals.receive(signals.application_outcomes, app, application_outcomes)
    add_org_tab(app, "Специальный учет", "special_record.organization_page", Permission.VIEW_PROFILE, order=25)
    add_menu_item(app, "Реестр", "register.index", order=80)
