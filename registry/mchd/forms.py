"""Forms of «Доверенности (МЧД)»: the files of an МЧД, or its number and the principal's ИНН."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import Length, Optional, ValidationError

from ..core.forms import Form, Required
from ..identifiers import check_inn, digits
from ..members.models import Role
from .document import is_guid


class UploadForm(Form):
    organization = HiddenField()
    xml = FileField("Файл доверенности (XML или архив ZIP)", [FileRequired("Выберите файл доверенности")],
                    description="XML-файл в формате ФНС 003 (EMCHD_1) или 002 под тем именем, с которым "
                                "он выгружен (ИдФайл); архив ZIP с XML и подписью, как его выдаёт реестр "
                                "доверенностей; или присоединённая подпись, содержащая XML.")
    signature = FileField("Файл подписи (.sig)", [Optional()],
                          description="Открепленная подпись руководителя к этому XML-файлу (DER или "
                                      "base64). Не нужна, если подпись в архиве или присоединённая.")
    parent_xml = FileField("Исходная доверенность (XML)", [Optional()],
                           description="Только для передоверия, если исходной доверенности нет в "
                                       "реестре доверенностей.")
    parent_signature = FileField("Подпись исходной доверенности (.sig)", [Optional()])
    submit = SubmitField("Проверить и загрузить")

    def validate_parent_signature(self, field):
        if bool(self.parent_xml.data) != bool(field.data):
            raise ValidationError("Для передоверия загрузите и XML-файл, и подпись исходной доверенности")

    def parent(self, xml_limit: int, signature_limit: int) -> list[tuple[bytes, bytes]]:
        if not self.parent_xml.data or not self.parent_signature.data:
            return []
        return [(self.read(self.parent_xml, xml_limit), self.read(self.parent_signature, signature_limit))]

    def read(self, field, limit: int) -> bytes:
        """At most ``limit`` + 1 bytes of an uploaded file (more is refused by the checks)."""
        return field.data.read(limit + 1)

    @staticmethod
    def size(field) -> int:
        """The uploaded file's real size (the stream is a spooled file: seekable)."""
        stream = field.data.stream
        where = stream.tell()
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(where)
        return size


class LookupForm(Form):
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


class PowerRuleForm(Form):
    """A row of the operator's table: a power's code, its name and the roles it gives."""

    code = StringField("Код полномочия (КодПолн)", [Required(), Length(
        min=6, max=255, message="Код полномочия — от 6 до 255 символов без пробелов, как КодПолн в доверенности")],
                       description="Как в доверенности: код из классификатора полномочий ФНС.")
    name = StringField("Наименование полномочия", [Required(), Length(max=255, message="Не более 255 символов")])
    submit = SubmitField("Сохранить")

    def chosen(self) -> set[Role]:
        return {role for role in Role if getattr(self, f"role_{role.value}").data}

    def role_fields(self):
        return [getattr(self, f"role_{role.value}") for role in Role]


for _role in Role:
    setattr(PowerRuleForm, f"role_{_role.value}", BooleanField(_role.title))


def rule_form(found) -> PowerRuleForm:
    """The form empty, or filled with a row of the table to change it."""
    if found is None:
        return PowerRuleForm(formdata=None)
    return PowerRuleForm(formdata=None, data={"code": found.code, "name": found.name}
                         | {f"role_{r}": True for r in found.roles or []})


class DeleteRuleForm(Form):
    code = HiddenField()
    submit = SubmitField("Удалить")
