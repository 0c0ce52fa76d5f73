"""A real browser (headless Chromium through Playwright) against `registry demo serve`.

The demo instance is set up and served by the same commands `make demo` runs. Screenshots of
the signed-in home page and of the refusal pages are kept in test-artifacts/.
"""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import sync_playwright

from ..helpers import ARTIFACTS, ROOT, VENV_BIN, free_port, stop, wait_for_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
P12_PASSWORD = "demo"


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """`registry demo setup` then `registry demo serve` on a free port; yields (url, pki dir)."""
    directory = tmp_path_factory.mktemp("demo")
    registry = str(VENV_BIN / "registry")
    subprocess.run([registry, "demo", "setup", "--dir", str(directory)], cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    port = free_port()
    log = directory / "serve.log"
    proc = subprocess.Popen([registry, "demo", "serve", "--dir", str(directory), "--port",
                             str(port)], cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc, log=log)
        yield f"https://localhost:{port}", directory / "pki", log
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def open_page(browser, url, p12=None):
    """A fresh browser profile, with the given PKCS#12 imported for the demo origin."""
    certificates = [{"origin": url, "pfxPath": str(p12), "passphrase": P12_PASSWORD}] if p12 else []
    context = browser.new_context(ignore_https_errors=True, client_certificates=certificates,
                                  locale="ru-RU", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return context, page, problems


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
        page.get_by_role("button", name="Войти с сертификатом").click()
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
