"""Walk 3 in headless Chromium, on a fresh demo instance: what a director, an employee and a
compliance officer tripped over — hidden fields, the registering head's first documents and
application, open-ended documents, the journal for the compliance officer, «Доверенности (МЧД)»,
signature verdicts, error summaries, dates, CSV, the phone-sized header, sign-in by signature
when it is off. Screenshots in test-artifacts/walk-*.png."""

from __future__ import annotations

import re
import subprocess

from .documents.pdfs import plain_pdf
from .helpers import ROOT, VENV_BIN
from .test_walk import BENEFICIARY, HEAD, Person, chromium, fill_identity, walk_server  # noqa: F401  (fixtures)

MENU = "Главное меню"


def summary_items(page) -> list[str]:
    return [t.strip() for t in page.locator(".error-summary li").all_inner_texts()]


def sign(pki, content: bytes, tmp_path, name: str) -> bytes:
    """A detached CMS signature of ``content`` by the demo head's ECDSA key (as openssl makes it)."""
    source, out = tmp_path / f"{name}.bin", tmp_path / f"{name}.sig"
    source.write_bytes(content)
    people = pki / "people"
    subprocess.run(["openssl", "cms", "-sign", "-binary", "-in", str(source), "-signer",
                    str(people / "head-ecdsa.crt"), "-inkey", str(people / "head-ecdsa.key"),
                    "-outform", "DER", "-out", str(out)], check=True, capture_output=True, timeout=60)
    return out.read_bytes()


def layout_at_phone_width(page) -> dict:
    page.set_viewport_size({"width": 390, "height": 844})
    found = page.evaluate("""() => {
        const top = s => { const e = document.querySelector(s);
                           return e ? Math.round(e.getBoundingClientRect().top + window.scrollY) : null; };
        const header = document.querySelector('.site-header').getBoundingClientRect().height;
        const row = document.querySelector('.menu ul');
        const style = getComputedStyle(row);
        return {header: Math.round(header), form: top('main form.form'),
                field: top('main form.form input:not([type=hidden])'),
                menu_scrolls: row.scrollWidth > row.clientWidth, menu_overflow: style.overflowX,
                menu_edge: style.backgroundImage};
    }""")
    page.set_viewport_size({"width": 1366, "height": 900})
    return found


def test_walk_three(walk_server, chromium, tmp_path):  # noqa: F811
    url, pki = walk_server
    director = Person(chromium, url, pki / "people" / "head-ecdsa.p12", "three-director")
    employee = Person(chromium, url, pki / "people" / "employee1-ecdsa.p12", "three-employee")
    d, e = director.page, employee.page
    try:
        # 15. Sign-in by signature is off in the demo: the page says only that, and what to use.
        director.go("/login/signature", "signature-off")
        assert d.get_by_text("Вход по подписи на этом сайте не настроен.").is_visible()
        assert d.get_by_text("Войдите по сертификату при соединении").first.is_visible()
        assert d.locator("#plugin-missing").count() == 0 and "установите" not in d.locator("main").inner_text()

        director.go("/organizations/register", "search")
        assert not d.get_by_role("navigation", name=MENU).get_by_role(
            "link", name="Доверенности (МЧД)").count()  # no organization yet: nothing to present
        d.get_by_label("ОГРН, ОГРНИП или ИНН").fill("1027700000019")
        director.click("button", "Найти")
        director.click("button", "Зарегистрировать эту организацию", "general")

        # 16. The organization's e-mail starts as the certificate's.
        assert d.get_by_label("Адрес электронной почты").input_value() == "head@example.ru"
        # 14. At 390 px the header is compact and its menu scrolls in one row with a visible edge.
        layout = layout_at_phone_width(d)
        assert layout["header"] <= 130, layout
        assert layout["menu_scrolls"] and layout["menu_overflow"] == "auto", layout
        assert "gradient" in layout["menu_edge"], layout

        # 1 and 10. A bad phone, fax and postal index: the summary names each field once.
        d.get_by_label("Телефон").fill("12")
        d.get_by_label("Факс").fill("34")
        d.get_by_label("Категория заявителя").select_option("producer")
        d.get_by_label("Совпадает с юридическим").uncheck()
        d.get_by_label("Почтовый индекс").fill("12")
        director.click("button", "Далее", "general-errors")
        items = summary_items(d)
        assert items[:3] == ["Телефон: Укажите 10–15 цифр, например +7 495 123-45-67",
                             "Факс: Укажите 10–15 цифр, например +7 495 123-45-67",
                             "Почтовый индекс: Укажите 6 цифр, например 125009"], items
        # The postal address is the legal one again: the hidden index is not judged.
        d.get_by_label("Совпадает с юридическим").check()
        assert not d.get_by_label("Почтовый индекс").is_visible()
        d.get_by_label("Телефон").fill("+74951234567")
        d.get_by_label("Факс").fill("")
        director.click("button", "Далее", "okved")
        assert d.url.endswith("/register/okved"), summary_items(d)
        # 14. ... and a step's form starts on the first screen (the steps in one scrolling row).
        layout = layout_at_phone_width(d)
        assert layout["form"] is not None and layout["form"] <= 560, layout  # was 700
        # 17. The demo loaded the classifier: the ЕГРЮЛ codes are accepted.
        assert d.get_by_label("Основной вид деятельности").input_value() == "32.12"
        assert not d.get_by_text("Классификатор ОКВЭД2 не загружен").count()
        director.click("button", "Далее", "head")
        assert d.url.endswith("/register/head"), summary_items(d)

        # 11 and 10. A day that does not exist is told so; the summary follows the page.
        d.get_by_label("Дата рождения").fill("31.02.1975")
        director.click("button", "Далее", "head-errors")
        items = summary_items(d)
        assert items[0] == "Дата рождения: Даты 31.02.1975 не существует: проверьте день и месяц", items
        assert [i.split(":")[0] for i in items] == [
            "Дата рождения", "Документ, удостоверяющий личность", "Номер", "Адрес регистрации",
            "Адрес фактического проживания"], items
        fill_identity(d, **HEAD)
        director.click("button", "Далее", "premises")

        # 10. «Кадастровый номер» once.
        d.get_by_label("Адрес объекта").fill("г. Москва, ул. Тверская, д. 1, стр. 2")
        d.get_by_label("Кадастровый номер").fill("77-01")
        director.click("button", "Сохранить объект", "premises-error")
        assert summary_items(d) == ["Кадастровый номер: Укажите номер вида 77:01:0001001:1234"]
        d.get_by_label("Кадастровый номер").fill("77:01:0001001:1234")
        director.click("button", "Сохранить объект")
        director.click("button", "Далее", "branches")
        d.get_by_role("link", name="Изменить").first.click()
        d.get_by_label("Виды деятельности (ОКВЭД2)").fill("47.77")
        director.click("button", "Сохранить подразделение")
        director.click("button", "Далее", "beneficiaries")

        # 13. «Действующий» with a date «действительны до» contradict each other.
        d.get_by_label("Фамилия", exact=True).fill("Петрова")
        d.get_by_label("Имя", exact=True).fill("Мария")
        fill_identity(d, **BENEFICIARY)
        assert d.get_by_label("Действующий").is_checked()
        d.get_by_label("Сведения действительны до").fill("01.01.2020")
        director.click("button", "Сохранить бенефициара", "beneficiary-refused")
        assert d.locator(".error-summary").get_by_text("только если бенефициар не действующий").is_visible()
        d.get_by_label("Сведения действительны до").fill("")
        director.click("button", "Сохранить бенефициара")
        assert d.get_by_text("Петрова Мария").first.is_visible()
        director.click("button", "Далее", "review")
        director.click("button", "Зарегистрировать", "registered", exact=True)
        assert d.get_by_text("зарегистрирована. Вы — администратор организации").is_visible()
        org_url = d.url
        org_id = org_url.rstrip("/").rsplit("/", 1)[1]

        # 5. «Доверенности (МЧД)» in the administrator's menu.
        assert d.get_by_role("navigation", name=MENU).get_by_role("link", name="Доверенности (МЧД)").is_visible()
        # 14. The organization's section tabs scroll at 390 px with a visible edge.
        d.set_viewport_size({"width": 390, "height": 844})
        tabs = d.evaluate("""() => { const ul = document.querySelector('.tabs ul'); const s = getComputedStyle(ul);
            return {scrolls: ul.scrollWidth > ul.clientWidth, overflow: s.overflowX, edge: s.backgroundImage}; }""")
        d.set_viewport_size({"width": 1366, "height": 900})
        assert tabs["scrolls"] and tabs["overflow"] == "auto" and "gradient" in tabs["edge"], tabs

        # 2. The head who registered opens the documents at once.
        director.click("link", re.compile("Документы организации"), "documents")
        assert d.get_by_role("heading", name="Документы организации").is_visible()
        assert not d.get_by_text("Недостаточно прав").count()

        # 3. A charter is «Бессрочно»: the date field hides, the document shows it so.
        director.click("link", "Загрузить документ", "upload")
        # 16. «учет», as the guide writes it.
        options = d.locator("#doc_type option").all_inner_texts()
        assert "Уведомление о постановке на специальный учет" in options
        assert not [o for o in options if "учёт" in o], options
        charter = tmp_path / "ustav.pdf"
        charter.write_bytes(plain_pdf("Charter"))
        d.get_by_label("Файл документа").set_input_files(str(charter))
        d.get_by_label("Вид документа").select_option("charter")
        d.get_by_label("Номер документа").fill("У-1")
        d.get_by_label("Дата документа").fill("01.02.2024")
        d.get_by_label("Бессрочно").check()
        assert not d.get_by_label("Действует до").is_visible()
        director.click("button", "Загрузить", "charter")
        assert d.locator(".details").get_by_text("Бессрочно").is_visible()
        charter_url = d.url

        # A licence cannot be open-ended.
        director.go(f"/organizations/{org_id}/documents/new", "upload-licence")
        d.get_by_label("Файл документа").set_input_files(str(charter))
        d.get_by_label("Вид документа").select_option("license")
        d.get_by_label("Номер документа").fill("Л-1")
        d.get_by_label("Дата документа").fill("01.02.2024")
        d.get_by_label("Бессрочно").check()
        director.click("button", "Загрузить", "licence-refused")
        assert d.get_by_text("Документ этого вида имеет срок действия").first.is_visible()

        # 6. An unsigned PDF (its cross-reference offset is off, as some writers leave it) with
        # a valid detached signature: the signature is valid and the PDF just unsigned.
        loose = re.sub(rb"startxref\s+\d+", b"startxref\n5", plain_pdf("Licence"))
        licence, licence_sig = tmp_path / "licence.pdf", tmp_path / "licence.pdf.sig"
        licence.write_bytes(loose)
        licence_sig.write_bytes(sign(pki, loose, tmp_path, "licence"))
        director.go(f"/organizations/{org_id}/documents/new", "upload-signed")
        d.get_by_label("Файл документа").set_input_files(str(licence))
        d.get_by_label("Открепленная подпись").set_input_files(str(licence_sig))
        d.get_by_label("Вид документа").select_option("license")
        d.get_by_label("Номер документа").fill("Л-2")
        d.get_by_label("Дата документа").fill("01.02.2024")
        d.get_by_label("Действует до").fill("01.02.2030")
        director.click("button", "Загрузить", "licence-signed")
        signatures = d.locator(".signature")
        assert signatures.count() == 1 and "подпись верна" in signatures.inner_text()
        assert "не прошла проверку" not in d.locator("main").inner_text()
        assert "Error" not in d.locator("main").inner_text()

        # 7. The signature of another file says so.
        other = tmp_path / "other.pdf"
        other.write_bytes(plain_pdf("Other"))
        director.go(f"/organizations/{org_id}/documents/new", "upload-other")
        d.get_by_label("Файл документа").set_input_files(str(other))
        d.get_by_label("Открепленная подпись").set_input_files(str(licence_sig))
        d.get_by_label("Вид документа").select_option("other")
        d.get_by_label("Номер документа").fill("И-1")
        d.get_by_label("Дата документа").fill("01.02.2024")
        d.get_by_label("Действует до").fill("01.02.2030")
        director.click("button", "Загрузить", "other-signature")
        assert d.get_by_text("Подпись сделана не для этого файла").is_visible()
        assert "изменён после подписания" not in d.locator("main").inner_text()
        # 16. «удален», as the guide writes it.
        director.click("button", "Удалить документ", "other-deleted")
        assert d.get_by_text(re.compile(r"Документ «Иной документ № И-1 от 01\.02\.2024» удален\.")).is_visible()

        # 3. The list says «Бессрочно» too; the application lists the charter so.
        director.go(f"/organizations/{org_id}/documents", "documents-list")
        assert d.locator("table.documents").get_by_text("Бессрочно").is_visible()
        director.click("link", "Заявления", "applications")
        assert d.get_by_text(re.compile("Устав № У-1 от 01.02.2024 · бессрочно")).is_visible()
        d.get_by_label(re.compile("Устав № У-1")).check()
        director.click("button", re.compile("Сформировать"), "application")
        application_url = d.url

        # 8. Signed and submitted, the application keeps the charter: no «Удалить документ».
        pdf_href = d.get_by_role("link", name="Скачать PDF заявления").get_attribute("href")
        pdf = director.context.request.get(url + pdf_href).body()
        signature = tmp_path / "application.sig"
        signature.write_bytes(sign(pki, pdf, tmp_path, "application"))
        d.get_by_label("Подпись руководителя").set_input_files(str(signature))
        director.click("button", "Проверить и загрузить подпись", "application-signed")
        director.click("button", "Подать заявление", "application-submitted")
        assert d.locator(".application-status .stepper__item--current").inner_text().endswith("Подано")
        d.goto(charter_url)
        director.check("charter-held")
        assert not d.get_by_role("button", name="Удалить документ").count()
        held = re.compile(r"приложен к заявлению «Заявление № 1 от .*» \(подано\) и не может быть "
                          r"удален\. Документы подписанного или поданного заявления хранятся")
        assert d.get_by_text(held).is_visible()
        assert "Удалите черновик" not in d.locator("main").inner_text()
        assert application_url

        # 9. The API: a missing organization is a 404 to a member as to anyone.
        response = d.goto(url + "/api/v1/organizations/999999")
        assert response.status == 404 and '"not_found"' in response.text()

        # 16. The registration's journal row has the address it came from.
        director.go(f"/organizations/{org_id}/journal", "journal")
        row = d.get_by_role("row").filter(has_text="Регистрация организации")
        assert "127.0.0.1" in row.inner_text()
        # 12. CSV: one charset; a filter date that does not exist is refused, not ignored.
        csv = director.context.request.get(f"{url}/organizations/{org_id}/journal?format=csv")
        assert csv.status == 200 and csv.headers["content-type"] == "text/csv; charset=utf-8"
        director.go(f"/organizations/{org_id}/journal?date_from=31.02.2024&format=csv", "journal-csv-refused")
        assert d.get_by_text("Выгрузка не сформирована: исправьте даты фильтра.").is_visible()
        assert d.get_by_text("Даты 31.02.2024 не существует").first.is_visible()

        # The employee: «Доверенности (МЧД)» is linked from the join page and the profile; the
        # button says what it does.
        employee.go("/join", "join")
        assert e.locator("main").get_by_role("link", name="«Доверенности (МЧД)»").is_visible()
        e.get_by_label("ИНН, ОГРН или ОГРНИП организации").fill("7701000019")
        employee.click("button", "Найти", "join-found")
        e.get_by_label("Должность").fill("Специалист по учету")
        employee.click("button", "Присоединиться", "joined")
        assert e.get_by_role("navigation", name=MENU).get_by_role("link", name="Доверенности (МЧД)").is_visible()
        employee.menu("Мой профиль", "profile")
        assert e.locator("main").get_by_role("link", name="Доверенности (МЧД)").is_visible()
        # 16. An МЧД whose signature fails says why, at the failed step.
        employee.menu("Доверенности (МЧД)", "mchd")
        [mchd_xml] = (pki.parent / "mchd").glob("*.xml")  # the demo's, with another file's signature
        e.get_by_label("Файл доверенности (XML или архив ZIP)").set_input_files(str(mchd_xml))
        e.get_by_label("Файл подписи (.sig)").set_input_files(str(licence_sig))
        employee.click("button", "Проверить и загрузить", "mchd-refused")
        failed = e.locator(".mchd-checks__item--bad")
        assert failed.count() >= 1
        text = failed.first.inner_text()
        assert "не пройдена" in text and len(text.split(".", 1)[1].strip()) > 10, text

        # 4. With «Работа с заявлениями» the compliance officer reads the journal and its CSV.
        director.menu("Профили организации", "members")
        d.get_by_role("row").filter(has_text="Сидорова").get_by_role("link", name="Роли").click()
        assert d.get_by_text("журнал организации").first.is_visible()  # the role says so
        d.get_by_label("Работа с заявлениями").check()
        director.click("button", "Сохранить", "roles-saved")
        employee.go(f"/organizations/{org_id}", "officer-organization")
        employee.click("link", "Журнал организации", "officer-journal")
        assert e.get_by_role("heading", name="Журнал организации").is_visible()
        csv = employee.context.request.get(f"{url}/organizations/{org_id}/journal?format=csv")
        assert csv.status == 200 and "Регистрация организации" in csv.text()

        # 9. Made a registry operator too, she still gets 404 for a missing organization (the
        # operator's console right outside any organization is no answer about one).
        subprocess.run([str(VENV_BIN / "registry"), "operator", "--dir", str(pki.parent), "grant",
                        "334-455-667 84"], cwd=ROOT, check=True, capture_output=True, timeout=120)
        response = e.goto(url + "/api/v1/organizations/999999")
        assert response.status == 404 and '"not_found"' in response.text()
        assert e.goto(url + f"/api/v1/organizations/{org_id}").status == 200
        assert director.problems == [] and employee.problems == []
    finally:
        director.context.close()
        employee.context.close()
