"""Form fields every domain's forms share: the required mark with the portal's wording, dates
typed as ДД.ММ.ГГГГ, selects whose empty choice means "nothing chosen"."""

from __future__ import annotations

from flask import abort
from wtforms import DateField, SelectField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput

REQUIRED = "Обязательное поле"


def submitted(form) -> bool:
    """Whether ``form`` was posted and is valid; a post with a bad CSRF token is a 400."""
    if form.validate_on_submit():
        return True
    token = getattr(form, "csrf_token", None)
    if form.is_submitted() and token is not None and token.errors:
        abort(400)
    return False


class Required:
    """DataRequired with the portal's wording; marks the field as required for the macro."""

    field_flags = {"required": True}

    def __init__(self, message: str = REQUIRED):
        self.message = message

    def __call__(self, form, field):
        if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
            field.errors[:] = []
            raise StopValidation(self.message)


DATE_ERROR = "Укажите дату в формате ДД.ММ.ГГГГ"


class RuDateField(DateField):
    """A date typed as ДД.ММ.ГГГГ (or picked: the browser sends ГГГГ-ММ-ДД)."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%d.%m.%Y", "%Y-%m-%d"], **kwargs)

    def _value(self):
        if self.data:
            return self.data.strftime("%d.%m.%Y")
        return " ".join(self.raw_data) if self.raw_data else ""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(DATE_ERROR) from None


class ChoiceField(SelectField):
    """A select whose empty choice is "nothing chosen" (Required decides whether that is allowed)."""

    def pre_validate(self, form):
        if self.data in (None, ""):
            return
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError("Выберите значение из списка")
