"""«Документы организации» through the web: upload, signatures, hostile uploads, access, expiry."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.core import clock
from registry.documents.models import Document
from registry.extensions import db

from .conftest import cms_sign, store_files
from .pdfs import plain_pdf, signed_pdf

TODAY = clock.today()


def fields(**overrides) -> dict:
    values = {"doc_type": "charter", "number": "У-1", "doc_date": "01.02.2024",
              "expires_on": (TODAY + timedelta(days=365)).strftime("%d.%m.%Y")}
    values.update(overrides)
    return values


def upload(browser, org_id, data: bytes, name: str, signature: tuple[bytes, str] | None = None, **overrides):
    form = {**fields(**overrides), "file": (io.BytesIO(data), name)}
    if signature is not None:
        form["signature"] = (io.BytesIO(signature[0]), signature[1])
    return browser.post(f"/organizations/{org_id}/documents/new", form)


def documents_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Document))


@pytest.mark.parametrize("alg", ["ecdsa", "rsa"])
def test_signed_pdf_shows_signer_time_and_validity(app, org, as_person, demo_pki, alg):
    browser = as_person("employee1")
    person = demo_pki.person("head", alg)
    data = signed_pdf(person.key_path, person.cert_path, [demo_pki.ca(alg).cert_path])
    r = upload(browser, org.id, data, "устав.pdf")
    assert r.status_code == 302, r.text
    page = browser.get(r.location).text
    assert "Устав № У-1 от 01.02.2024" in page
    assert "подпись верна" in page and "Подпись верна, сертификат подписанта действителен." in page
    assert "Иванов Иван Иванович" in page and "112-233-445" in page  # СНИЛС, formatted
    assert "ООО «РОМАШКА»" in page and "не нарушена" in page
    assert "Время подписания" in page


@pytest.mark.parametrize("alg", ["ecdsa", "rsa"])
def test_tampered_signed_pdf_is_reported(app, org, as_person, demo_pki, alg):
    browser = as_person("employee1")
    person = demo_pki.person("head", alg)
    data = signed_pdf(person.key_path, person.cert_path, [demo_pki.ca(alg).cert_path], text="Amount 100")
    at = data.index(b"Amount 100")
    r = upload(browser, org.id, data[:at] + b"Amount 900" + data[at + 10:], "договор.pdf")
    assert r.status_code == 302
    page = browser.get(r.location).text
    assert "Документ изменён после подписания" in page and "не прошла проверку" in page


@pytest.mark.parametrize("alg", ["rsa", "ecdsa", "gost256"])
def test_detached_signature_uploaded_alongside(app, org, as_person, demo_pki, tmp_path, alg):
    browser = as_person("employee1")
    content = plain_pdf("Charter")
    signature = cms_sign(demo_pki, tmp_path, "head", alg, content)
    r = upload(browser, org.id, content, "устав.pdf", signature=(signature, "устав.pdf.sig"))
    assert r.status_code == 302, r.text
    page = browser.get(r.location).text
    assert "Открепленная подпись CMS" in page and "Подпись верна" in page
    assert "Иванов Иван Иванович" in page and "устав.pdf.sig" in page
    with app.app_context():
        document = db.session.scalars(select(Document).order_by(Document.id.desc())).first()
        [check] = document.checks
        assert check["valid"] and check["signer"]["snils"] and check["signing_time"]
    # the signature file downloads as it was uploaded
    download = browser.get(f"{r.location}/signature-file")
    assert download.status_code == 200 and download.data == signature


@pytest.mark.parametrize("alg", ["rsa", "ecdsa", "gost256"])
def test_detached_signature_of_other_bytes_fails_with_the_reason(app, org, as_person, demo_pki, tmp_path, alg):
    browser = as_person("employee1")
    content = plain_pdf("Charter")
    signature = cms_sign(demo_pki, tmp_path, "head", alg, content)
    tampered = content.replace(b"Charter", b"Chartex")
    r = upload(browser, org.id, tampered, "устав.pdf", signature=(signature, "устав.sig"))
    assert r.status_code == 302
    page = browser.get(r.location).text
    assert "Подпись сделана не для этого файла" in page and "изменён" not in page


def test_signature_added_later_and_revoked_signer(app, org, as_person, demo_pki, tmp_path):
    browser = as_person("employee1")
    content = plain_pdf("Lease")
    r = upload(browser, org.id, content, "аренда.pdf", doc_type="lease")
    url = r.location
    assert "Документ не подписан" in browser.get(url).text or "В PDF нет электронных подписей" in browser.get(url).text
    revoked = cms_sign(demo_pki, tmp_path, "employee2", "ecdsa", content)
    r = browser.post(f"{url}/signature", {"signature": (io.BytesIO(revoked), "аренда.p7s")})
    assert r.status_code == 302
    page = browser.get(url).text
    assert "Сертификат отозван" in page or "отозван" in page
    assert "Кузнецов Олег Викторович" in page
    # a file that is not a signature is refused as one
    r = browser.post(f"{url}/signature", {"signature": (io.BytesIO(plain_pdf()), "fake.sig")})
    assert r.status_code == 422 and "внутри PDF" in r.text


def test_required_fields_and_dates(app, org, as_person):
    browser = as_person("employee1")
    before = documents_count(app)
    r = browser.post(f"/organizations/{org.id}/documents/new",
                     {"doc_type": "", "number": "", "doc_date": "31.02.2024", "expires_on": ""})
    assert r.status_code == 422
    assert r.text.count("Обязательное поле") >= 2 and "Выберите файл документа" in r.text
    assert "Даты 31.02.2024 не существует: проверьте день и месяц" in r.text  # not «Обязательное поле»
    r = browser.post(f"/organizations/{org.id}/documents/new",
                     {"doc_type": "", "number": "", "doc_date": "2024/02/01", "expires_on": ""})
    assert "Укажите дату в формате ДД.ММ.ГГГГ" in r.text
    r = upload(browser, org.id, plain_pdf(), "a.pdf", doc_date="01.02.2024", expires_on="01.01.2024")
    assert r.status_code == 422 and "раньше даты документа" in r.text
    assert documents_count(app) == before


def test_oversize_upload_is_refused_with_the_limit(app, org, as_person, monkeypatch):
    browser = as_person("employee1")
    monkeypatch.setitem(app.config, "REGISTRY_UPLOAD_MAX_MB", 1)
    before, files = documents_count(app), store_files(app)
    r = upload(browser, org.id, b"%PDF-1.7\n" + b"x" * (1024 * 1024 + 10), "big.pdf")
    assert r.status_code == 422 and "Файл больше допустимых 1 МБ" in r.text
    # far beyond the limit, the request itself is refused before it is read
    r = upload(browser, org.id, b"%PDF-1.7\n" + b"x" * (4 * 1024 * 1024), "huge.pdf")
    assert r.status_code == 413 and "Файл больше допустимых 1 МБ" in r.text
    assert documents_count(app) == before and store_files(app) == files


@pytest.mark.parametrize("name,data,message", [
    ("отчёт.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "внутри изображение PNG"),
    ("invoice.pdf", b"MZ\x90\x00 executable" * 10, "не похоже"),
    ("run.exe", plain_pdf(), "не принимаются"),
    ("empty.pdf", b"", "пустой"),
    ("page.xml", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "не похоже"),
])
def test_hostile_uploads_are_refused_and_leave_nothing(app, org, as_person, name, data, message):
    browser = as_person("employee1")
    before, files = documents_count(app), store_files(app)
    r = upload(browser, org.id, data, name)
    assert r.status_code == 422 and message in r.text
    assert documents_count(app) == before and store_files(app) == files


def test_traversal_name_is_stored_safely(app, org, as_person):
    browser = as_person("employee1")
    r = upload(browser, org.id, plain_pdf(), "../../../etc/passwd.pdf")
    assert r.status_code == 302
    download = browser.get(f"{r.location}/file")
    assert download.status_code == 200 and download.data == plain_pdf()
    assert "passwd.pdf" in download.headers["Content-Disposition"]
    assert "/" not in download.headers["Content-Disposition"].split("filename", 1)[1]
    assert download.headers["Content-Type"] == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert "no-store" in download.headers["Cache-Control"]


def test_interrupted_upload_records_nothing(app, org, as_person):
    browser = as_person("employee1")
    before, files = documents_count(app), store_files(app)
    boundary = "XyZ"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{browser.token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode() + plain_pdf() * 50
    r = browser.client.post(f"/organizations/{org.id}/documents/new", data=body,
                            content_type=f"multipart/form-data; boundary={boundary}",
                            headers={"Content-Length": str(len(body) + 100_000)})
    assert r.status_code == 400  # the body ended before its declared length
    assert documents_count(app) == before and store_files(app) == files


def test_list_filters_and_expiry_notices(app, org, as_person):
    browser = as_person("head")
    soon = (TODAY + timedelta(days=10)).strftime("%d.%m.%Y")
    gone = (TODAY - timedelta(days=1)).strftime("%d.%m.%Y")
    assert upload(browser, org.id, plain_pdf(), "устав.pdf").status_code == 302
    assert upload(browser, org.id, plain_pdf(), "лицензия.pdf", doc_type="license", number="Л-7",
                  expires_on=soon).status_code == 302
    assert upload(browser, org.id, plain_pdf(), "старая.pdf", doc_type="license", number="Л-1",
                  expires_on=gone).status_code == 302
    base = f"/organizations/{org.id}/documents"
    page = browser.get(base).text
    assert "устав.pdf" in page and "лицензия.pdf" in page and "истекает через 10 дней" in page and "истёк" in page
    page = browser.get(f"{base}?doc_type=license").text
    assert "лицензия.pdf" in page and "устав.pdf" not in page
    page = browser.get(f"{base}?state=expiring").text
    assert "лицензия.pdf" in page and "старая.pdf" not in page and "устав.pdf" not in page
    page = browser.get(f"{base}?state=expired").text
    assert "старая.pdf" in page and "лицензия.pdf" not in page
    page = browser.get(f"{base}?q=л-7").text
    assert "лицензия.pdf" in page and "старая.pdf" not in page
    profile = browser.get(f"/organizations/{org.id}").text
    assert f"Срок действия документа «Лицензия № Л-7 от 01.02.2024» истекает {soon} (через 10 дней)" in profile
    assert "Лицензия № Л-1 от 01.02.2024» истёк" in profile
    assert "Устав № У-1" not in profile


def test_access_to_documents(app, org, as_person):
    browser = as_person("employee1")
    r = upload(browser, org.id, plain_pdf(), "устав.pdf")
    doc_url = r.location
    # «Операции с партиями» alone carries no documents permission: 403
    other = as_person("ip")
    for url in (f"/organizations/{org.id}/documents", doc_url, f"{doc_url}/file"):
        assert other.get(url).status_code == 403, url
    # a foreign organization's documents do not exist for a member of another one
    head = as_person("head")
    assert head.get(f"/organizations/{org.other_id}/documents").status_code == 404
    doc_id = int(doc_url.rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.get(Document, doc_id) is not None
    assert head.get(f"/organizations/{org.other_id}/documents/{doc_id}/file").status_code == 404
    assert head.get(f"{doc_url}/file").status_code == 200


def test_delete_document(app, org, as_person):
    browser = as_person("employee1")
    r = upload(browser, org.id, plain_pdf(), "устав.pdf")
    files = store_files(app)
    key_count = len(files)
    browser.get(r.location)
    r = browser.post(f"{r.location}/delete")
    assert r.status_code == 302
    assert "удален" in browser.get(r.location).text
    assert len(store_files(app)) == key_count - 1


def test_an_open_ended_document_never_expires(app, org, as_person):
    browser = as_person("employee1")
    r = upload(browser, org.id, plain_pdf("Charter"), "устав.pdf", expires_on="", open_ended="y")
    assert r.status_code == 302, r.text
    assert "Бессрочно" in browser.get(r.location).text
    # The hidden date is neither judged nor kept when «Бессрочно» is ticked.
    r = upload(browser, org.id, plain_pdf("Charter"), "устав.pdf", expires_on="31.02.2000", open_ended="y")
    assert r.status_code == 302, r.text
    # A type with an end date cannot be open-ended; without «Бессрочно» the date is required.
    r = upload(browser, org.id, plain_pdf("Licence"), "лицензия.pdf", doc_type="license", expires_on="",
               open_ended="y")
    assert r.status_code == 422 and "Документ этого вида имеет срок действия" in r.text
    r = upload(browser, org.id, plain_pdf("Licence"), "лицензия.pdf", doc_type="license", expires_on="")
    assert r.status_code == 422 and "Обязательное поле" in r.text
    with app.app_context():
        from registry.documents.services import expiry

        assert {d.expires_on for d in db.session.scalars(select(Document))} == {None}
        for days in (0, 1, 7, 30, 3650):  # no expiry notice, whatever the day
            assert expiry.notify_expiring_documents(today=TODAY + timedelta(days=days)) == 0
    page = browser.get(f"/organizations/{org.id}/documents?state=active").text
    assert page.count("Бессрочно") == 2
    assert "Бессрочно" not in browser.get(f"/organizations/{org.id}/documents?state=expired").text
    assert "Срок действия документа" not in browser.get(f"/organizations/{org.id}").text
