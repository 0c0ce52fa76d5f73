"""The header of signed-in pages is rendered on every page (registry.web.frame): every change
of what it shows, made anywhere (another node, the command line), shows on the next page."""

from __future__ import annotations

import re
from contextlib import contextmanager

from flask import template_rendered
from sqlalchemy import select

from registry.auth.models import User
from registry.extensions import db
from registry.members.models import Membership
from registry.organizations.models import Organization
from tests.factories import make_notice
from tests.members.conftest import person_client
from tests.members.test_members import join


@contextmanager
def header_renders(app):
    """How many times the header template was rendered inside the block."""
    seen: list[str] = []

    def record(sender, template, context, **extra):
        if template.name == "_header.html":
            seen.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(record, app)


def header(html: str) -> str:
    return re.search(r'<header class="site-header">.*?</header>', html, re.S).group(0)


def menu(html: str) -> list[str]:
    return re.findall(r'<a href="[^"]*"[^>]*>([^<]+)</a>', header(html))


def change(app, statement_of_change) -> None:
    """A change made outside any page (as another node or a command would)."""
    with app.app_context():
        statement_of_change()
        db.session.commit()


def test_the_header_shows_the_state_of_every_page(app, org, wizard):
    wizard.get("/")  # signs in
    with header_renders(app) as renders:
        first = wizard.get("/").text
        again = wizard.get("/").text
        profile = wizard.get("/profile").text
    assert len(renders) == 3, "every page renders its header"
    assert header(first) == header(again)
    assert "Профили организации" in menu(first) and "Оператор реестра" not in menu(first)

    def rename():
        db.session.get(Organization, org).short_name = 'ООО "ЛЮТИК"'

    change(app, rename)
    with header_renders(app) as renders:
        page = wizard.get("/").text
    assert len(renders) == 1 and "ЛЮТИК" in header(page), "a new name shows at once"

    def no_roles():
        member = db.session.scalar(select(Membership).where(Membership.organization_id == org))
        member.roles = []

    change(app, no_roles)
    assert "Профили организации" not in menu(wizard.get("/").text), "roles are part of the state"

    def operator():
        db.session.scalar(select(User).where(User.full_name == "Иванов Иван Иванович")).is_operator = True

    change(app, operator)
    assert "Оператор реестра" in menu(wizard.get("/").text), "the account is part of the state"

    def notice():
        make_notice(db.session.scalar(select(User).where(User.full_name == "Иванов Иван Иванович")))

    change(app, notice)
    assert "непрочитанных: 1" in header(wizard.get("/").text), "the bell is part of the state"
    # the page's own entry is marked on every page
    assert re.search(r'href="/"[^>]*aria-current="page"', header(first))
    assert re.search(r'href="/profile"[^>]*aria-current="page"', header(profile))
    assert not re.search(r'href="/"[^>]*aria-current', header(profile))
    assert "\x00" not in first + profile


def test_every_person_and_session_has_their_own_header(app, demo_pki, org, wizard):
    anna = join(app, demo_pki, org)
    head_page, anna_page = wizard.get("/").text, anna.get("/").text
    assert "Иванов Иван Иванович" in header(head_page) and "Иванов" not in header(anna_page)
    assert "Сидорова Анна Сергеевна" in header(anna_page)
    # the same person in another browser: their own sign-out form (their session's CSRF token)
    second = person_client(app, demo_pki, "head")
    second.get("/")
    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', header(c.get("/").text)).group(1)
              for c in (wizard, second)]
    assert tokens[0] != tokens[1]
    assert second.post("/logout", {"csrf_token": tokens[1]}).status_code == 302
    assert "Иванов Иван Иванович" in header(wizard.get("/").text), "the first browser stays in"
