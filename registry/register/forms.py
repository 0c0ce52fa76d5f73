"""Forms of the operator's review, the records and the register."""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from ..core.forms import Form, RuDateField
from .models import Review, SpecialRecord
from .services import REFUSAL_REASONS


class QueueForm(Form):
    class Meta:
        csrf = False

    status = SelectField("Состояние", choices=[("open", "Не решённые"), ("", "Все"),
                                               *Review.STATUS_TITLES.items()], validate_choice=False, default="open")
    since = RuDateField("Подано с", [Optional()])
    until = RuDateField("по", [Optional()])
    after = StringField("С заявления", [Optional(), Length(max=60)])


class TransitionForm(Form):
    version = HiddenField()
    requested_info = TextAreaField("Каких сведений или документов не хватает", [Length(max=4000)])
    refusal_code = SelectField("Основание отказа", choices=[("", "— выберите —"), *REFUSAL_REASONS.items()],
                               validate_choice=False)
    refusal_text = TextAreaField("Пояснение", [Length(max=4000)])
    submit = SubmitField("Выполнить")

    def version_number(self) -> int:
        """The review's version the operator saw (0, never a real one, when missing)."""
        try:
            return int(self.version.data or 0)
        except ValueError:
            return 0


class RecordForm(Form):
    reason = StringField("Основание", [Length(max=1000)])
    submit = SubmitField("Выполнить")


class RecordsFilterForm(Form):
    class Meta:
        csrf = False

    status = SelectField("Записи", choices=[("", "Все"), ("flagged", "С отметкой ЕГРЮЛ"),
                                            *SpecialRecord.STATUS_TITLES.items()], validate_choice=False)
    page = IntegerField("Страница", [Optional()], default=1)


class RegisterSearchForm(Form):
    class Meta:
        csrf = False

    q = StringField("Поиск", [Length(max=200)], description="Номер записи, ИНН, ОГРН или наименование")
    after = StringField("С записи", [Optional(), Length(max=40)])
