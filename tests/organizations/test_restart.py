"""A server restart between wizard steps loses nothing: the draft lives in the database.

Runs `registry demo serve` as a real process over the demo instance, walks two steps over TLS
with the entrepreneur's client certificate, kills the process, starts a new one and goes on.
"""

from __future__ import annotations

import http.client
import re
import signal
import ssl
import subprocess
from urllib.parse import urlencode

from registry.pki.demo_pki import ENTREPRENEUR_OGRNIP

from ..helpers import ROOT, VENV_BIN, free_port, stop, wait_for_port
from .conftest import GENERAL


class TLSBrowser:
    """Just enough of a browser: a client certificate, one cookie jar, CSRF tokens."""

    def __init__(self, pki, person: str):
        self.context = ssl.create_default_context(cafile=str(pki / "tls" / "ca.crt"))
        self.context.load_cert_chain(str(pki / "people" / f"{person}-ecdsa.crt"),
                                     str(pki / "people" / f"{person}-ecdsa.key"))
        self.cookie = None
        self.token = None
        self.port = None

    def request(self, method, path, data=None):
        conn = http.client.HTTPSConnection("localhost", self.port, context=self.context, timeout=20)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if data is not None:
            body = urlencode({"csrf_token": self.token, **data})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            cookie = response.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";", 1)[0]
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text)
            if match:
                self.token = match.group(1)
            return response.status, response.getheader("Location"), text
        finally:
            conn.close()


def serve(directory, port):
    log = directory / f"restart-{port}.log"
    proc = subprocess.Popen([str(VENV_BIN / "registry"), "demo", "serve", "--dir", str(directory),
                             "--port", str(port)], cwd=ROOT, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    wait_for_port(port, proc=proc, log=log)
    return proc


def test_restart_between_steps_loses_nothing(demo_server):
    _url, pki, _log = demo_server
    directory = pki.parent
    browser = TLSBrowser(pki, "ip")
    browser.port = free_port()
    proc = serve(directory, browser.port)
    try:
        assert browser.request("GET", "/organizations/register")[0] == 200
        status, location, _ = browser.request("POST", "/organizations/register",
                                              {"query": ENTREPRENEUR_OGRNIP, "confirm": "1"})
        assert status == 302 and location.endswith("/organizations/register/general")
        # ЕГРИП has no address for the entrepreneur: the postal address is typed.
        general = {**{k: v for k, v in GENERAL.items() if k != "postal_same"}, "postal_index": "101000",
                   "postal_address": "г. Москва, ул. Мира, д. 1", "email": "petrov@ip.example", "next": "x"}
        status, location, _ = browser.request("POST", "/organizations/register/general", general)
        assert status == 302 and location.endswith("/okved")
        # typed but wrong: kept as typed, not accepted
        okved = {"main": "47.77", "auxiliary_1": "99.99", "notes": "до перезапуска", "next": "x"}
        status, location, _ = browser.request("POST", "/organizations/register/okved", okved)
        assert status == 302 and location.endswith("/organizations/register/okved")
        status, _, page = browser.request("GET", "/organizations/register/okved")
        assert status == 200 and "нет в классификаторе" in page
    finally:
        stop(proc, signal.SIGKILL)  # no chance to save anything on the way out

    browser.port = free_port()
    proc = serve(directory, browser.port)
    try:
        status, _, page = browser.request("GET", "/organizations/")
        assert status == 200 and "/organizations/register/okved" in page  # resumes at ОКВЭД
        status, _, page = browser.request("GET", "/organizations/register/okved")
        assert 'value="99.99"' in page and "до перезапуска" in page
        assert "нет в классификаторе" in page  # the errors are kept with the text
        status, _, page = browser.request("GET", "/organizations/register/general")
        assert 'value="petrov@ip.example"' in page
        status, location, _ = browser.request("POST", "/organizations/register/okved",
                                              {**okved, "auxiliary_1": ""})
        assert status == 302 and location.endswith("/head")
    finally:
        stop(proc)
