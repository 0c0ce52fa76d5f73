"""Text fields refuse control characters (NUL included) and bidi overrides with a Russian
message, on SQLite and on PostgreSQL (which refuses NUL in text: these saves used to be 500s);
wtforms' own messages and impossible dates are said in Russian."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from registry.auth.models import User
from registry.documents.models import Document
from registry.exchange.models import ExchangeProfile
from registry.extensions import db

from ..documents.pdfs import plain_pdf
from ..documents.test_documents import fields
from ..exchange.test_profiles import create

BAD = [("\x00", "U+0000"), ("\x1b", "U+001B"), ("\u202e", "U+202E"), ("\u2066", "U+2066")]


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("char", "code"), BAD)
def test_a_document_number_with_a_control_character_is_refused(app, org, as_person, char, code):
    browser = as_person("employee1")
    r = browser.post(f"/organizations/{org.id}/documents/new",
                     {**fields(number=f"У-1{char}"), "file": (io.BytesIO(plain_pdf("x")), "устав.pdf")})
    assert r.status_code == 422, r.status_code
    assert f"Недопустимый символ {code}" in r.text
    assert _count(app, Document) == 0


@pytest.mark.parametrize(("char", "code"), BAD[:3])
def test_an_exchange_system_name_with_a_control_character_is_refused(app, org, as_person,
                                                                     system_cert, char, code):
    browser = as_person("head")
    r = create(browser, org.id, system_cert.pem, name=f"ИС{char}«Учёт»")
    assert r.status_code == 422 and f"Недопустимый символ {code}" in r.text
    assert _count(app, ExchangeProfile) == 0


def _profile(browser, **values):
    data = {"email": "", "phone": "", "position": "", "department": "", **values}
    return browser.post("/profile", data)


@pytest.mark.parametrize(("char", "code"), BAD)
def test_a_position_with_a_control_character_is_refused_and_nothing_is_lost(app, org, as_person,
                                                                           char, code):
    browser = as_person("employee1")
    assert _profile(browser, position="Бухгалтер").status_code == 302
    r = _profile(browser, position=f"Главный{char} бухгалтер")
    assert r.status_code == 200 and f"Недопустимый символ {code}" in r.text
    with app.app_context():
        assert db.session.scalar(select(User.position).where(User.id == org.employee_id)) \
            == "Бухгалтер"


def test_line_breaks_are_text_in_a_multi_line_field():
    from registry.core.forms import forbidden_character

    assert forbidden_character("строка\r\nещё\tстрока", multiline=True) is None
    assert forbidden_character("строка\nещё") == "\n"
    assert forbidden_character("«РОМАШКА» — ООО") is None


def test_an_over_long_e_mail_is_said_in_russian(app, org, as_person):
    browser = as_person("employee1")
    r = _profile(browser, email="a" * 250 + "@example.ru")
    assert r.status_code == 200
    assert "Не более 254 символов" in r.text and "Field must" not in r.text


def test_wtforms_own_messages_are_in_russian(app):
    from werkzeug.datastructures import MultiDict
    from wtforms import StringField
    from wtforms.validators import Length

    from registry.core.forms import Form

    class Sample(Form):
        name = StringField(validators=[Length(max=3)])

    with app.test_request_context():
        form = Sample(MultiDict({"name": "абвгд"}), meta={"csrf": False})
        assert not form.validate()
        assert form.name.errors == ["Значение не должно содержать более 3 символов."]


@pytest.mark.parametrize("typed", ["31.02.2024", "30.13.2024"])
def test_an_impossible_date_is_said_so_not_required(app, org, as_person, typed):
    browser = as_person("employee1")
    r = browser.post(f"/organizations/{org.id}/documents/new",
                     {**fields(doc_date=typed), "file": (io.BytesIO(plain_pdf("x")), "устав.pdf")})
    assert r.status_code == 422
    assert f"Даты {typed} не существует: проверьте день и месяц" in r.text
    assert _count(app, Document) == 0
