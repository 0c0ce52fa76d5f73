"""«Профили информационного обмена»: created by the administrator, certificates validated."""

from __future__ import annotations

import io

from sqlalchemy import select

from registry.core.journal import OrganizationJournalEntry
from registry.exchange.models import ExchangeCertificate, ExchangeProfile
from registry.extensions import db

from ..documents.conftest import BRANCH_ID


def create(browser, org_id, cert_pem: str | None, *, code="ERP-1", name="ИС «Учёт»", branch="", as_file=True):
    data = {"system_name": name, "system_code": code, "branch_id": branch}
    if cert_pem is not None:
        if as_file:
            data["certificate"] = (io.BytesIO(cert_pem.encode()), "system.crt")
        else:
            data["certificate_text"] = cert_pem
    return browser.post(f"/organizations/{org_id}/exchange", data)


def test_administrator_creates_a_profile(app, org, as_person, system_cert, branch_cert):
    browser = as_person("head")
    page = browser.get(f"/organizations/{org.id}/exchange").text
    assert "Профилей пока нет" in page and "Филиал в Санкт-Петербурге" in page
    r = create(browser, org.id, system_cert.pem)
    assert r.status_code == 302, r.text
    page = browser.get(r.location).text
    assert "ИС «Учёт»" in page and "ERP-1" in page and system_cert.certificate.serial in page
    # a second certificate (pasted as text), then removing one of the two
    r = browser.post(f"{r.location}/certificates", {"certificate_text": branch_cert.pem})
    assert r.status_code == 302, r.text
    with app.app_context():
        profile = db.session.scalar(select(ExchangeProfile).where(ExchangeProfile.organization_id == org.id))
        assert [c.serial for c in profile.certificates] == [system_cert.certificate.serial,
                                                            branch_cert.certificate.serial]
        first = profile.certificates[0].id
        url = f"/organizations/{org.id}/exchange/{profile.id}"
        events = db.session.scalars(select(OrganizationJournalEntry.details).where(
            OrganizationJournalEntry.organization_id == org.id, OrganizationJournalEntry.event == "exchange")).all()
        assert any("создан" in e for e in events) and any("добавлен сертификат" in e for e in events)
    browser.get(url)
    assert browser.post(f"{url}/certificates/{first}/delete").status_code == 302
    # the last certificate stays
    with app.app_context():
        last = db.session.scalar(select(ExchangeCertificate.id).join(ExchangeProfile).where(
            ExchangeProfile.organization_id == org.id))
    r = browser.post(f"{url}/certificates/{last}/delete")
    assert r.status_code == 409 and "хотя бы один сертификат" in r.text


def test_profile_for_a_branch_and_unique_codes(app, org, as_person, system_cert, branch_cert):
    browser = as_person("head")
    assert create(browser, org.id, system_cert.pem, code="ERP-1").status_code == 302
    r = create(browser, org.id, branch_cert.pem, code="ERP-1", name="Другая ИС", branch=BRANCH_ID)
    assert r.status_code == 422 and "Код ИС «ERP-1» уже используется" in r.text
    r = create(browser, org.id, branch_cert.pem, code="SPB-1", name="ИС филиала", branch=BRANCH_ID)
    assert r.status_code == 302
    assert "Филиал в Санкт-Петербурге" in browser.get(r.location).text
    r = create(browser, org.id, branch_cert.pem, code="SPB-2", name="ИС филиала 2")
    assert r.status_code == 422 and "уже привязан к профилю «ИС филиала»" in r.text
    r = create(browser, org.id, branch_cert.pem, code="SPB-3", branch="nonexistent")
    assert r.status_code == 422 and "Выберите значение из списка" in r.text


def test_certificates_are_validated_when_added(app, org, as_person, demo_pki):
    browser = as_person("head")
    r = create(browser, org.id, demo_pki.person("employee2", "ecdsa").pem)
    assert r.status_code == 422 and "Сертификат не принят" in r.text and "отозван" in r.text
    assert "войдите с ним" not in r.text.lower() and "ваши данные сохранятся" not in r.text
    r = create(browser, org.id, demo_pki.special("expired", "ecdsa").pem)
    assert r.status_code == 422 and "Сертификат не принят" in r.text
    assert "срок действия сертификата закончился" in r.text and "информационной системы" in r.text
    assert "войдите с ним" not in r.text.lower() and "UTC" not in r.text
    r = create(browser, org.id, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", as_file=False)
    assert r.status_code == 422 and "не является сертификатом" in r.text
    r = create(browser, org.id, None)
    assert r.status_code == 422 and "Выберите файл сертификата или вставьте его текст" in r.text
    r = create(browser, org.id, demo_pki.person("head", "ecdsa").pem, code="bad code!")
    assert r.status_code == 422 and "Только латинские буквы" in r.text
    with app.app_context():
        assert db.session.scalar(select(ExchangeProfile).where(ExchangeProfile.organization_id == org.id)) is None


def test_only_administrators_manage_profiles(app, org, as_person):
    assert as_person("employee1").get(f"/organizations/{org.id}/exchange").status_code == 403
    assert as_person("head").get(f"/organizations/{org.other_id}/exchange").status_code == 404


def test_profile_is_edited_and_deletion_asks_first(app, org, as_person, system_cert, branch_cert):
    browser = as_person("head")
    url = create(browser, org.id, system_cert.pem, code="ERP-1").location
    assert create(browser, org.id, branch_cert.pem, code="SPB-1", name="ИС филиала").status_code == 302
    page = browser.get(url).text
    # Deleting the profile or a certificate asks first (a script file, no inline script).
    assert page.count("data-confirm=") == 2 and "/static/registry.js" in page
    assert "<script>" not in page
    r = browser.post(f"{url}/edit", {"system_name": "ИС «Склад»", "system_code": "SPB-1"})
    assert r.status_code == 422 and "Код ИС «SPB-1» уже используется" in r.text
    assert 'value="ИС «Склад»"' in r.text  # what was typed stays
    r = browser.post(f"{url}/edit", {"system_name": "ИС «Склад»", "system_code": "WMS-2"})
    assert r.status_code == 302
    page = browser.get(url).text
    assert "ИС «Склад»" in page and "WMS-2" in page
    with app.app_context():
        details = db.session.scalars(select(OrganizationJournalEntry.details).where(
            OrganizationJournalEntry.organization_id == org.id)).all()
        assert any("код ИС: ERP-1 → WMS-2" in d for d in details if d)
    assert browser.get("/static/registry.js").status_code == 200


def test_certificates_show_their_owner_not_a_dn(app, org, as_person, system_cert):
    browser = as_person("head")
    url = create(browser, org.id, system_cert.pem).location
    page = browser.get(url).text
    assert "ИС «Учёт», ООО «РОМАШКА»" in page and "CN=" not in page


def test_a_form_without_its_token_is_refused_and_a_missing_certificate_is_said(app, org, as_person):
    """The thin views' validation step: no CSRF token is a 400 (nothing created), a form
    without a certificate is shown again (422) with the message under the certificate field."""
    browser = as_person("head")
    data = {"system_name": "ИС «Учёт»", "system_code": "ERP-1", "branch_id": ""}
    url = f"/organizations/{org.id}/exchange"
    assert browser.client.post(url, data=data).status_code == 400
    r = browser.post(url, data)
    assert r.status_code == 422 and "Выберите файл сертификата или вставьте его текст" in r.text
    with app.app_context():
        assert db.session.scalar(select(ExchangeProfile).where(
            ExchangeProfile.organization_id == org.id)) is None
