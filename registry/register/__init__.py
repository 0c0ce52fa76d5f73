"""The operator's review of submitted applications, the special-registration record and the
register of organizations on special registration."""

from __future__ import annotations

from flask import Flask


def _has_record(org_id):
    """Whether the organization has a record that is not removed (an organization fact: the
    notice below runs its statement only then)."""
    from sqlalchemy import exists

    from .models import SpecialRecord

    return exists().where(SpecialRecord.organization_id == org_id, SpecialRecord.status != SpecialRecord.REMOVED)


def _record_notices(organization) -> list[tuple[str, str]]:
    from ..core.hooks import org_fact
    from .services import active_record

    if not org_fact("register_record", organization):
        return []
    record = active_record(organization.id)
    if record is None:
        return []
    return [("info", f"Специальный учет: запись № {record.number} от {record.registered_on:%d.%m.%Y} — "
                     f"{record.status_title.lower()}.")]


def init_app(app: Flask) -> None:
    from ..core import hooks
    from ..core.access import Permission
    from ..core.web import add_menu_item
    from ..notices.kinds import register_kind
    from . import (
        demo_data,  # noqa: F401  (the demo step)
        models,  # noqa: F401  (tables)
    )
    from .services import REGISTER_STATUS, on_application_submitted
    from .views import operator_bp, org_bp, register_bp, register_public

    app.register_blueprint(operator_bp)
    app.register_blueprint(register_bp)
    app.register_blueprint(org_bp)
    if app.config.get("REGISTRY_REGISTER_PUBLIC"):
        register_public(app)
    register_kind(REGISTER_STATUS, "Решения оператора по заявлению и записи специального учета")
    hooks.on_application_submitted(app, on_application_submitted)
    hooks.add_org_fact(app, "register_record", _has_record)
    hooks.add_notice_provider(app, _record_notices)
    hooks.add_org_link(app, "Специальный учет", "special_record.organization_page", Permission.VIEW_PROFILE,
                       order=25)
    add_menu_item(app, "Реестр", "register.index", order=80)
    _watch_egrul(app)


def _watch_egrul(app: Flask) -> None:
    """Flag records when the ЕГРЮЛ watch records a new head or a liquidation: the watch's
    handler (the members domain's) runs first, then the records of what it found are flagged."""
    from ..core import hooks

    watched = app.extensions.get(hooks.EGRUL_WATCH_KEY)
    if watched is None:
        return
    column, handler = watched

    def flagging(changes: list[dict]) -> None:
        from sqlalchemy import func, select

        from ..extensions import db
        from ..organizations.models import EgrulChange
        from .services import flag_from_egrul

        before = db.session.scalar(select(func.max(EgrulChange.id))) or 0
        handler(changes)
        flag_from_egrul(list(db.session.scalars(select(EgrulChange).where(EgrulChange.id > before))))

    hooks.set_egrul_watch(app, column, flagging)
