"""Documents and applications in the organization journal (person, address); upload forms
refused say the file must be chosen again."""

from __future__ import annotations

from registry.documents.models import Document
from registry.extensions import db

from .pdfs import plain_pdf
from .test_documents import upload


def test_uploads_and_deletions_go_to_the_journal(app, org, as_person):
    browser = as_person("employee1")
    r = upload(browser, org.id, plain_pdf(), "ustav.pdf")
    assert r.status_code == 302, r.text
    document_id = int(r.location.rstrip("/").rsplit("/", 1)[1])
    browser.get(r.location)
    assert browser.post(f"/organizations/{org.id}/documents/{document_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Document, document_id) is None
    head = as_person("head")
    page = head.get(f"/organizations/{org.id}/journal?event=documents").text
    assert "Загружен документ" in page and "Удален документ" in page and "ustav.pdf" in page
    assert "Сидорова Анна Сергеевна" in page and ">127.0.0.1<" in page
    assert ">documents<" not in page


def test_a_refused_upload_asks_for_the_file_again(app, org, as_person):
    browser = as_person("employee1")
    r = upload(browser, org.id, plain_pdf(), "a.pdf", number="")
    assert r.status_code == 422
    assert "Выберите файл заново" in r.text
    assert "Выберите файл заново" not in browser.get(f"/organizations/{org.id}/documents/new").text


def test_application_pdf_parts_use_the_interface_words(app):
    from datetime import datetime, timezone

    from registry.documents import pdf

    person = {"doc_type": "21", "doc_series": "45 08", "doc_number": "123456", "doc_date": "2020-06-01",
              "doc_issuer": "ГУ МВД России по г. Москве"}
    assert pdf._identity(person) == ("Паспорт гражданина Российской Федерации, № 45 08 123456, "
                                     "выдан 01.06.2020, ГУ МВД России по г. Москве")
    with app.app_context():
        from registry.core import clock
        local = clock.local(datetime(2026, 12, 1, 8, 59, tzinfo=timezone.utc))
        assert local.strftime("%H:%M") == "11:59"  # Moscow, not UTC
        data = {"organization": {"full_name": "ООО «Т»", "kind": "ul"}, "okved_names": {"32.12": "Производство"},
                "profile": {"okved": {"main": "32.12", "auxiliary_1": "46.48"},
                            "head": {"kind": "legal", "le_full_name": "АО «У»"}}}
        assert pdf.render_application(data, number=1, created_at=datetime.now(timezone.utc)).startswith(b"%PDF")


def test_application_pdf_text_reads_as_the_interface(app, tmp_path):
    """The rendered PDF itself (its text as pdftotext extracts it), not only its parts."""
    import subprocess
    from datetime import datetime, timezone

    from registry.documents import pdf

    head = {"kind": "person", "surname": "Иванов", "given": "Иван", "patronymic": "Иванович",
            "birth_date": "1980-05-04", "inn": "770123456703", "snils": "11223344595",
            "doc_type": "21", "doc_series": "45 08", "doc_number": "123456",
            "doc_date": "2020-06-01", "doc_issuer": "ГУ МВД России по г. Москве",
            "reg_address": "г. Москва, ул. Тверская, д. 1",
            "actual_address": "г. Москва, ул. Арбат, д. 2"}
    data = {"organization": {"full_name": "ООО «Т»", "kind": "ul", "ogrn": "1027700132195",
                             "inn": "7701234567"},
            "okved_names": {"32.12": "Производство ювелирных изделий",
                            "46.48": "Торговля оптовая ювелирными изделиями"},
            "profile": {"okved": {"main": "32.12", "auxiliary_1": "46.48"}, "head": head,
                        "general": {"phone": "+74951112233"}}}
    with app.app_context():
        body = pdf.render_application(data, number=7,
                                      created_at=datetime(2026, 12, 1, 21, 30, tzinfo=timezone.utc))
    path = tmp_path / "application.pdf"
    path.write_bytes(body)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    flat = " ".join(text.split())
    assert "Вспомогательные" in flat and "Вспомогательный" not in flat
    assert "46.48 — Торговля оптовая ювелирными изделиями" in flat
    assert "112-233-445 95" in flat  # СНИЛС formatted
    # The identity document with its type, date and issuer (the table cell may wrap).
    assert "Паспорт гражданина Российской Федерации, № 45 08" in flat
    assert "выдан 01.06.2020, ГУ МВД России по г. Москве" in flat
    assert "Адрес фактического" in flat and "ул. Арбат, д. 2" in flat
    assert "+7 495 111-22-33" in flat  # one phone format
    assert "№ 7 от 02.12.2026" in flat  # 21:30 UTC is already 2 December in Moscow
    assert "UTC" not in flat
