"""Machine-readable powers of attorney (МЧД): reading and checking them, and the authority
they give an employee in an organization."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..core import signals
    from ..core.web import add_menu_item
    from ..members.models import Role
    from . import (
        demo_data,  # noqa: F401  (the demo step)
        models,  # noqa: F401  (tables)
        services,
    )
    from .cli import mchd_cli
    from .tasks import mchd_sweep  # noqa: F401  (registers the periodic job)
    from .views import bp, menu_visible

    app.register_blueprint(bp)
    app.cli.add_command(mchd_cli)
    add_menu_item(app, "Доверенности (МЧД)", "mchd.index", order=45, visible=menu_visible)
    signals.receive(signals.acting_authority, app, services.acting_authority)
    signals.receive(signals.member_facts, app, services.member_facts)
    signals.receive(signals.organization_notices, app, services.organization_notices)
    app.add_template_global(
        lambda roles: ", ".join(sorted(Role(r).title for r in roles or [])) or "нет", "role_titles")
