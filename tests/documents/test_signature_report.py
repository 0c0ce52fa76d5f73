"""The document page's verification report: JSON, ETSI XML and the PDF «протокол проверки»,
permission-checked; a GOST-signed PDF and a CAdES-X Long detached signature on upload."""

from __future__ import annotations

import io
import json

from lxml import etree

from tests import cades

from .pdfs import gost_signed_pdf, plain_pdf
from .test_documents import upload


def test_gost_pdf_upload_and_its_reports(app, org, as_person, demo_pki):
    browser = as_person("employee1")
    person = demo_pki.person("head", "gost256")
    data = gost_signed_pdf(person.key_path, person.cert_path, [demo_pki.ca("gost256").cert_path])
    r = upload(browser, org.id, data, "устав.pdf")
    assert r.status_code == 302, r.text
    page = browser.get(r.location).text
    assert "Подпись верна, сертификат подписанта действителен." in page  # no STREEBOG256 error
    assert "Протокол проверки подписей" in page
    report = json.loads(browser.get(f"{r.location}/signature-report.json").data)
    [s] = report["signatures"]
    assert (s["indication"], s["format"]) == ("TOTAL_PASSED", "PAdES-B-B")
    xml = etree.fromstring(browser.get(f"{r.location}/signature-report.xml").data)
    assert xml.findtext(".//{*}MainIndication") == "urn:etsi:019102:mainindication:total-passed"
    pdf = browser.get(f"{r.location}/signature-report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    from pyhanko.pdf_utils.reader import PdfFileReader

    info = PdfFileReader(io.BytesIO(pdf.data)).trailer["/Info"]
    assert str(info["/Title"]) == "Протокол проверки электронной подписи"
    assert browser.get(f"{r.location}/signature-report.exe").status_code == 404
    assert as_person("ip").get(f"{r.location}/signature-report.pdf").status_code == 403
    head = as_person("head")
    foreign = r.location.replace(f"/organizations/{org.id}/", f"/organizations/{org.other_id}/")
    assert head.get(f"{foreign}/signature-report.json").status_code == 404


def test_cades_x_long_detached_signature_is_accepted(app, org, as_person, demo_pki):
    browser = as_person("employee1")
    content = plain_pdf("Charter")
    tsa = cades.issue(demo_pki, "gost256", not_before=cades.ago(days=29), not_after=cades.ago(days=-300), tsa=True)
    t = cades.add_time_stamp(cades.sign(content, cades.party(demo_pki, "person", "head", "gost256")), tsa,
                             cades.ago(minutes=3))
    signature = cades.to_x_long(t, demo_pki, tsa, cades.ago(minutes=2))
    r = upload(browser, org.id, content, "устав.pdf", signature=(signature, "устав.pdf.sig"))
    assert r.status_code == 302, r.text
    page = browser.get(r.location).text
    assert "структура CMS повреждена" not in page and "Подпись верна" in page
    [s] = json.loads(browser.get(f"{r.location}/signature-report.json").data)["signatures"]
    assert (s["indication"], s["format"]) == ("TOTAL_PASSED", "CAdES-X Long Type 1")
    assert s["best_signature_time"]


def test_every_signer_is_stored_and_shown_as_the_report_says(app, org, as_person, demo_pki):
    """Two signers, one trusted and one not: the stored verdict, the page's line and the report
    come from the one verifier and agree."""
    from sqlalchemy import select

    from registry.documents.models import Document
    from registry.extensions import db

    browser = as_person("employee1")
    content = plain_pdf("Charter")
    signature = cades.sign(content, cades.party(demo_pki, "person", "head", "gost256"),
                           cades.party(demo_pki, "special", "untrusted", "gost256"))
    r = upload(browser, org.id, content, "устав.pdf", signature=(signature, "устав.pdf.sig"))
    assert r.status_code == 302, r.text
    page = browser.get(r.location).text
    assert "2 подписи:" in page
    assert "подпись действительна" in page and "действительность подписи не установлена" in page
    report = json.loads(browser.get(f"{r.location}/signature-report.json").data)["signatures"]
    with app.app_context():
        document = db.session.scalars(select(Document).order_by(Document.id.desc())).first()
        stored = [(c["indication"], c["signer"]["serial"]) for c in document.checks]
        assert document.signature_state == "invalid"
        assert sorted(c["valid"] for c in document.checks) == [False, True]  # DER orders the set
    assert stored == [(s["indication"], s["signer"]["serial"]) for s in report]
    assert sorted(s for s, _ in stored) == ["INDETERMINATE", "TOTAL_PASSED"]
