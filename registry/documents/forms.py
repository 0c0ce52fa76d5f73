"""Forms of «Документы организации» and the application."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import REQUIRED, ChoiceField, Form, Required, RuDateField
from ..refdata.dictionaries import DOCUMENT_TYPES, OPEN_ENDED_DOCUMENT_TYPES
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
    open_ended = BooleanField("Бессрочно", description="Для документов без срока действия: " + ", ".join(
        name for code, name in DOCUMENT_TYPES if code in OPEN_ENDED_DOCUMENT_TYPES) + ".")
    # Required unless «Бессрочно» (checked in validate: the field is hidden then).
    expires_on = RuDateField("Действует до", [Optional()], description="ДД.ММ.ГГГГ")
    submit = SubmitField("Загрузить")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.expires_on.flags.required = True

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        if self.open_ended.data:
            # The date field is hidden: what it holds is neither judged nor stored.
            self.expires_on.errors = []
            self.expires_on.data = None
            if self.doc_type.data and self.doc_type.data not in OPEN_ENDED_DOCUMENT_TYPES:
                self.open_ended.errors = ["Документ этого вида имеет срок действия: снимите отметку "
                                          "«Бессрочно» и укажите дату «Действует до»"]
        elif not self.expires_on.errors:
            if self.expires_on.data is None:
                self.expires_on.errors = [REQUIRED]
            elif self.doc_date.data and self.expires_on.data < self.doc_date.data:
                self.expires_on.errors = ["Срок действия не может закончиться раньше даты документа"]
        return not any(f.errors for f in self)

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
