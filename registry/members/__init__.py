"""Membership of people in organizations: joining, roles and permissions, the organization journal."""

from __future__ import annotations

from flask import Flask, g, has_request_context, request


def init_app(app: Flask) -> None:
    from ..core import access, signals
    from ..core.web import add_menu_item, add_org_tab
    from . import models  # noqa: F401  (tables)
    from .models import Permission
    from .services.journal import record_sign_in
    from .services.memberships import POLICY, make_admin
    from .views import admin_organizations, bp, may_join, refusal

    app.register_blueprint(bp)
    from ..organizations.models import Organization
    from ..refdata.egrul import watch_registered
    from . import egrul

    watch_registered(app, Organization.__table__.c.ogrn, egrul.on_import)
    signals.receive(signals.organization_notices, app, egrul.notices)
    app.add_template_global(egrul.open_changes, "egrul_open_changes")
    from . import current

    app.before_request(current.follow_url)
    app.add_template_global(current.current_for_page, "current_organizations")
    app.add_template_global(lambda: egrul.to_confirm(g.get("certificate")), "egrul_to_confirm")
    access.set_policy(app, POLICY)
    access.set_answer(app, refusal)
    signals.receive(signals.signed_in, app, record_sign_in)
    # the head who registers an organization becomes its administrator (and may apply)
    signals.receive(signals.organization_registered, app, lambda organization, user: make_admin(
        user, organization, remote_addr=request.remote_addr if has_request_context() else None))
    add_menu_item(app, "Моя организация", "members.my_organization", order=30)
    add_menu_item(app, "Профили организации", "members.my_members", order=35,
                  visible=lambda: bool(admin_organizations()))
    add_menu_item(app, "Присоединиться", "members.join", order=40, visible=may_join)
    add_org_tab(app, "Профили организации", "members.members", Permission.ASSIGN_ROLES, order=30)
    add_org_tab(app, "Журнал организации", "members.journal", Permission.READ_JOURNAL, key="journal", order=50)
