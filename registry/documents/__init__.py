"""Organization documents: uploads, storage, signature verification, the application."""

from __future__ import annotations

from datetime import datetime

from flask import Flask


def filesize(n: int | None) -> str:
    if n is None:
        return "—"
    for unit, size in (("МБ", 1024 * 1024), ("КБ", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".", ",")
    return f"{n} Б"


def init_app(app: Flask) -> None:
    from ..core import signals
    from ..core.access import Permission
    from ..core.web import add_org_tab
    from ..core.web import local_datetime as _local_datetime
    from . import models  # noqa: F401  (tables)
    from .services.expiry import expiry_notices
    from .signature_cli import signature_cli
    from .tasks import files_cli  # also registers the documents' jobs
    from .views import applications_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(applications_bp)
    app.cli.add_command(files_cli)
    app.cli.add_command(signature_cli)
    app.add_template_filter(filesize, "filesize")

    def iso_local_dt(value) -> str:
        if not value:
            return "—"
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return value
        return _local_datetime(value)

    app.add_template_filter(iso_local_dt, "iso_local_dt")
    from .signatures import summary as signature_summary

    app.add_template_filter(signature_summary, "signature_summary")

    def org_can(permission: str, organization) -> bool:
        from ..core.access import can
        from ..core.web import current_person
        return can(current_person(), Permission(permission), organization)

    app.add_template_global(org_can, "org_can")
    signals.receive(signals.organization_notices, app, expiry_notices)
    add_org_tab(app, "Документы организации", "documents.index", Permission.READ_DOCUMENTS, order=10)
    add_org_tab(app, "Заявления", "applications.index", Permission.APPLICATIONS, key="applications", order=20)
