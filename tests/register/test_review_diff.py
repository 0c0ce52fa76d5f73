"""The operator's review shows what changed since the application was signed with Russian
field labels and readable values (a choice by its title, a date as ДД.ММ.ГГГГ)."""

from __future__ import annotations

from sqlalchemy import select

from registry.extensions import db
from registry.organizations.models import Organization
from registry.organizations.services.history import diff
from registry.register.models import Review

from ..factories import organization_profile
from .conftest import form_and_submit


def test_the_diff_names_fields_and_values_in_russian(app):
    signed = organization_profile()
    current = organization_profile()
    current["general"] = {**signed["general"], "applicant_category": "refiner", "postal_same": False}
    current["head"] = {**signed["head"], "birth_date": "1976-01-02", "doc_type": "10"}
    with app.app_context():
        rows = {(r["section"], r["field"]): (r["old"], r["new"]) for r in diff(signed, current)}
    assert rows[("Общие реквизиты", "Категория заявителя")] == (
        "Производитель ювелирных и других изделий из драгоценных металлов и камней", "Аффинажная организация")
    assert rows[("Руководитель", "Документ, удостоверяющий личность")] == (
        "Паспорт гражданина Российской Федерации", "Паспорт иностранного гражданина")
    assert ("15.05.1975", "02.01.1976") in rows.values()
    assert ("да", "нет") in rows.values()
    assert not [k for k in rows if "_" in k[1]]  # no internal names


def test_the_review_page_shows_the_readable_diff(app, org, as_person, operator_id, demo_pki, tmp_path):
    with app.app_context():
        organization = db.session.get(Organization, org.id)
        organization.data = organization_profile()
        db.session.commit()
    form_and_submit(as_person("head"), demo_pki, tmp_path, org.id)
    with app.app_context():
        organization = db.session.get(Organization, org.id)
        data = dict(organization.data)
        data["general"] = {**data["general"], "applicant_category": "refiner"}
        organization.data = data
        db.session.commit()
        review_id = db.session.scalar(select(Review.id).where(Review.organization_id == org.id))
    page = as_person("employee1").get(f"/operator/applications/{review_id}").text
    assert "Категория заявителя" in page and "Аффинажная организация" in page
    assert "applicant_category" not in page and "refiner" not in page
