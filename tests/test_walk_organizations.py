"""The head of two organizations, in headless Chromium on a demo instance: the header says
which organization is current on every page, the switch in the header changes it, the pages
without an organization in the URL follow it, and a link into the other organization
switches to it visibly. Screenshots in test-artifacts/walk-two-*.png."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .helpers import ROOT, VENV_BIN, free_port, stop, wait_for_port
from .test_walk import Person, chromium  # noqa: F401  (the browser fixture)

PREPARE = """
import sys
from registry.demo import create_demo_app
from registry.extensions import db
from registry.pki.demo_pki import ORGANIZATION

app = create_demo_app(sys.argv[1])
with app.app_context():
    from tests.factories import make_person, register_organization
    head = make_person("head")
    first = register_organization(head, ogrn=ORGANIZATION["ogrn"], inn=ORGANIZATION["inn"],
                                  name="ООО «РОМАШКА»")
    second = register_organization(head, name="ООО «ЯХОНТ»")
    db.session.commit()
    print(first.id, second.id)
"""


@pytest.fixture(scope="module")
def two_organizations(tmp_path_factory, copy_demo):
    """A demo instance where the demo head already heads two registered organizations."""
    directory = copy_demo(tmp_path_factory.mktemp("walk-two") / "demo")
    registry = str(VENV_BIN / "registry")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    made = subprocess.run([sys.executable, "-c", PREPARE, str(directory)], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True, timeout=120)
    first, second = (int(n) for n in made.stdout.split()[-2:])
    port = free_port()
    log = directory / "serve.log"
    proc = subprocess.Popen([registry, "demo", "serve", "--dir", str(directory), "--port", str(port)],
                            cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc, log=log)
        yield f"https://localhost:{port}", directory / "pki", first, second
    finally:
        stop(proc)


def test_the_head_switches_between_two_organizations(two_organizations, chromium):  # noqa: F811
    url, pki, romashka, yakhont = two_organizations
    head = Person(chromium, url, pki / "people" / "head-ecdsa.p12", "two")
    page = head.page
    current = page.locator(".site-header__org-name")
    try:
        head.go("/", "home")
        assert current.inner_text() == "ООО «РОМАШКА»"  # the first by name until one is chosen
        head.menu("Моя организация", "first-profile")
        assert page.url.endswith(f"/organizations/{romashka}")
        assert current.inner_text() == "ООО «РОМАШКА»"

        # The switch in the header: the other organization, on the same section.
        head.click("link", "Журнал организации", "first-journal")
        page.get_by_label("Другая организация").select_option(label="ООО «ЯХОНТ»")
        head.click("button", "Перейти", "second-journal")
        assert page.url.endswith(f"/organizations/{yakhont}/journal")
        assert current.inner_text() == "ООО «ЯХОНТ»"
        assert page.get_by_text("Текущая организация — ООО «ЯХОНТ».").is_visible()

        # Pages without an organization in the URL stay in it.
        head.go("/", "home-second")
        assert current.inner_text() == "ООО «ЯХОНТ»"
        head.menu("Моя организация", "second-profile")
        assert page.url.endswith(f"/organizations/{yakhont}")
        head.menu("Профили организации", "second-members")
        assert page.url.endswith(f"/organizations/{yakhont}/members")
        assert current.inner_text() == "ООО «ЯХОНТ»"

        # A link into the other organization switches to it, and says so.
        head.go(f"/organizations/{romashka}", "first-by-link")
        assert current.inner_text() == "ООО «РОМАШКА»"
        assert page.get_by_text("Текущая организация — ООО «РОМАШКА»: вы открыли её страницу").is_visible()
        head.go("/", "home-first")
        assert current.inner_text() == "ООО «РОМАШКА»"
        assert head.problems == []
    finally:
        head.context.close()
