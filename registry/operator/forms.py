"""Forms of the operator's console."""

from __future__ import annotations

from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from ..core.forms import Form


class SearchForm(Form):
    class Meta:
        csrf = False

    q = StringField("Поиск", description="Наименование, ИНН или ОГРН")
    status = SelectField("Статус", choices=[("", "Все"), ("registered", "Зарегистрирована"),
                                            ("blocked", "Заблокирована")], validate_choice=False)


class PeopleForm(Form):
    class Meta:
        csrf = False

    q = StringField("Найти человека", description="ФИО, СНИЛС или ИНН")


class BlockForm(Form):
    reason = StringField("Причина блокировки", [InputRequired("Укажите причину: её увидит заблокированный"),
                                                Length(max=500)])
    submit = SubmitField("Заблокировать")


class UnblockForm(Form):
    submit = SubmitField("Снять блокировку")
