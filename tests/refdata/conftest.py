"""Helpers for reference-data tests: the official OKVED2 file, ЕГРЮЛ records, a party provider."""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from registry.identifiers import make_inn, make_ogrn

# The official Rosstat file lives beside the checkout or a folder above it (never vendored);
# CI machines have it. Found as the demo finds it.
OKVED_DIR = Path("shared") / "data" / "okved2"


def okved_csv() -> Path:
    from registry.refdata.demo_data import okved_file as found

    path = found()
    assert path is not None, f"the official OKVED2 file is missing: no {OKVED_DIR} above the checkout"
    return path


@pytest.fixture(scope="session")
def okved_file() -> Path:
    return okved_csv()


def legal_entity(n: int = 1, **overrides) -> dict:
    """A record dict for ``egrul_xml.write_extract``: a legal entity with valid identifiers."""
    record = {
        "kind": "ul", "ogrn": make_ogrn(f"1027739{n:05d}"), "inn": make_inn(f"77{n:07d}"),
        "kpp": "770101001", "full_name": f"ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «ТЕСТ-{n}»",
        "short_name": f"ООО «ТЕСТ-{n}»", "opf": "Общество с ограниченной ответственностью",
        "reg_date": date(2011, 5, 17), "status": "Действующее",
        "address": {"index": "125009", "region": "Москва", "street": "Тверская", "house": "7",
                    "building": "2", "flat": "15"},
        "head": {"kind": "person", "surname": "Соколов", "given": "Андрей", "patronymic": "Ильич",
                 "inn": make_inn(f"7712{n:06d}"), "title": "Генеральный директор", "date": "2018-02-20"},
        "okved": {"main": "32.12", "additional": ["46.48", "47.77"]},
        "branches": [], "flags": {}, "extract_date": date(2026, 1, 15),
    }
    record.update(overrides)
    return record


def entrepreneur(n: int = 1, **overrides) -> dict:
    from registry.identifiers import make_ogrnip

    record = {
        "kind": "ip", "ogrn": make_ogrnip(f"3047700{n:07d}"), "inn": make_inn(f"7723{n:06d}"),
        "reg_date": date(2004, 6, 1), "status": "Действующий",
        "head": {"kind": "person", "surname": "Фёдоров", "given": "Пётр", "patronymic": "Ильич",
                 "inn": make_inn(f"7723{n:06d}")},
        "okved": {"main": "47.77", "additional": ["95.25"]}, "extract_date": date(2026, 1, 15),
    }
    record.update(overrides)
    return record


class ProviderServer:
    """A local ``findById/party`` service: answers as told, remembers what it was asked."""

    def __init__(self):
        self.status = 200
        self.body: bytes | str | dict = {"suggestions": []}
        self.delay = 0.0
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append({"path": self.path, "headers": dict(self.headers),
                                        "body": json.loads(self.rfile.read(length) or b"null")})
                if server.delay:
                    time.sleep(server.delay)
                body = server.body
                if isinstance(body, dict | list):
                    body = json.dumps(body, ensure_ascii=False)
                if isinstance(body, str):
                    body = body.encode()
                try:
                    self.send_response(server.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/suggestions/api/4_1/rs/findById/party"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, status: int = 200, body=None, delay: float = 0.0) -> None:
        self.status, self.delay = status, delay
        self.body = {"suggestions": []} if body is None else body

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def provider(app, monkeypatch):
    """A running provider, configured on the app for this test only (monkeypatch restores it)."""
    server = ProviderServer()
    monkeypatch.setitem(app.config, "REGISTRY_PARTY_PROVIDER_URL", server.url)
    monkeypatch.setitem(app.config, "REGISTRY_PARTY_PROVIDER_TOKEN", "secret-token-123")
    monkeypatch.setitem(app.config, "REGISTRY_PARTY_PROVIDER_TIMEOUT", 1)
    try:
        yield server
    finally:
        server.close()
