"""Fixtures for the registration wizard: reference data in the test's transaction, a signed-in
head, and a helper that walks the wizard through the real HTTP client."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect

from registry.extensions import db
from registry.refdata import services as refdata_services
from registry.refdata.demo_data import demo_records, okved_file
from registry.refdata.egrul import import_egrul
from registry.refdata.egrul_xml import write_extract
from registry.refdata.models import OkvedCode
from registry.refdata.services import import_okved

# The official file beside the checkout, or $REGISTRY_OKVED_FILE (as the demo finds it).
OKVED_FILE = okved_file()
assert OKVED_FILE is not None, "the official OKVED2 file is missing (set REGISTRY_OKVED_FILE)"


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture(scope="session")
def demo_extract(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("egrul") / "demo.xml"
    write_extract(path, demo_records(), file_id="test")
    return path


@pytest.fixture(scope="session")
def okved_rows(app) -> list[dict]:
    """The rows the product's import makes of the official OKVED2 file (imported once per
    database, read, rolled back)."""
    keys = [attr.key for attr in sa_inspect(OkvedCode).column_attrs]
    with app.app_context():
        try:
            import_okved(OKVED_FILE)
            rows = [{k: getattr(code, k) for k in keys} for code in db.session.scalars(select(OkvedCode))]
        finally:
            db.session.rollback()
            db.session.remove()
    assert len(rows) > 2000
    return rows


@pytest.fixture
def refdata(app, db_session, demo_extract, okved_rows):
    """The official OKVED2 file and the demo ЕГРЮЛ/ЕГРИП extract, rolled back after the test."""
    with app.app_context():
        # The imported rows in one statement (the import itself is tested in tests/refdata).
        db.session.execute(insert(OkvedCode), okved_rows)
        # As the import does: the typeahead index is stale now, and again after the rollback.
        refdata_services._okved_changed()
        db.session.connection().info[refdata_services._WRITTEN] = True
        report = import_egrul([demo_extract])
        assert not report.errors
        db.session.commit()


class Wizard:
    """Drives the wizard through the test client like a person with a browser would."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, url, **kwargs):
        response = self.client.get(url, **kwargs)
        if 'name="csrf_token"' in response.text:
            self.token = csrf(response.text)
        return response

    def post(self, url, data, **kwargs):
        if self.token is None:
            self.get("/organizations/register")
        response = self.client.post(url, data={"csrf_token": self.token, **data}, **kwargs)
        if 'name="csrf_token"' in response.text:
            self.token = csrf(response.text)
        return response

    def start(self, query):
        """Search, then choose the organization found (the wizard starts on the second press)."""
        response = self.post("/organizations/register", {"query": query})
        if response.status_code == 200 and 'name="confirm"' in response.text:
            response = self.post("/organizations/register", {"query": query, "confirm": "1"})
        return response

    def step(self, step, data, button="next", base="/organizations/register"):
        return self.post(f"{base}/{step}", {**data, button: "x"})

    def refused(self, step, data, button="next", base="/organizations/register"):
        """A step's form refused: the POST sends the browser back to the step (the text and
        its errors kept in the draft); returns the step's page as shown then."""
        response = self.step(step, data, button, base)
        assert response.status_code == 302 and response.location.endswith(f"{base}/{step}"), \
            (response.status_code, response.location)
        return self.get(response.location)

    def add(self, section, data, base="/organizations/register"):
        return self.post(f"{base}/{section}", {**data, "action": "save", "save": "x"})

    def refused_item(self, section, data, base="/organizations/register"):
        """A list item's form refused: back to the step, the form shown again from the draft."""
        response = self.add(section, data, base)
        assert response.status_code == 302 and response.location.endswith(f"{base}/{section}"), \
            (response.status_code, response.location)
        return self.get(response.location)


GENERAL = {"email": "office@romashka.example", "phone": "+7 495 123-45-67", "fax": "",
           "website": "romashka.example", "applicant_category": "producer", "postal_same": "y"}
OKVED = {"main": "32.12", "auxiliary_1": "46.48", "auxiliary_2": "", "others": "47.77, 95.25",
         "notes": "Ювелирное производство и торговля"}
HEAD = {"kind": "person", "surname": "Иванов", "given": "Иван", "patronymic": "Иванович",
        "birth_date": "15.05.1975", "doc_type": "21", "doc_series": "45 08", "doc_number": "123456",
        "doc_date": "01.06.2020", "doc_issuer": "ГУ МВД России по г. Москве",
        "reg_address": "г. Москва, ул. Ленина, д. 1, кв. 2", "actual_address": "г. Москва, ул. Ленина, д. 1, кв. 2"}
PREMISES = {"address": "г. Москва, ул. Тверская, д. 1, стр. 2", "postal_index": "125009",
            "cadastral_number": "77:01:0001001:1234", "purpose": "Мастерская"}
BENEFICIARY = {"surname": "Петрова", "given": "Мария", "patronymic": "Олеговна", "birth_date": "02.03.1980",
               "inn": "", "doc_type": "21", "doc_series": "4510", "doc_number": "654321", "doc_date": "",
               "doc_issuer": "", "reg_address": "г. Москва, ул. Мира, д. 5",
               "actual_address": "г. Москва, ул. Мира, д. 5",
               "active": "y", "valid_until": ""}


@pytest.fixture
def wizard(client, demo_pki, refdata):
    client.certificate = demo_pki.person("head", "ecdsa").pem
    return Wizard(client)


def register(app, wizard, query, *, okved=None, branch_okved="47.77") -> str:
    """Walk every step with valid data and register; returns the profile URL."""
    from sqlalchemy import select

    from registry.organizations.models import OrganizationDraft

    r = wizard.start(query)
    assert r.status_code == 302, r.text
    assert wizard.step("general", GENERAL).status_code == 302
    assert wizard.step("okved", okved or OKVED).status_code == 302
    assert wizard.step("head", HEAD).status_code == 302
    assert wizard.step("premises", {"action": "nav"}).status_code == 302
    with app.app_context():
        branches = db.session.scalars(select(OrganizationDraft)).all()[-1].data["branches"]
    for item in branches:
        values = {k: v for k, v in item.items() if k != "id"}
        r = wizard.add("branches", {**values, "okved": branch_okved, "item": item["id"]})
        assert r.status_code == 302, r.text
    assert wizard.step("branches", {"action": "nav"}).status_code == 302
    assert wizard.step("beneficiaries", {"action": "nav"}).status_code == 302
    r = wizard.step("review", {})
    assert r.status_code == 302, r.text
    return r.location
