"""Forms of «Документы организации» and the application."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import ChoiceField, Form, Required, RuDateField
from ..refdata.dictionaries import DOCUMENT_TYPES
from .storage import ALLOWED_EXTENSIONS

ACCEPT = ",".join(ALLOWED_EXTENSIONS)
STATES = [("", "Все"), ("active", "Действующие"), ("expiring", "Истекают в течение 30 дней"),
          ("expired", "Истекшие")]


class DocumentForm(Form):
    file = FileField("Файл документа", [FileRequired("Выберите файл документа")],
                     description="PDF, изображение (PNG, JPEG, TIFF), документ Office или OpenDocument, XML, "
                                 "файл подписи .sig/.p7s. Не более {limit} МБ.")
    signature = FileField("Открепленная подпись", [Optional()],
                          description="Необязательно. Файл .sig или .p7s, если документ подписан отдельной подписью.")
    doc_type = ChoiceField("Вид документа", [Required()], choices=[("", "— выберите —"), *DOCUMENT_TYPES])
    number = StringField("Номер документа", [Required(), Length(max=100, message="Не более 100 символов")])
    doc_date = RuDateField("Дата документа", [Required()], description="ДД.ММ.ГГГГ")
    expires_on = RuDateField("Действует до", [Required()], description="ДД.ММ.ГГГГ")
    submit = SubmitField("Загрузить")

    def validate_expires_on(self, field):
        from wtforms.validators import ValidationError
        if field.data and self.doc_date.data and field.data < self.doc_date.data:
            raise ValidationError("Срок действия не может закончиться раньше даты документа")

    def _signature_upload(self):
        upload = self.signature.data
        return upload if upload and upload.filename else None

    def document_values(self) -> dict:
        """What ``services.add_document`` takes from the form: the files and their details."""
        signature = self._signature_upload()
        return {"stream": self.file.data.stream, "filename": self.file.data.filename,
                "doc_type": self.doc_type.data, "number": self.number.data,
                "doc_date": self.doc_date.data, "expires_on": self.expires_on.data,
                "signature_stream": signature.stream if signature else None,
                "signature_filename": signature.filename if signature else None}

    def field_for(self, message: str):
        """The field a refusal is about: the signature file when it names a signature."""
        return self.signature if "подпис" in message and self._signature_upload() else self.file


class FilterForm(Form):
    class Meta:
        csrf = False

    doc_type = ChoiceField("Вид", [Optional()], choices=[("", "Все"), *DOCUMENT_TYPES])
    state = ChoiceField("Срок действия", [Optional()], choices=STATES)
    q = StringField("Номер", [Optional(), Length(max=100)])
    apply = SubmitField("Показать")


class SignatureForm(Form):
    signature = FileField("Файл подписи", [FileRequired("Выберите файл подписи")],
                          description="Открепленная подпись CMS: .sig или .p7s.")
    submit = SubmitField("Загрузить подпись")


class ActionForm(Form):
    """A button with nothing but the CSRF token (delete, re-check, submit)."""

    submit = SubmitField("OK")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        values = {str(v) for v, _label in self.choices}
        if any(str(d) not in values for d in self.data or []):
            from wtforms.validators import ValidationError
            raise ValidationError("Выберите документы из списка")


class ApplicationForm(Form):
    documents = MultiCheckboxField("Приложенные документы", coerce=int,
                                   description="Отметьте документы, которые прикладываются к заявлению.")
    submit = SubmitField("Сформировать заявление")


class ApplicationSignatureForm(Form):
    signature = FileField("Подпись руководителя", [FileRequired("Выберите файл подписи")],
                          description="Открепленная подпись файла заявления (.sig, .p7s) или подписанный PDF "
                                      "заявления.")
    submit = SubmitField("Проверить и загрузить подпись")
