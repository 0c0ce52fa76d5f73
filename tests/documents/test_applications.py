"""«Заявление о постановке на специальный учет»: built from the profile, rendered as a PDF,
signed by the head (openssl cms with RSA/ECDSA/GOST, or a pyHanko-signed PDF), submitted."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from registry.documents.models import Application, Document
from registry.extensions import db

from .conftest import cms_sign
from .pdfs import plain_pdf
from .test_documents import upload


@pytest.fixture
def draft(app, org, as_person):
    """The head uploads two documents and forms an application with them; returns (browser, url)."""
    browser = as_person("head")
    ids = []
    for name, number in (("устав.pdf", "У-1"), ("выписка.pdf", "В-2")):
        r = upload(browser, org.id, plain_pdf(name), name, number=number,
                   doc_type="charter" if number == "У-1" else "egrul_extract")
        assert r.status_code == 302, r.text
        ids.append(int(r.location.rsplit("/", 1)[1]))
    page = browser.get(f"/organizations/{org.id}/applications").text
    assert "Устав № У-1" in page and "Сформировать заявление" in page
    r = browser.post(f"/organizations/{org.id}/applications", {"documents": [str(i) for i in ids]})
    assert r.status_code == 302, r.text
    return browser, r.location, ids


def application_pdf(browser, url) -> bytes:
    r = browser.get(f"{url}/pdf")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    return r.data


def test_application_is_built_from_the_profile(app, org, draft):
    browser, url, ids = draft
    page = browser.get(url).text
    assert re.search(r"Заявление № 1 от \d\d\.\d\d\.\d{4}", page)
    assert "Черновик" in page and "Устав № У-1" in page and "Выписка из ЕГРЮЛ/ЕГРИП № В-2" in page
    pdf = application_pdf(browser, url)
    assert pdf.startswith(b"%PDF-")
    from pyhanko.pdf_utils.reader import PdfFileReader
    reader = PdfFileReader(io.BytesIO(pdf))
    assert reader.root["/Pages"]["/Count"] >= 1
    assert b"DejaVuSans" in pdf  # Cyrillic text is set in an embedded TTF font
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.organization_id == org.id))
        assert application.data["profile"]["head"]["surname"] == "Иванов"
        assert [d["id"] for d in application.data["documents"]] == ids
        assert application.data["organization"]["full_name"] == "ООО «РОМАШКА»"
    # the same bytes every time: the head signs exactly what is stored
    assert application_pdf(browser, url) == pdf


def test_an_attached_document_cannot_be_deleted(app, org, draft):
    browser, url, ids = draft
    doc_url = f"/organizations/{org.id}/documents/{ids[0]}"
    browser.get(doc_url)
    r = browser.post(f"{doc_url}/delete")
    assert r.status_code == 409
    assert re.search(r"приложен к заявлению «Заявление № 1 от [\d.]+» \(черновик\)", r.text)
    with app.app_context():
        assert db.session.get(Document, ids[0]) is not None
    # deleting the draft releases the documents
    browser.get(url)
    assert browser.post(f"{url}/delete").status_code == 302
    browser.get(doc_url)
    assert browser.post(f"{doc_url}/delete").status_code == 302


@pytest.mark.parametrize("alg", ["rsa", "ecdsa", "gost256"])
def test_head_signs_with_a_detached_cms_signature(app, org, draft, demo_pki, tmp_path, alg):
    browser, url, _ids = draft
    pdf = application_pdf(browser, url)
    signature = cms_sign(demo_pki, tmp_path, "head", alg, pdf)
    browser.get(url)
    r = browser.post(f"{url}/sign", {"signature": (io.BytesIO(signature), "zayavlenie-1.pdf.sig")})
    assert r.status_code == 302, r.text
    page = browser.get(url).text
    assert "Подпись руководителя проверена" in page and "Подписано" in page
    assert "Иванов Иван Иванович" in page and "Подпись верна" in page
    assert browser.get(f"{url}/signature").data == signature
    r = browser.post(f"{url}/submit")
    assert r.status_code == 302
    page = browser.get(url).text
    assert "подано" in page
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.organization_id == org.id))
        assert application.status == "submitted" and application.signer_name == "Иванов Иван Иванович"
    # a submitted application keeps its documents and its signature
    assert browser.post(f"{url}/delete").status_code == 409


@pytest.mark.parametrize("alg", ["rsa", "ecdsa", "gost256"])
def test_signature_of_other_bytes_is_refused(app, org, draft, demo_pki, tmp_path, alg):
    browser, url, _ids = draft
    pdf = application_pdf(browser, url)
    signature = cms_sign(demo_pki, tmp_path, "head", alg, pdf[:-10] + b"tampered!\n")
    browser.get(url)
    r = browser.post(f"{url}/sign", {"signature": (io.BytesIO(signature), "z.sig")})
    assert r.status_code == 422 and "Подпись сделана не для этого файла" in r.text
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.organization_id == org.id))
        assert application.status == "draft" and application.check["code"] == "digest_mismatch"
    # not signed: cannot be submitted
    assert browser.post(f"{url}/submit").status_code == 409


@pytest.mark.parametrize("person,alg", [("employee1", "ecdsa"), ("employee1", "gost256"), ("ip", "rsa")])
def test_a_valid_signature_by_someone_else_is_refused(app, org, draft, demo_pki, tmp_path, person, alg):
    browser, url, _ids = draft
    signature = cms_sign(demo_pki, tmp_path, person, alg, application_pdf(browser, url))
    browser.get(url)
    r = browser.post(f"{url}/sign", {"signature": (io.BytesIO(signature), "z.p7s")})
    assert r.status_code == 422
    assert "Заявление должен подписать руководитель организации" in r.text
    assert "Иванов Иван Иванович" in r.text  # who the head is
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.organization_id == org.id))
        assert application.status == "draft" and application.check["code"] == "not_head"


def test_a_revoked_certificate_is_refused_with_the_reason(app, org, draft, demo_pki, tmp_path):
    browser, url, _ids = draft
    signature = cms_sign(demo_pki, tmp_path, "employee2", "ecdsa", application_pdf(browser, url))
    browser.get(url)
    r = browser.post(f"{url}/sign", {"signature": (io.BytesIO(signature), "z.p7s")})
    assert r.status_code == 422 and "отозван" in r.text


@pytest.mark.parametrize("alg", ["ecdsa", "rsa"])
def test_head_signs_the_pdf_itself(app, org, draft, demo_pki, alg):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    browser, url, _ids = draft
    pdf = application_pdf(browser, url)
    person = demo_pki.person("head", alg)

    def sign(data: bytes) -> bytes:
        signer = signers.SimpleSigner.load(str(person.key_path), str(person.cert_path),
                                           ca_chain_files=(str(demo_pki.ca(alg).cert_path),))
        out = io.BytesIO()
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)),
                         signers.PdfSignatureMetadata(field_name="Head"), signer=signer, output=out)
        return out.getvalue()

    # another PDF, validly signed by the head, is not this application
    browser.get(url)
    r = browser.post(f"{url}/sign", {"signature": (io.BytesIO(sign(plain_pdf("other"))), "z.pdf")})
    assert r.status_code == 422 and "не является подписанным файлом этого заявления" in r.text
    # the application's PDF, signed and then altered
    signed = sign(pdf)
    tampered = bytearray(signed)
    tampered[len(pdf) // 2] ^= 0x01
    r = browser.post(f"{url}/sign", {"signature": (io.BytesIO(bytes(tampered)), "z.pdf")})
    assert r.status_code == 422
    r = browser.post(f"{url}/sign", {"signature": (io.BytesIO(signed), "zayavlenie-1.pdf")})
    assert r.status_code == 302, r.text
    page = browser.get(url).text
    assert "Подписано" in page and "Подпись в PDF" in page


def test_no_documents_and_expired_documents(app, org, as_person):
    browser = as_person("head")
    page = browser.get(f"/organizations/{org.id}/applications").text
    assert "Нет действующих документов" in page
    r = browser.post(f"/organizations/{org.id}/applications", {})
    assert r.status_code == 422 and "хотя бы один документ" in r.text


def test_access_to_applications(app, org, draft, as_person):
    _browser, url, _ids = draft
    # «Участник ДМДК» works with applications; «Операции с партиями» does not
    assert as_person("employee1").get(url).status_code == 200
    assert as_person("ip").get(url).status_code == 403
    assert as_person("ip").get(f"{url}/pdf").status_code == 403
    foreign = url.replace(f"/organizations/{org.id}/", f"/organizations/{org.other_id}/")
    assert as_person("head").get(foreign).status_code == 404


def test_only_the_author_or_an_administrator_deletes_a_draft(app, org, draft, as_person):
    """employee1 works with applications (Участник ДМДК) but did not form the head's draft."""
    _head, url, _ids = draft
    employee = as_person("employee1")
    page = employee.get(url)
    assert page.status_code == 200 and "Удалить черновик" not in page.text
    r = employee.post(f"{url}/delete")
    assert r.status_code == 409
    assert "может только его автор или администратор организации" in r.text
    with app.app_context():
        assert db.session.scalar(select(Application.status)) == "draft"
    # her own draft she deletes; the head (an administrator) deletes anyone's
    documents = employee.get(f"/organizations/{org.id}/applications")
    assert documents.status_code == 200
    with app.app_context():
        ids = [d.id for d in db.session.scalars(select(Document))]
    for deleter in ("employee1", "head"):
        author = as_person("employee1")
        r = author.post(f"/organizations/{org.id}/applications", {"documents": [str(ids[0])]})
        assert r.status_code == 302, r.text
        browser = as_person(deleter)
        assert "Удалить черновик" in browser.get(r.location).text
        assert browser.post(f"{r.location}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == 1
