"""Form fields every domain's forms share: the required mark with the portal's wording, dates
typed as ДД.ММ.ГГГГ, selects whose empty choice means "nothing chosen"."""

from __future__ import annotations

import re

from flask import abort
from markupsafe import Markup, escape
from wtforms import DateField, SelectField
from wtforms import widgets as _widgets
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput
from wtforms.widgets import core as _widgets_core

ORIGINAL_HTML_PARAMS = _widgets_core.html_params


def html_params(**kwargs) -> Markup:
    """wtforms' ``html_params`` with the same output, without a ``Markup.format`` per attribute.

    Every rendered control and every ``<option>`` goes through it; wtforms' own version formats
    each attribute through markupsafe's escaping formatter, which made a page's three filter
    selects cost half a millisecond. ``tests/core/test_forms.py`` compares both on every kind of
    value, so a wtforms upgrade that changes the original is noticed.
    """
    parts = []
    for key, value in sorted(kwargs.items()):
        key = _widgets_core.clean_key(key)
        if value is True:
            parts.append(str(escape(key)))
        elif value is not False:
            parts.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(parts))


def install_html_params() -> None:
    """Use :func:`html_params` wherever wtforms renders attributes (module and widget classes)."""
    _widgets_core.html_params = html_params
    _widgets.html_params = html_params
    _widgets_core.Input.html_params = staticmethod(html_params)
    _widgets_core.Button.html_params = staticmethod(html_params)

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
