"""An organization with its head and employees, created directly, and helpers to sign files."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import pytest

from registry.extensions import db
from registry.members.models import Membership, Role
from registry.organizations.models import Organization
from registry.pki.demo_pki import ORGANIZATION, PEOPLE

from ..factories import make_organization, make_user, organization_profile


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


HEAD = PEOPLE["head"]
BRANCH_ID = "b1"


profile_data = organization_profile


@dataclass
class Org:
    id: int
    head_id: int
    employee_id: int
    other_id: int  # an organization none of these people belongs to


def make_org(ogrn=ORGANIZATION["ogrn"], inn=ORGANIZATION["inn"], name="ООО «РОМАШКА»", **extra) -> Organization:
    return make_organization(ogrn=ogrn, inn=inn, name=name, kpp=ORGANIZATION["kpp"], **extra)


@pytest.fixture
def org(app, db_session, demo_pki) -> Org:
    """ООО «РОМАШКА»: the demo head (administrator, «Работа с заявлениями»), employee1 (Участник
    ДМДК), employee2's account with «Операции с партиями» only; and a foreign organization."""
    from registry.identifiers import make_inn, make_ogrn

    with app.app_context():
        head = make_user(full_name="Иванов Иван Иванович", snils=HEAD["snils"], inn=HEAD["inn"])
        employee = make_user(full_name="Сидорова Анна Сергеевна", snils=PEOPLE["employee1"]["snils"],
                             inn=PEOPLE["employee1"]["inn"])
        batches = make_user(full_name="Петров Пётр Петрович", snils=PEOPLE["ip"]["snils"], inn=PEOPLE["ip"]["inn"])
        organization = make_org(registered_by_id=head.id)
        other = make_org(ogrn=make_ogrn("102770000099"), inn=make_inn("770100099"), name="ООО «ЧУЖАЯ»")
        db.session.add_all([
            Membership(organization_id=organization.id, user_id=head.id, status="active",
                       roles=[Role.ADMIN.value, Role.APPLICATIONS.value]),
            Membership(organization_id=organization.id, user_id=employee.id, status="active",
                       roles=[Role.DMDK_PARTICIPANT.value]),
            Membership(organization_id=organization.id, user_id=batches.id, status="active",
                       roles=[Role.BATCH_OPERATIONS.value]),
        ])
        db.session.commit()
        return Org(organization.id, head.id, employee.id, other.id)


class Browser:
    """The test client plus the CSRF token of the last page."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, url, **kwargs):
        response = self.client.get(url, **kwargs)
        if response.content_type.startswith("text/html") and 'name="csrf_token"' in response.text:
            self.token = csrf(response.text)
        return response

    def post(self, url, data=None, **kwargs):
        if self.token is None:
            self.get("/profile")
        response = self.client.post(url, data={"csrf_token": self.token, **(data or {})},
                                    content_type="multipart/form-data", **kwargs)
        if response.content_type.startswith("text/html") and 'name="csrf_token"' in response.text:
            self.token = csrf(response.text)
        return response


@pytest.fixture
def as_person(app, client, demo_pki):
    def login(name: str, alg: str = "ecdsa") -> Browser:
        client.certificate = demo_pki.person(name, alg).pem
        browser = Browser(client)
        browser.get("/profile")
        return browser
    return login


def cms_sign(demo_pki, tmp_path, person: str, alg: str, content: bytes, *extra: str) -> bytes:
    """A detached CMS signature by the openssl command line (GOST through its engine)."""
    source, out = tmp_path / "content.bin", tmp_path / f"{person}-{alg}.p7s"
    source.write_bytes(content)
    cert = demo_pki.person(person, alg)
    gost = ["-engine", "gost", "-md", "md_gost12_256"] if alg.startswith("gost") else []
    subprocess.run(["openssl", "cms", "-sign", "-binary", *gost, *extra, "-in", source, "-signer", cert.cert_path,
                    "-inkey", cert.key_path, "-outform", "DER", "-out", out], check=True, capture_output=True)
    return out.read_bytes()


def store_files(app) -> list[str]:
    from pathlib import Path
    root = Path(app.config.get("REGISTRY_FILES_DIR") or Path(app.instance_path) / "files")
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []
