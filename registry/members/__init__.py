"""Membership of people in organizations: joining, roles and permissions, the organization journal."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..auth.views import add_sign_in_hook
    from ..organizations.views import add_org_link
    from ..web import add_menu_item
    from . import models  # noqa: F401  (tables)
    from .models import Permission
    from .services import record_sign_in
    from .services import MembershipNotActive, MissingPermission
    from .views import admin_organizations, bp, may_join, membership_not_active, missing_permission

    app.register_blueprint(bp)
    app.register_error_handler(MissingPermission, missing_permission)
    app.register_error_handler(MembershipNotActive, membership_not_active)
    add_sign_in_hook(app, record_sign_in)
    add_menu_item(app, "Профили организации", "members.my_members", order=35,
                  visible=lambda: bool(admin_organizations()))
    add_menu_item(app, "Присоединиться к организации", "members.join", order=40, visible=may_join)
    add_org_link(app, "Профили организации", "members.members", Permission.ASSIGN_ROLES, order=30)
    add_org_link(app, "Журнал организации", "members.journal", Permission.READ_JOURNAL, key="journal", order=50)
