"""A real browser (headless Chromium through Playwright) against `registry demo serve`.

The fixtures ``demo_server`` and ``browser`` live in tests/conftest.py; ``open_page`` gives a
fresh browser profile with a client certificate.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from .helpers import ARTIFACTS, ROOT, VENV_BIN, free_port, stop, wait_for_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
P12_PASSWORD = "demo"


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory, copy_demo):
    """A `registry demo setup` instance (copied) under `registry demo serve` on a free port;
    yields (url, pki dir)."""
    directory = copy_demo(tmp_path_factory.mktemp("demo") / "demo")
    registry = str(VENV_BIN / "registry")
    port = free_port()
    log = directory / "serve.log"
    proc = subprocess.Popen([registry, "demo", "serve", "--dir", str(directory), "--port",
                             str(port)], cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc, log=log)
        # The port opens before the instructions are printed.
        deadline = time.monotonic() + 30
        while "Stop with Ctrl+C" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"https://localhost:{port}", directory / "pki", log
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser():
    # Per module: Playwright's sync API keeps an event loop running in this thread while it is
    # open, which would stop every later test that runs asyncio (certificate validation).
    ARTIFACTS.mkdir(exist_ok=True)
    from playwright.sync_api import sync_playwright

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


