"""Forms of the notices pages and of the notices part of «Мой профиль»."""

from __future__ import annotations

from wtforms import SelectMultipleField, SubmitField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import Form
from . import kinds


class ButtonForm(Form):
    """A button with nothing but the CSRF token (mark read, resend, confirm, unsubscribe)."""

    submit = SubmitField("OK")


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        values = {str(v) for v, _label in self.choices}
        if any(str(d) not in values for d in self.data or []):
            raise ValidationError("Выберите уведомления из списка")


class EmailKindsForm(Form):
    kinds = _Checkboxes("Получать по электронной почте",
                        description="Снимите отметку, чтобы не получать такие письма. В разделе "
                                    "«Уведомления» они остаются.")
    # Not "submit": «Мой профиль» has its own form with that field on the same page.
    apply = SubmitField("Применить настройки писем")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds.choices = list(kinds.for_person(user).items())
