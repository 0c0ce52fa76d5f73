"""What every domain's forms share: the base :class:`Form` (Russian messages, no control
characters in any text), the required mark with the portal's wording, dates typed as
ДД.ММ.ГГГГ, selects whose empty choice means "nothing chosen"."""

from __future__ import annotations

import re
import unicodedata

from flask import abort
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.i18n import get_translations
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput

REQUIRED = "Обязательное поле"

# Bidirectional embeddings, overrides and isolates: U+202E makes «Иванов» read «вонавИ» and
# spoofs names and numbers in every list that shows them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\t\n\r")


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first control character (NUL included) or bidi override in ``value``, or None.

    Line breaks and tabs are text in a multi-line field. PostgreSQL refuses NUL in text
    outright; the others are invisible on the page but change what people read.
    """
    for char in value:
        if char in _BIDI_CONTROLS or (unicodedata.category(char) == "Cc"
                                      and not (multiline and char in _LINE_BREAKS)):
            return char
    return None


def plain_text(form, field) -> None:
    """Refuse control characters and bidi overrides in a text field, saying which one."""
    if not isinstance(field.data, str):
        return
    char = forbidden_character(field.data, multiline=isinstance(field, TextAreaField))
    if char is not None:
        raise ValidationError(f"Недопустимый символ U+{ord(char):04X} (управляющий символ или "
                              "знак смены направления текста): удалите его.")


_RUSSIAN = get_translations(["ru"])


class Form(FlaskForm):
    """The base of every form: wtforms' own messages in Russian, and :func:`plain_text` on
    every text field (single-line, multi-line, e-mail, hidden)."""

    class Meta:
        def get_translations(self, form):
            return _RUSSIAN

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)  # type: ignore[misc]
            if isinstance(field, StringField):
                field.validators = [*field.validators, plain_text]
            return field


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
            if field.process_errors:  # something was typed, and its own error says what is wrong
                raise StopValidation()
            field.errors[:] = []
            raise StopValidation(self.message)


DATE_ERROR = "Укажите дату в формате ДД.ММ.ГГГГ"
_DATE_SHAPE = re.compile(r"\d{2}\.\d{2}\.\d{4}|\d{4}-\d{2}-\d{2}")


def date_error(typed: str) -> str:
    """The message for a date that does not read: a wrong format, or a day the calendar lacks
    (31.02.2000)."""
    typed = typed.strip()
    if _DATE_SHAPE.fullmatch(typed):
        return f"Даты {typed} не существует: проверьте день и месяц"
    return DATE_ERROR


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
            raise ValueError(date_error(" ".join(valuelist or []))) from None


class ChoiceField(SelectField):
    """A select whose empty choice is "nothing chosen" (Required decides whether that is allowed)."""

    def pre_validate(self, form):
        if self.data in (None, ""):
            return
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError("Выберите значение из списка")
