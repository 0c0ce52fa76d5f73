"""МЧД fixtures: the demo head's GOST certificate, ЕГРЮЛ as the checks see it, other signers."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.identifiers import make_inn, make_ogrn, make_snils
from registry.mchd.verify import Context, HeadRecord
from registry.members.models import Membership
from registry.organizations.models import Organization
from registry.pki import TrustStore
from registry.pki.demo_pki import ORGANIZATION, PEOPLE

from ..factories import make_egrul_record, make_member, make_person
from ..members.conftest import org, person_client, wizard  # noqa: F401  (fixtures)

OTHER_HEAD = {"surname": "Орлов", "given": "Олег Петрович", "snils": make_snils("556677889"),
              "inn": make_inn("7705678901")}
OTHER_ORG = {"name": "ООО «ВАСИЛЁК»", "inn": make_inn("770900009"), "kpp": "770901001",
             "ogrn": make_ogrn("102770000009")}


def head_record(person: dict, name: str = "ООО «РОМАШКА»", liquidated: bool = False) -> HeadRecord:
    given, _, patronymic = person["given"].partition(" ")
    return HeadRecord(name, liquidated, {"kind": "person", "surname": person["surname"],
                                         "given": given, "patronymic": patronymic,
                                         "inn": person["inn"]})


@pytest.fixture(scope="session")
def trust(demo_pki):
    return TrustStore.from_paths(demo_pki.trust_dir)


@pytest.fixture(scope="session")
def egrul():
    """ЕГРЮЛ: РОМАШКА headed by the demo head, ВАСИЛЁК by Орлов."""
    return {ORGANIZATION["ogrn"]: head_record(PEOPLE["head"]),
            OTHER_ORG["ogrn"]: head_record(OTHER_HEAD, OTHER_ORG["name"])}


@pytest.fixture
def context(trust, egrul):
    def make(**fields):
        values = dict(trust_store=trust, head_of=lambda p: egrul.get(p.ogrn))
        values.update(fields)
        return Context(**values)
    return make


@pytest.fixture(scope="session")
def head(demo_pki):
    return demo_pki.person("head", "gost256")


@pytest.fixture(scope="session")
def employee(demo_pki):
    return demo_pki.person("employee1", "gost256")


@pytest.fixture(scope="session")
def other_head(issue_certificate):
    """Орлов, the head of another company (ВАСИЛЁК), with a GOST certificate."""
    from registry.pki import oids

    p = OTHER_HEAD
    subject = [("C", "RU"), ("O", OTHER_ORG["name"]), (oids.OGRN, OTHER_ORG["ogrn"]),
               (oids.INN_LE, OTHER_ORG["inn"]), ("CN", OTHER_ORG["name"]), ("SN", p["surname"]),
               ("G", p["given"]), (oids.SNILS, p["snils"]), (oids.INN, p["inn"])]
    return issue_certificate(subject, alg="gost256")


@pytest.fixture(scope="session")
def stranger(demo_pki):
    """Петров (the demo entrepreneur): not the head of РОМАШКА."""
    return demo_pki.person("ip", "gost256")


HEAD = {"kind": "person", "surname": "Иванов", "given": "Иван", "patronymic": "Иванович",
        "inn": PEOPLE["head"]["inn"]}


@pytest.fixture
def setup(app, org, demo_pki):  # noqa: F811  (``org``: the fixture imported above)
    """РОМАШКА in ЕГРЮЛ; Сидорова waits for roles there and has signed in."""
    with app.app_context():
        make_egrul_record(ogrn=ORGANIZATION["ogrn"], inn=ORGANIZATION["inn"], head=HEAD)
        anna = make_person("employee1")
        make_member(anna, db.session.get(Organization, org), status="pending")
        db.session.commit()
    browser = person_client(app, demo_pki, "employee1")
    page = browser.get("/mchd")
    assert page.status_code == 200, page.text
    return browser


def upload(browser, org_id, xml, sig, name):
    return browser.post(f"/mchd/organizations/{org_id}/upload", {
        "xml": (io.BytesIO(xml), name), "signature": (io.BytesIO(sig), name + ".sig")},
        content_type="multipart/form-data")


def membership(app, org_id):
    with app.app_context():
        m = db.session.scalar(select(Membership).join(Membership.user).where(
            Membership.organization_id == org_id, Membership.user.has(snils=PEOPLE["employee1"]["snils"])))
        return {"status": m.status, "roles": list(m.roles), "user_id": m.user_id}
