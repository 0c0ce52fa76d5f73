"""Forms of «Профили информационного обмена»."""

from __future__ import annotations

import re

from flask_wtf.file import FileField
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from ..core.forms import ChoiceField, Form, Required


def _code(form, field):
    if field.data and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", field.data.strip()):
        raise ValidationError("Только латинские буквы, цифры, точка, дефис и подчёркивание")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CertificateMixin:
    certificate = FileField("Файл сертификата", [Optional()],
                            description="Сертификат ИС в формате .cer, .crt или .pem (DER или Base64).")
    certificate_text = TextAreaField("или текст сертификата (PEM)", [Optional(), Length(max=20000)],
                                     filters=[_strip])

    def certificate_data(self) -> bytes | str | None:
        upload = self.certificate.data
        if upload is not None and getattr(upload, "filename", ""):
            return upload.read(64 * 1024)
        return self.certificate_text.data or None

    def validate(self, extra_validators=None) -> bool:
        """The fields' checks, then a certificate given as a file or as text (read once into
        ``certificate_payload``)."""
        if not super().validate(extra_validators):  # type: ignore[misc]
            return False
        self.certificate_payload = self.certificate_data()
        if not self.certificate_payload:
            self.certificate.errors = [*self.certificate.errors,
                                       "Выберите файл сертификата или вставьте его текст"]
            return False
        return True


class ProfileForm(CertificateMixin, Form):
    branch_id = ChoiceField("Подразделение", [Optional()], choices=[])
    system_name = StringField("Наименование ИС", [Required(), Length(max=300, message="Не более 300 символов")],
                              filters=[_strip])
    system_code = StringField("Код ИС", [Required(), Length(max=50, message="Не более 50 символов"), _code],
                              filters=[_strip], description="Уникален в организации, например ERP-1.")
    submit = SubmitField("Создать профиль")


class EditProfileForm(Form):
    system_name = StringField("Наименование ИС", [Required(), Length(max=300, message="Не более 300 символов")],
                              filters=[_strip])
    system_code = StringField("Код ИС", [Required(), Length(max=50, message="Не более 50 символов"), _code],
                              filters=[_strip], description="Уникален в организации, например ERP-1.")
    submit = SubmitField("Сохранить")


class CertificateForm(CertificateMixin, Form):
    submit = SubmitField("Добавить сертификат")


class ActionForm(Form):
    submit = SubmitField("OK")
