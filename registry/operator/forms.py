"""Forms of the operator's console."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from ..members.forms import BlockForm, UnblockForm  # noqa: F401  (the console's forms)


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Поиск", description="Наименование, ИНН или ОГРН")
    status = SelectField("Статус", choices=[("", "Все"), ("registered", "Зарегистрирована"),
                                            ("blocked", "Заблокирована")], validate_choice=False)


class PeopleForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Найти человека", description="ФИО, СНИЛС или ИНН")
