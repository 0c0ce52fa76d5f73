"""Forms of the sign-in pages and «Мой профиль»."""

from __future__ import annotations

import re

from wtforms import EmailField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..core.forms import Form


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def normalize_phone(value: str | None) -> str | None:
    """Bring a phone number to ``+<digits>``; an 11-digit Russian number starting with 8 gets +7.

    Returns the input unchanged when it is not a phone number, so the validator can say so.
    """
    if not value:
        return value
    if not re.fullmatch(r"\+?[\d\s()\-]+", value):
        return value
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits[0] == "8" and not value.startswith("+"):
        digits = "7" + digits[1:]
    elif len(digits) == 10 and not value.startswith("+"):
        digits = "7" + digits
    return "+" + digits


def _phone(form, field):
    if field.data and not re.fullmatch(r"\+\d{10,15}", field.data):
        raise ValidationError("Укажите телефон цифрами, например +7 495 123-45-67")


class ProfileForm(Form):
    email = EmailField(
        "Адрес электронной почты",
        filters=[_strip],
        validators=[Optional(), Length(max=254, message="Не более 254 символов"),
                    Email(message="Адрес электронной почты указан неверно", check_deliverability=False)],
        description="Необязательно. Для уведомлений от реестра.")
    phone = StringField(
        "Телефон", filters=[_strip, normalize_phone],
        validators=[Optional(), _phone], description="Необязательно.")
    position = StringField(
        "Должность", filters=[_strip],
        validators=[Optional(), Length(max=200, message="Не более 200 символов")],
        description="Необязательно. Показывается в экранных и печатных формах.")
    department = StringField(
        "Подразделение", filters=[_strip],
        validators=[Optional(), Length(max=200, message="Не более 200 символов")],
        description="Необязательно. Показывается в экранных и печатных формах.")
    submit = SubmitField("Сохранить")


class SignOutForm(Form):
    submit = SubmitField("Выход")


class SignInForm(Form):
    submit = SubmitField("Войти снова")


class SignatureSignInForm(Form):
    """The signed challenge posted by the sign-in-by-signature page (filled by its script)."""

    nonce = HiddenField(validators=[DataRequired(), Length(max=64)])
    # Base64 CMS (detached CAdES-BES); bounded so a bad post costs bounded memory.
    signature = HiddenField(validators=[DataRequired(message="Подпись не получена."),
                                        Length(max=64 * 1024)])
    # The certificate the person chose in the plug-in (base64 DER), to compare with the signer.
    certificate = HiddenField(validators=[Optional(), Length(max=32 * 1024)])
