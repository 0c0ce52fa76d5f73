"""An organization with its head, a submitted application, and the registry's operator."""

from __future__ import annotations

import io
import re

import pytest

from registry.auth.models import User
from registry.extensions import db

from ..documents.conftest import as_person, cms_sign, org  # noqa: F401  (fixtures)
from ..documents.pdfs import plain_pdf
from ..documents.test_documents import upload
from ..factories import make_user


@pytest.fixture
def signing(app, demo_pki):
    """Decisions signed with the demo operator's (employee1's) ECDSA certificate."""
    cert = demo_pki.person("employee1", "ecdsa")
    app.config.update(REGISTRY_OPERATOR_SIGNING_CERT=str(cert.cert_path),
                      REGISTRY_OPERATOR_SIGNING_KEY=str(cert.key_path))
    yield
    app.config.update(REGISTRY_OPERATOR_SIGNING_CERT=None, REGISTRY_OPERATOR_SIGNING_KEY=None)


@pytest.fixture
def operator_id(app, db_session):
    """The operator's account (the demo employee1 is the operator, as in the demo)."""
    from sqlalchemy import select

    from registry.pki.demo_pki import PEOPLE

    with app.app_context():
        user = db.session.scalar(select(User).where(User.snils == PEOPLE["employee1"]["snils"]))
        if user is None:
            user = make_user(full_name="Сидорова Анна Сергеевна", snils=PEOPLE["employee1"]["snils"],
                             inn=PEOPLE["employee1"]["inn"])
        user.is_operator = True
        db.session.commit()
        return user.id


def form_and_submit(browser, demo_pki, tmp_path, org_id: int, number: str = "У-1") -> str:
    """The head uploads a document, forms an application with it, signs and submits it."""
    r = upload(browser, org_id, plain_pdf(f"устав-{number}.pdf"), f"устав-{number}.pdf", number=number,
               doc_type="charter")
    assert r.status_code == 302, r.text
    doc_id = int(r.location.rsplit("/", 1)[1])
    browser.get(f"/organizations/{org_id}/applications")
    r = browser.post(f"/organizations/{org_id}/applications", {"documents": [str(doc_id)]})
    assert r.status_code == 302, r.text
    url = r.location
    pdf = browser.get(f"{url}/pdf").data
    signature = cms_sign(demo_pki, tmp_path, "head", "ecdsa", pdf)
    browser.get(url)
    assert browser.post(f"{url}/sign", {"signature": (io.BytesIO(signature), "z.pdf.sig")}).status_code == 302
    assert browser.post(f"{url}/submit").status_code == 302
    return url


def version_of(page: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match, "no transition form on the page"
    return match.group(1)


def act(browser, url: str, data: dict | None = None) -> str:
    """Post a form and read the page it leads to (the flashed message with it)."""
    r = browser.post(url, data)
    assert r.status_code == 302, r.text
    return browser.get(r.location).text
