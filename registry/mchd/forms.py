"""Forms of «Доверенности (МЧД)»: the files of an МЧД, or its number and the principal's ИНН."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import Length, ValidationError

from ..core.forms import Required
from ..identifiers import check_inn, digits
from .document import is_guid


class UploadForm(FlaskForm):
    organization = HiddenField()
    xml = FileField("Файл доверенности (XML)", [FileRequired("Выберите XML-файл доверенности")],
                    description="Файл в формате ФНС 003 (EMCHD_1) или 002, под тем именем, с "
                                "которым он выгружен (ИдФайл).")
    signature = FileField("Файл подписи (.sig)", [FileRequired("Выберите файл подписи доверенности")],
                          description="Открепленная подпись руководителя к этому XML-файлу.")
    submit = SubmitField("Проверить и загрузить")

    def read(self, field, limit: int) -> bytes:
        """At most ``limit`` + 1 bytes of an uploaded file (more is refused by the checks)."""
        return field.data.read(limit + 1)


class LookupForm(FlaskForm):
    organization = HiddenField()
    number = StringField("Номер доверенности", [Required(), Length(max=60)],
                         description="Уникальный номер (GUID), например "
                                     "0f8fad5b-d9cb-469f-a165-70867728950e.")
    inn = StringField("ИНН доверителя", [Required(), Length(max=20)],
                      description="ИНН организации, выдавшей доверенность.")
    find = SubmitField("Найти в реестре и проверить")

    def validate_number(self, field):
        if not is_guid((field.data or "").strip()):
            raise ValidationError("Номер доверенности — GUID вида 8-4-4-4-12 шестнадцатеричных цифр")

    def validate_inn(self, field):
        problem = check_inn(digits(field.data or ""), 10)
        if problem:
            raise ValidationError(f"ИНН организации: {problem}")
