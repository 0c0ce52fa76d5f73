"""A real browser (headless Chromium through Playwright) against `registry demo serve`.

The demo instance is set up and served by the same commands `make demo` runs. Screenshots of
the signed-in home page and of the refusal pages are kept in test-artifacts/.
"""

from __future__ import annotations

import pytest

from ..browser import open_page
from ..helpers import ARTIFACTS


def test_demo_prints_which_certificate_to_import(demo_server):
    _url, pki, log = demo_server
    text = log.read_text()
    assert str(pki / "people" / "head-ecdsa.p12") in text
    assert "password: demo" in text


def test_browser_signs_in_with_the_demo_certificate(browser, demo_server):
    url, pki, _log = demo_server
    context, page, problems = open_page(browser, url, pki / "people" / "head-ecdsa.p12")
    try:
        page.goto(url + "/")
        assert page.locator("h1").inner_text() == "Здравствуйте, Иван Иванович!"
        page.screenshot(path=str(ARTIFACTS / "home-signed-in.png"), full_page=True)

        page.get_by_role("navigation").get_by_role("link", name="Мой профиль").click()
        page.get_by_label("Телефон").fill("8 495 123-45-67")
        page.get_by_label("Должность").fill("Генеральный директор")
        page.get_by_role("button", name="Сохранить").click()
        assert page.get_by_text("Профиль сохранён.").is_visible()
        assert page.get_by_label("Телефон").input_value() == "+74951234567"
        page.screenshot(path=str(ARTIFACTS / "profile.png"), full_page=True)

        page.get_by_role("navigation").get_by_role("link", name="Журнал посещений").click()
        assert page.get_by_text("Вход выполнен").first.is_visible()

        page.get_by_role("button", name="Выход").click()
        assert page.get_by_text("Вы вышли из реестра.").is_visible()
        page.get_by_role("button", name="Войти снова").click()
        assert page.locator("h1").inner_text() == "Здравствуйте, Иван Иванович!"
        # No inline script or style was blocked by the Content-Security-Policy, nothing failed.
        assert problems == []
    finally:
        context.close()


@pytest.mark.parametrize("p12, heading, shot", [
    ("employee2-ecdsa.p12", "Сертификат отозван", "refused-revoked.png"),
    (None, "Браузер не передал сертификат электронной подписи", "no-certificate.png"),
])
def test_browser_refusal_pages(browser, demo_server, p12, heading, shot):
    url, pki, _log = demo_server
    context, page, _problems = open_page(browser, url, pki / "people" / p12 if p12 else None)
    try:
        response = page.goto(url + "/")
        assert response.status == 403
        assert page.locator("h1").inner_text() == heading
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    finally:
        context.close()


def test_sign_in_by_signature_when_it_is_off_says_only_that(browser, demo_server):
    url, _pki, _log = demo_server
    context, page, problems = open_page(browser, url)
    try:
        response = page.goto(url + "/login/signature")
        assert response.status == 200
        assert page.locator("h1").inner_text() == "Вход по электронной подписи"
        # The demo configures no plug-in: no install steps, only what to use instead.
        off = page.locator("#signature-off")
        assert off.is_visible() and "не настроен" in off.inner_text()
        assert "Войдите по сертификату при соединении" in off.inner_text()
        assert page.locator("#plugin-missing").count() == 0
        assert not page.locator("#plugin-ready").is_visible()
        page.screenshot(path=str(ARTIFACTS / "signature-no-plugin.png"), full_page=True)
        assert problems == []
    finally:
        context.close()
