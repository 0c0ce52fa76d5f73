"""The registered organization: profile tabs, editing on a draft copy, history, conflicts, access."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.members.models import Membership, Role
from registry.organizations.models import Organization, OrganizationVersion
from registry.pki.demo_pki import ORGANIZATION

from ..factories import make_user, make_user_certificate
from .conftest import GENERAL, Wizard, register


@pytest.fixture
def registered(app, wizard):
    """ООО «РОМАШКА» registered by its head; returns (profile URL, organization id)."""
    url = register(app, wizard, ORGANIZATION["ogrn"])
    return url, int(url.rsplit("/", 1)[1])


@pytest.mark.parametrize("tab, text", [
    ("general", "office@romashka.example"),
    ("okved", "Производство ювелирных изделий и аналогичных изделий"),
    ("head", "Паспорт гражданина Российской Федерации, серия 45 08 № 123456"),
    ("premises", "Объекты недвижимости не указаны"),
    ("branches", "Филиал ООО «РОМАШКА» в городе Санкт-Петербурге"),
    ("beneficiaries", "Бенефициары не указаны"),
])
def test_profile_tabs(wizard, registered, tab, text):
    url, _ = registered
    page = wizard.get(f"{url}?tab={tab}").text
    assert text in page
    assert 'aria-current="page">' in page


def test_edit_saves_a_new_version_with_the_changes(app, wizard, registered):
    url, org_id = registered
    wizard.get(url)
    r = wizard.post(f"{url}/edit", {})
    assert r.status_code == 302 and r.location.endswith(f"/{org_id}/edit/general")
    base = f"{url}/edit"
    page = wizard.get(f"{base}/general").text
    assert 'value="office@romashka.example"' in page  # the draft is a copy of the profile
    r = wizard.step("general", {**GENERAL, "email": "new@romashka.example"}, base=base)
    assert r.status_code == 302
    # the profile itself is unchanged until «Сохранить изменения»
    assert "office@romashka.example" in wizard.get(url).text
    page = wizard.get(f"{base}/review").text
    assert "Сохранить изменения" in page
    r = wizard.step("review", {}, base=base)
    assert r.status_code == 302 and r.location.endswith(url)
    assert "Изменения сохранены (версия 2)" in wizard.get(url).text
    history = wizard.get(f"{url}/history").text
    assert "Версия 2" in history and "Версия 1" in history
    assert re.search(r"Адрес электронной почты</td><td>office@romashka.example</td><td>new@romashka.example", history)
    assert "Иванов Иван Иванович" in history
    with app.app_context():
        org = db.session.get(Organization, org_id)
        assert org.version == 2 and org.data["general"]["email"] == "new@romashka.example"
        versions = db.session.scalars(select(OrganizationVersion).where(
            OrganizationVersion.organization_id == org_id).order_by(OrganizationVersion.number)).all()
        assert versions[0].data["general"]["email"] == "office@romashka.example"


def test_snils_is_shown_as_people_write_it(app, wizard, registered):
    from registry.identifiers import format_snils, make_snils

    from .conftest import HEAD

    url, _ = registered
    wizard.post(f"{url}/edit", {})
    base = f"{url}/edit"
    snils = make_snils("223344556")
    r = wizard.step("head", {**HEAD, "snils": snils}, base=base)  # typed as bare digits
    assert r.status_code == 302
    page = wizard.get(f"{base}/head").text
    assert f'value="{format_snils(snils)}"' in page and f'value="{snils}"' not in page
    assert wizard.step("review", {}, base=base).status_code == 302
    assert f"СНИЛС</dt><dd>{format_snils(snils)}</dd>" in wizard.get(f"{url}?tab=head").text
    history = wizard.get(f"{url}/history").text
    assert f"СНИЛС</td><td>—</td><td>{format_snils(snils)}</td>" in history


def test_saving_without_changes_is_explained(wizard, registered):
    url, _ = registered
    wizard.post(f"{url}/edit", {})
    r = wizard.refused("review", {}, base=f"{url}/edit")
    assert r.status_code == 200 and "Изменений нет" in r.text


def test_a_concurrent_edit_is_not_overwritten(app, client, wizard, registered, demo_pki, issue_certificate):
    """Two administrators edit at once: the second save is refused, nothing is overwritten."""
    url, org_id = registered
    base = f"{url}/edit"
    wizard.post(f"{url}/edit", {})
    wizard.step("general", {**GENERAL, "email": "first@romashka.example"}, base=base)

    second = app.test_client()
    second.certificate = demo_pki.person("employee1", "ecdsa").pem
    other = Wizard(second)
    other.get("/")  # signs in: creates the account
    with app.app_context():
        from registry.auth.models import User
        user = db.session.scalar(select(User).where(User.full_name == "Сидорова Анна Сергеевна"))
        db.session.add(Membership(organization_id=org_id, user_id=user.id, roles=[Role.ADMIN.value],
                                  status="active"))
        db.session.commit()
    other.post(f"{url}/edit", {})
    other.step("general", {**GENERAL, "email": "second@romashka.example"}, base=base)

    assert wizard.step("review", {}, base=base).status_code == 302
    r = other.refused("review", {}, base=base)
    assert r.status_code == 200
    assert "Профиль уже изменил Иванов Иван Иванович" in r.text
    assert "Чтобы увидеть изменения другого администратора" in r.text
    # Shown again later, the review still says so (the profile's version, not the answer).
    assert "Чтобы увидеть изменения другого администратора" in other.get(f"{base}/review").text
    with app.app_context():
        org = db.session.get(Organization, org_id)
        assert org.data["general"]["email"] == "first@romashka.example" and org.version == 2


def test_foreign_organization_is_not_found(app, client, registered, demo_pki):
    url, org_id = registered
    stranger = app.test_client()
    stranger.certificate = demo_pki.person("employee1", "ecdsa").pem
    for path in (url, f"{url}?tab=head", f"{url}/history", f"{url}/edit/general"):
        assert stranger.get(path).status_code == 404, path
    token = Wizard(stranger)
    assert token.post(f"{url}/edit", {}).status_code == 404
    assert stranger.get("/organizations/999999").status_code == 404


@pytest.mark.parametrize("roles, view, edit", [
    ([], 200, 403),                                    # any active member sees the profile
    ([Role.APPLICATIONS.value], 200, 403),
    ([Role.ADMIN.value], 200, 302),
])
def test_member_rights(app, registered, demo_pki, roles, view, edit):
    url, org_id = registered
    member = app.test_client()
    member.certificate = demo_pki.person("employee1", "ecdsa").pem
    member.get("/")
    with app.app_context():
        from registry.auth.models import User
        user = db.session.scalar(select(User).where(User.full_name == "Сидорова Анна Сергеевна"))
        db.session.add(Membership(organization_id=org_id, user_id=user.id, roles=roles,
                                  status="active" if roles else "active"))
        db.session.commit()
    assert member.get(url).status_code == view
    assert member.get(f"{url}/history").status_code == view
    assert Wizard(member).post(f"{url}/edit", {}).status_code == edit
    edit_link = "едактирова" in member.get(url).text  # «Редактировать» or «Продолжить редактирование»
    assert edit_link == (edit == 302)


@pytest.mark.parametrize("status", ["pending", "removed", "blocked"])
def test_inactive_member_sees_nothing(app, registered, demo_pki, status):
    url, org_id = registered
    with app.app_context():
        user = make_user()
        cert = demo_pki.person("employee1", "ecdsa").certificate
        make_user_certificate(user, cert)
        db.session.add(Membership(organization_id=org_id, user_id=user.id, roles=[], status=status))
        db.session.commit()
    member = app.test_client()
    member.certificate = demo_pki.person("employee1", "ecdsa").pem
    r = member.get(url)
    # Told why (not «not found»), but shown nothing of the profile.
    assert r.status_code == 403
    assert "office@romashka.example" not in r.text and "Общие сведения" not in r.text
    assert "romashka.example" not in member.get("/organizations/", follow_redirects=True).text
