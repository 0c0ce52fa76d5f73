"""МЧД fixtures: the demo head's GOST certificate, ЕГРЮЛ as the checks see it, other signers."""

from __future__ import annotations

import pytest

from registry.identifiers import make_inn, make_ogrn, make_snils
from registry.mchd.verify import Context, HeadRecord
from registry.pki import TrustStore
from registry.pki.demo import ORGANIZATION, PEOPLE

from ..members.conftest import org, wizard  # noqa: F401  (fixtures)

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
