"""A newcomer's second walk in headless Chromium on a demo instance: a refused wizard step
shown again, a pending member saved without roles, signing in again after «Выход». Every page
is judged like the first walk's (tests/test_walk.py: Russian, no English, no sideways
scrolling); screenshots in test-artifacts/walk-again-*.png."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from .helpers import ROOT, VENV_BIN, free_port, stop, wait_for_port
from .test_walk import Person, chromium  # noqa: F401  (the browser fixture)

PREPARE = """
import sys
from registry.demo import create_demo_app
from registry.extensions import db

app = create_demo_app(sys.argv[1])
with app.app_context():
    from tests.factories import make_person, register_organization
    head = make_person("head")
    organization = register_organization(head, name="ООО «ЯХОНТ»")
    db.session.commit()
    print(organization.id, organization.inn)
"""


@pytest.fixture(scope="module")
def again_server(tmp_path_factory, copy_demo):
    """A demo instance where the demo head already administers ООО «ЯХОНТ» (РОМАШКА is still
    to be registered)."""
    directory = copy_demo(tmp_path_factory.mktemp("walk-again") / "demo")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    made = subprocess.run([sys.executable, "-c", PREPARE, str(directory)], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True, timeout=120)
    org_id, inn = made.stdout.split()[-2:]
    port = free_port()
    log = directory / "serve.log"
    proc = subprocess.Popen([str(VENV_BIN / "registry"), "demo", "serve", "--dir", str(directory),
                             "--port", str(port)], cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc, log=log)
        yield f"https://localhost:{port}", directory / "pki", int(org_id), inn
    finally:
        stop(proc)


def test_a_refused_okved_step_shows_its_saved_errors_again(again_server, chromium):  # noqa: F811
    url, pki, _org, _inn = again_server
    director = Person(chromium, url, pki / "people" / "head-ecdsa.p12", "again-okved")
    d = director.page
    try:
        director.go("/organizations/register", "search")
        d.get_by_label("ОГРН, ОГРНИП или ИНН").fill("1027700000019")
        director.click("button", "Найти", "found")
        director.click("button", "Зарегистрировать эту организацию", "step-general")
        d.get_by_label("Адрес электронной почты").fill("office@romashka.example")
        d.get_by_label("Телефон").fill("+74951234567")
        d.get_by_label("Категория заявителя").select_option("producer")
        director.click("button", "Далее", "step-okved")
        d.get_by_label("Вспомогательный вид деятельности (1)").fill("99.99")
        # «Далее» refused: the browser is sent back to the step (a GET), so a reload does not
        # offer to send the form again.
        with d.expect_navigation() as navigation:
            d.get_by_role("button", name="Далее").click()
        answer = navigation.value
        assert answer.request.method == "GET" and answer.request.redirected_from is not None
        assert answer.request.redirected_from.method == "POST"
        director.check("step-okved-refused")
        summary = d.locator(".error-summary")
        assert "нет в классификаторе" in summary.inner_text()

        # Opening the step again shows the errors saved with the text, nothing else.
        for how in ("reload", "stepper", "address"):
            if how == "reload":
                d.reload()
            elif how == "stepper":
                director.go("/organizations/register/general", "step-general-again")
                d.locator(".stepper").get_by_role("link", name=re.compile("Виды деятельности")).click()
                d.wait_for_load_state()
            else:
                d.goto(url + "/organizations/register/okved")
            director.check(f"step-okved-again-{how}")
            text = summary.inner_text()
            assert "нет в классификаторе" in text, how
            assert "CSRF" not in text and "token" not in text, how
            assert d.get_by_label("Вспомогательный вид деятельности (1)").input_value() == "99.99"
        d.get_by_label("Вспомогательный вид деятельности (1)").fill("95.25")
        director.click("button", "Далее", "step-head")
        assert d.url.endswith("/register/head")
        d.goto(url + "/organizations/register/okved")
        director.check("step-okved-accepted")
        assert d.locator(".error-summary").count() == 0
        assert director.problems == []
    finally:
        director.context.close()


def test_a_pending_member_saved_without_roles_is_removed_only_when_asked(again_server, chromium):  # noqa: F811
    url, pki, org_id, inn = again_server
    director = Person(chromium, url, pki / "people" / "head-ecdsa.p12", "again-roles")
    employee = Person(chromium, url, pki / "people" / "employee1-ecdsa.p12", "again-employee")
    d, e = director.page, employee.page
    try:
        employee.go("/join", "join")
        e.get_by_label("ИНН, ОГРН или ОГРНИП организации").fill(inn)
        employee.click("button", "Найти", "join-found")
        e.get_by_label("Должность").fill("Специалист по учёту")
        employee.click("button", "Присоединиться", "joined")

        director.go(f"/organizations/{org_id}/members", "members")
        row = d.get_by_role("row").filter(has_text="Сидорова")
        assert "Ожидает назначения ролей" in row.inner_text()
        row.get_by_role("link", name="Роли").click()
        director.check("card")
        director.click("button", "Сохранить", "card-no-roles")
        # Asked first: nothing is written yet, and the page says what saving would do.
        assert d.get_by_text("Ни одна роль не отмечена").is_visible()
        assert "«Удален»" in d.get_by_role("alert").filter(has_text="Ни одна роль").inner_text()
        assert d.get_by_text("Изменений нет").count() == 0
        director.click("link", "Не удалять", "card-kept")
        director.go(f"/organizations/{org_id}/journal", "journal-before")
        assert d.get_by_text("статус: Удален").count() == 0
        director.go(f"/organizations/{org_id}/members", "members-still-pending")
        row = d.get_by_role("row").filter(has_text="Сидорова")
        assert "Ожидает назначения ролей" in row.inner_text()

        # Confirmed: removed, and the page and the journal say the same.
        row.get_by_role("link", name="Роли").click()
        director.click("button", "Сохранить", "card-no-roles-again")
        director.click("button", "Удалить из организации", "removed")
        assert d.get_by_text("Сотрудник Сидорова Анна Сергеевна удалён из организации").is_visible()
        assert d.get_by_text("Изменений нет").count() == 0
        assert "Удален" in d.get_by_role("row").filter(has_text="Сидорова").inner_text()
        director.go(f"/organizations/{org_id}/journal", "journal-after")
        assert d.get_by_text("статус: Удален").first.is_visible()
        assert director.problems == [] and employee.problems == []
    finally:
        director.context.close()
        employee.context.close()


def journal_results(page) -> list[str]:
    """The «Результат» column of «Журнал посещений» (its first page)."""
    return [cell.strip() for cell in page.locator("main table tbody tr td:last-child").all_inner_texts()]


def test_after_sign_out_the_page_signs_in_again(again_server, chromium):  # noqa: F811
    url, pki, _org, _inn = again_server
    person = Person(chromium, url, pki / "people" / "head-ecdsa.p12", "again-signout")
    page = person.page
    try:
        page.goto(url + "/journal")  # (its wide table is not judged here)
        before = journal_results(page)
        person.click("button", "Выход", "signed-out")
        assert page.url.endswith("/session-ended")
        assert page.get_by_role("heading", name="Вы вышли из реестра.").is_visible()
        for path in ("/", "/profile", "/organizations/", "/login"):
            person.go(path, "signed-out-" + path.strip("/").replace("/", "-"))
            assert page.url.endswith("/session-ended"), path
            assert page.get_by_role("heading", name="Вы вышли из реестра.").is_visible(), path
        # It names the certificate, offers to sign in again and says how to choose another.
        main = page.locator("main")
        assert "Иванов Иван Иванович" in main.inner_text()
        assert page.get_by_role("heading", name="Как войти с другим сертификатом").is_visible()
        assert "закройте все окна браузера" in main.inner_text()
        assert page.get_by_role("link", name="войдите по электронной подписи").is_visible()
        kept = person.context.new_page()  # a second tab left on this page
        kept.goto(url + "/session-ended")

        person.click("button", "Войти снова", "signed-in-again")
        assert page.locator("h1").inner_text() == "Здравствуйте, Иван Иванович!"
        person.click("button", "Выход", "signed-out-twice")
        # The tab kept from before: its page is stale, yet it leads back in, not to an error.
        kept.get_by_role("button", name="Войти снова").click()
        kept.wait_for_load_state()
        assert kept.url.endswith("/session-ended")
        assert kept.get_by_text("Страница входа устарела").is_visible()
        kept.get_by_role("button", name="Войти снова").click()
        kept.wait_for_load_state()
        assert kept.locator("h1").inner_text() == "Здравствуйте, Иван Иванович!"
        kept.close()

        # Each sign-in is a session of its own, in «Журнал посещений».
        page.goto(url + "/journal")
        after = journal_results(page)
        assert after.count("Вход выполнен") == before.count("Вход выполнен") + 2, after
        assert after.count("Выход") == before.count("Выход") + 2, after
        assert person.problems == []
    finally:
        person.context.close()
