"""The application decided, in headless Chromium on a fresh demo instance: the head registers
ООО «РОМАШКА» and submits the application; the operator accepts it and asks for information;
the head answers with a new, re-signed application; the operator registers the organization;
the head finds the record, the signed decision and the organization on the register.
Screenshots in test-artifacts/walk-register-*.png."""

from __future__ import annotations

import re
import subprocess

from .documents.pdfs import plain_pdf
from .helpers import ROOT, VENV_BIN
from .test_walk import BENEFICIARY, HEAD, Person, chromium, fill_identity, walk_server  # noqa: F401  (fixtures)
from .test_walk_three import sign


def register_romashka(director: Person) -> str:
    """The wizard's shortest way through for the demo head; the organization's id."""
    d = director.page
    director.go("/organizations/register", "search")
    d.get_by_label("ОГРН, ОГРНИП или ИНН").fill("1027700000019")
    director.click("button", "Найти")
    director.click("button", "Зарегистрировать эту организацию")
    d.get_by_label("Телефон").fill("+74951234567")
    d.get_by_label("Категория заявителя").select_option("producer")
    director.click("button", "Далее")
    director.click("button", "Далее")
    fill_identity(d, **HEAD)
    director.click("button", "Далее")
    d.get_by_label("Адрес объекта").fill("г. Москва, ул. Тверская, д. 1, стр. 2")
    d.get_by_label("Кадастровый номер").fill("77:01:0001001:1234")
    director.click("button", "Сохранить объект")
    director.click("button", "Далее")
    d.get_by_role("link", name="Изменить").first.click()
    d.get_by_label("Виды деятельности (ОКВЭД2)").fill("47.77")
    director.click("button", "Сохранить подразделение")
    director.click("button", "Далее")
    d.get_by_label("Фамилия", exact=True).fill("Петрова")
    d.get_by_label("Имя", exact=True).fill("Мария")
    fill_identity(d, **BENEFICIARY)
    director.click("button", "Сохранить бенефициара")
    director.click("button", "Далее")
    director.click("button", "Зарегистрировать", "registered", exact=True)
    assert d.get_by_text("зарегистрирована. Вы — администратор организации").is_visible()
    return d.url.rstrip("/").rsplit("/", 1)[1]


def submit_application(director: Person, url: str, pki, tmp_path, org_id: str, number: str) -> None:
    """Upload a charter, form the application with it, sign it with the head's key, submit."""
    d = director.page
    director.go(f"/organizations/{org_id}/documents/new", f"upload-{number}")
    charter = tmp_path / f"ustav-{number}.pdf"
    charter.write_bytes(plain_pdf(f"Charter {number}"))
    d.get_by_label("Файл документа").set_input_files(str(charter))
    d.get_by_label("Вид документа").select_option("charter")
    d.get_by_label("Номер документа").fill(number)
    d.get_by_label("Дата документа").fill("01.02.2024")
    d.get_by_label("Бессрочно").check()
    director.click("button", "Загрузить")
    director.go(f"/organizations/{org_id}/applications", f"applications-{number}")
    d.get_by_label(re.compile(f"Устав № {number}")).check()
    director.click("button", re.compile("Сформировать"))
    pdf_href = d.get_by_role("link", name="Скачать PDF заявления").get_attribute("href")
    pdf = director.context.request.get(url + pdf_href).body()
    signature = tmp_path / f"application-{number}.sig"
    signature.write_bytes(sign(pki, pdf, tmp_path, f"application-{number}"))
    d.get_by_label("Подпись руководителя").set_input_files(str(signature))
    director.click("button", "Проверить и загрузить подпись")
    director.click("button", "Подать заявление", f"submitted-{number}")


def test_walk_register(walk_server, chromium, tmp_path):  # noqa: F811
    url, pki = walk_server
    director = Person(chromium, url, pki / "people" / "head-ecdsa.p12", "register-head")
    operator = Person(chromium, url, pki / "people" / "employee1-ecdsa.p12", "register-operator")
    d, o = director.page, operator.page
    try:
        org_id = register_romashka(director)
        submit_application(director, url, pki, tmp_path, org_id, "У-1")
        operator.go("/profile", "operator-first-visit")  # the account exists before it is granted
        subprocess.run([str(VENV_BIN / "registry"), "operator", "--dir", str(pki.parent), "grant",
                        "334-455-667 84"], cwd=ROOT, check=True, capture_output=True, timeout=120)

        # The operator finds it in the queue, accepts it and asks for what is missing.
        operator.go("/operator/", "console")
        operator.click("link", "Заявления на учет", "queue")
        row = o.locator("table tr", has_text="РОМАШКА")
        assert "Иванов Иван Иванович" in row.inner_text() and "подпись верна" in row.inner_text()
        row.get_by_role("link").first.click()
        o.wait_for_load_state()
        operator.check("review")
        assert o.get_by_role("heading", name="Состояние: Подано").is_visible()
        assert o.get_by_text("Сведения ЕГРЮЛ на сегодня").is_visible()
        review_url = o.url
        operator.click("button", "Принять к рассмотрению", "accepted")
        assert o.get_by_role("heading", name="Состояние: Принято к рассмотрению").is_visible()
        o.get_by_label("Каких сведений или документов не хватает").fill("Приложите выписку из ЕГРЮЛ")
        operator.click("button", "Запросить сведения", "info-requested")
        assert o.get_by_role("heading", name="Состояние: Запрошены сведения").is_visible()

        # The head is told, and answers with a new application, signed again.
        director.go("/notices/", "notices")
        assert d.get_by_text(re.compile("запрошены сведения")).first.is_visible()
        director.go(f"/organizations/{org_id}/special-record/", "asked")
        assert d.get_by_text("Приложите выписку из ЕГРЮЛ").is_visible()
        submit_application(director, url, pki, tmp_path, org_id, "У-2")

        # The operator sees the answer and registers the organization.
        o.goto(review_url)
        operator.check("answered")
        assert o.get_by_role("heading", name="Состояние: Сведения представлены").is_visible()
        assert o.get_by_text(re.compile("Заявление № 2")).first.is_visible()
        operator.click("button", "Поставить на специальный учет", "registered")
        assert o.get_by_role("heading", name="Состояние: Поставлено на специальный учет").is_visible()
        decision = o.locator("section", has_text="Решения")
        assert "подпись верна" in decision.inner_text() and "Сидорова Анна Сергеевна" in decision.inner_text()
        number = re.search(r"СУ-\d{4}-\d{6}", o.locator("main").inner_text()).group(0)

        # The head finds the record and the signed decision; anyone signed in finds the register's row.
        director.go(f"/organizations/{org_id}", "organization")
        assert d.get_by_text(re.compile(f"Специальный учет: запись № {number}")).is_visible()
        director.click("link", "Специальный учет", "record")
        assert d.get_by_text(number).first.is_visible() and d.get_by_text("Состоит на учете").is_visible()
        href = d.get_by_role("link", name=re.compile("Решение о постановке")).get_attribute("href")
        assert director.context.request.get(url + href).body().startswith(b"%PDF-")
        director.menu("Реестр", "register")
        d.get_by_label("Поиск").fill("7701000019")
        director.click("button", "Найти", "register-found")
        assert d.locator("table").get_by_text(number).is_visible()
        assert director.problems == [] and operator.problems == []
    finally:
        director.context.close()
        operator.context.close()
