"""The wizard's search asks the HTTP provider (``findById/party``) when the local ЕГРЮЛ copy
does not know the organization; its failures are explained and manual entry is offered."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.identifiers import make_inn, make_ogrn
from registry.organizations.models import OrganizationDraft

OGRN, INN = make_ogrn("102770000077"), make_inn("770100077")
SUGGESTION = {"value": "ООО «ЛАЗУРИТ»", "data": {
    "type": "LEGAL", "ogrn": OGRN, "inn": INN, "kpp": "770701001",
    "name": {"full_with_opf": "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «ЛАЗУРИТ»", "short_with_opf": "ООО «ЛАЗУРИТ»"},
    "opf": {"full": "Общество с ограниченной ответственностью"},
    "management": {"name": "Иванов Иван Иванович", "post": "ГЕНЕРАЛЬНЫЙ ДИРЕКТОР"},
    "state": {"status": "ACTIVE", "registration_date": 1262304000000},
    "address": {"value": "г Москва, ул Арбат, д 1"},
    "okveds": [{"main": True, "code": "47.77"}, {"main": False, "code": "32.12"}]}}


@pytest.fixture
def provider(app):
    state = {"status": 200, "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state["requests"].append((self.headers.get("Authorization"), body))
            if state["status"] != 200:
                self.send_response(state["status"])
                self.end_headers()
                return
            found = [SUGGESTION] if body.get("query") in (OGRN, INN) else []
            data = json.dumps({"suggestions": found}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    saved = {k: app.config.get(k) for k in ("REGISTRY_PARTY_PROVIDER_URL", "REGISTRY_PARTY_PROVIDER_TOKEN")}
    app.config["REGISTRY_PARTY_PROVIDER_URL"] = f"http://127.0.0.1:{server.server_port}/findById/party"
    app.config["REGISTRY_PARTY_PROVIDER_TOKEN"] = "secret-token"
    try:
        yield state
    finally:
        app.config.update(saved)
        server.shutdown()
        server.server_close()


def test_found_by_the_provider(app, wizard, provider):
    r = wizard.start(OGRN)
    assert r.status_code == 302, r.text
    # One request for the search; choosing the organization found does not ask again.
    [(auth, body)] = provider["requests"]
    assert auth == "Token secret-token" and body["query"] == OGRN
    with app.app_context():
        draft = db.session.scalar(select(OrganizationDraft))
        assert draft.party["full_name"] == "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «ЛАЗУРИТ»"
        assert draft.party["source"] == "provider"
        assert draft.data["okved"]["main"] == "47.77"
    page = wizard.get("/organizations/register/general").text
    assert "г Москва, ул Арбат, д 1" in page and "сервис сведений" in page


@pytest.mark.parametrize("status, message", [
    (401, "отклонил ключ доступа (401)"),
    (402, "закончился оплаченный лимит запросов (402)"),
    (429, "слишком много запросов (429)"),
])
def test_provider_failures_are_explained(wizard, provider, status, message):
    provider["status"] = status
    r = wizard.start(OGRN)
    assert r.status_code == 200
    assert message in r.text and "Организация не найдена в ЕГРЮЛ/ЕГРИП" in r.text
    assert "Продолжить без подтверждения ЕГРЮЛ" in r.text
