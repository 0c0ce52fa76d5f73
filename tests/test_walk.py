"""The walk of a director, an employee and a compliance officer in headless Chromium, on a
fresh demo instance: every page in Russian, no horizontal scrolling at 390 px, the header and
the wizard's steps on at most two rows at 1366 px. Screenshots at both widths are kept in
test-artifacts/walk-*.png."""

from __future__ import annotations

import re
import subprocess

import pytest

from .browser import CHROMIUM, CHROMIUM_ARGS, P12_PASSWORD
from .documents.pdfs import plain_pdf
from .helpers import ARTIFACTS, ROOT, VENV_BIN, free_port, stop, wait_for_port

WIDTHS = {"wide": (1366, 900), "narrow": (390, 844)}
ENGLISH = re.compile(r"\b(Forbidden|Not Found|Bad Request|Internal Server Error|permission|"
                     r"digitalSignature|clientAuth|revoked|expired|exchange|pending|active|draft|"
                     r"submitted|None|null|True|False|UTC|СвПодразд|СведДолжнФЛ)\b")
# A message in English (a library's own, say): three Latin words in a row, as in a sentence
# (not a list of format names such as «PNG, JPEG, TIFF»).
LATIN_SENTENCE = re.compile(r"\b[A-Za-z]*[a-z][A-Za-z]*(?: [A-Za-z]*[a-z][A-Za-z]*){2,}\b")


@pytest.fixture(scope="module")
def walk_server(tmp_path_factory, copy_demo):
    """A demo instance of its own (the walk registers РОМАШКА from the start)."""
    directory = copy_demo(tmp_path_factory.mktemp("walk-demo") / "demo")
    registry = str(VENV_BIN / "registry")
    port = free_port()
    log = directory / "serve.log"
    proc = subprocess.Popen([registry, "demo", "serve", "--dir", str(directory), "--port", str(port)],
                            cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc, log=log)
        yield f"https://localhost:{port}", directory / "pki"
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def chromium():
    ARTIFACTS.mkdir(exist_ok=True)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


HEAD = {"birth": "15.05.1975", "series": "4508", "number": "123456",
        "address": "г. Москва, ул. Ленина, д. 1, кв. 2"}
BENEFICIARY = {"birth": "02.03.1980", "series": "4510", "number": "654321",
               "address": "г. Москва, ул. Мира, д. 5"}


def fill_identity(page, *, birth: str, series: str, number: str, address: str) -> None:
    """The identity fields every person of the wizard has (the head, a beneficiary): a passport
    of the Russian Federation, one address for registration and residence."""
    page.get_by_label("Дата рождения").fill(birth)
    page.get_by_label("Документ, удостоверяющий личность").select_option("21")
    page.get_by_label("Серия", exact=True).fill(series)
    page.get_by_label("Номер", exact=True).fill(number)
    page.get_by_label("Адрес регистрации").fill(address)
    page.get_by_label("Адрес фактического проживания").fill(address)


class Person:
    """One person's browser (a profile with their certificate) and a check of every page."""

    def __init__(self, browser, url, p12, name):
        self.url, self.name = url, name
        self.context = browser.new_context(
            ignore_https_errors=True, locale="ru-RU", viewport={"width": 1366, "height": 900},
            client_certificates=[{"origin": url, "pfxPath": str(p12), "passphrase": P12_PASSWORD}])
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.problems: list[str] = []
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.shots = 0

    def check(self, label: str) -> None:
        """Judge the page as a user would, at both widths, and keep the screenshots."""
        page = self.page
        self.shots += 1
        html = page.content()
        assert 'lang="ru"' in html, label
        text = page.locator("main").inner_text()
        found = ENGLISH.findall(text) + LATIN_SENTENCE.findall(text)
        assert not found, f"{label}: English or internal words {found}"
        for width_name, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(ARTIFACTS / f"walk-{self.name}-{self.shots:02d}-{label}-{width}.png"),
                            full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{label} at {width}px scrolls sideways by {overflow}px"
            if width_name == "wide":
                rows = page.evaluate("""() => {
                    // scrolled pages too: from the document's top
                    const row = e => Math.round((e.getBoundingClientRect().top + window.scrollY) / 12);
                    const tops = s => new Set([...document.querySelectorAll(s)].map(row)).size;
                    return {menu: tops('.menu li'), steps: tops('.stepper__item')};
                }""")
                assert rows["menu"] <= 1, f"{label}: the menu wraps into {rows['menu']} rows at 1366px"
                assert rows["steps"] <= 2, f"{label}: the steps wrap into {rows['steps']} rows at 1366px"
        page.set_viewport_size({"width": 1366, "height": 900})

    def go(self, path: str, label: str) -> None:
        self.page.goto(self.url + path)
        self.check(label)

    def click(self, role: str, name: str, label: str | None = None, **kwargs) -> None:
        self.page.get_by_role(role, name=name, **kwargs).first.click()
        self.page.wait_for_load_state()
        if label:
            self.check(label)

    def menu(self, name: str, label: str) -> None:
        self.page.get_by_role("navigation", name="Главное меню").get_by_role("link", name=name).click()
        self.page.wait_for_load_state()
        self.check(label)


def test_director_employee_and_compliance_officer(walk_server, chromium, tmp_path):
    url, pki = walk_server
    director = Person(chromium, url, pki / "people" / "head-ecdsa.p12", "director")
    employee = Person(chromium, url, pki / "people" / "employee1-ecdsa.p12", "employee")
    try:
        # The director: «Моя организация» offers registration; the search shows what was found.
        d = director.page
        director.go("/", "home")
        director.menu("Моя организация", "my-organization-empty")
        director.click("link", "Зарегистрировать организацию", "search")
        d.get_by_label("ОГРН, ОГРНИП или ИНН").fill("1027700000019")
        director.click("button", "Найти", "found")
        director.click("button", "Зарегистрировать эту организацию", "step-general")
        d.get_by_label("Адрес электронной почты").fill("office@romashka.example")
        d.get_by_label("Телефон").fill("+74951234567")
        d.get_by_label("Категория заявителя").select_option("producer")
        director.click("button", "Далее", "step-okved")
        d.get_by_label("Вспомогательный вид деятельности (1)").fill("46.48, 47.77, 95.25")
        director.click("button", "Далее", "step-okved-error")
        assert d.locator(".error-summary").is_visible()
        d.get_by_label("Вспомогательный вид деятельности (1)").fill("95.25")
        director.click("button", "Далее", "step-head")
        fill_identity(d, **HEAD)
        director.click("button", "Далее", "step-premises")
        director.click("button", "Далее", "step-branches")
        director.click("button", "Далее", "step-branches-refused")  # the branch has no ОКВЭД yet
        assert d.locator(".error-summary").get_by_text("Укажите хотя бы один код ОКВЭД2").is_visible()
        d.locator(".error-summary").get_by_role("link", name="Запись 1").click()
        d.get_by_label("Виды деятельности (ОКВЭД2)").fill("47.77")
        director.click("button", "Сохранить подразделение")
        director.click("button", "Далее", "step-beneficiaries")
        director.click("button", "Далее", "step-review")
        director.click("button", "Зарегистрировать", "registered", exact=True)
        assert d.get_by_text("зарегистрирована. Вы — администратор организации").is_visible()
        org_url = d.url
        # The head holds «Администратор организации» (the guide) and «Работа с заявлениями»: the
        # documents and the application open at once.
        director.click("link", re.compile("Документы организации"), "documents")
        assert d.get_by_role("heading", name="Документы организации").is_visible()

        # The employee joins and waits; the director gives roles.
        e = employee.page
        employee.go("/", "employee-home")
        employee.menu("Присоединиться", "join")
        e.get_by_label("ИНН, ОГРН или ОГРНИП организации").fill("7701000019")
        employee.click("button", "Найти", "join-found")
        e.get_by_label("Должность").fill("Специалист по учёту")
        employee.click("button", "Присоединиться", "joined")
        employee.menu("Моя организация", "waiting")
        employee.page.goto(org_url)
        employee.check("organization-pending")
        assert e.get_by_text("ожидает назначения ролей").first.is_visible()

        director.menu("Профили организации", "members")
        d.get_by_role("row").filter(has_text="Сидорова").get_by_role("link", name="Роли").click()
        director.check("card")
        d.get_by_label("Работа с заявлениями").check()
        director.click("button", "Сохранить", "roles-saved")
        assert d.get_by_text("Роли сотрудника Сидоровой Анны Сергеевны сохранены").is_visible()

        # The compliance officer uploads a document and forms the application.
        employee.menu("Моя организация", "officer-organization")
        employee.click("link", "Документы организации", "officer-documents")
        employee.click("link", "Загрузить документ", "upload")
        pdf = tmp_path / "ustav.pdf"
        pdf.write_bytes(plain_pdf())
        e.get_by_label("Файл документа").set_input_files(str(pdf))
        employee.click("button", "Загрузить", "upload-refused")  # type, number, dates missing
        assert e.get_by_text("Выберите файл заново").first.is_visible()
        e.get_by_label("Файл документа").set_input_files(str(pdf))
        e.get_by_label("Вид документа").select_option(index=1)
        e.get_by_label("Номер документа").fill("У-1")
        e.get_by_label("Дата документа").fill("01.02.2024")
        e.get_by_label("Действует до").fill("01.02.2030")
        employee.click("button", "Загрузить", "document")
        employee.click("link", "Заявления", "applications")
        e.get_by_role("checkbox").first.check()
        employee.click("button", re.compile("Сформировать"), "application")
        assert e.locator(".application-status .stepper__item--current").inner_text().endswith("Черновик")

        director.page.goto(org_url)
        director.click("link", "Журнал организации", "journal")
        assert d.get_by_text("Загружен документ").first.is_visible()
        director.click("link", "Профиль организации", "profile")
        director.click("link", "Профили информационного обмена", "exchange")
        assert director.problems == [] and employee.problems == []
    finally:
        director.context.close()
        employee.context.close()
