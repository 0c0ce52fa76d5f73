"""The wizard's forms, one per step, each validated on the server (spec §4)."""

from __future__ import annotations

import re
from datetime import date

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Email, Length, Optional, ValidationError

from .. import identifiers as ids
from ..core import clock
from ..core.forms import DATE_ERROR, REQUIRED, ChoiceField, Form, Required, RuDateField
from ..refdata.dictionaries import APPLICANT_CATEGORIES, IDENTITY_DOCUMENT_TYPES, countries


def checksum(check, **kwargs):
    def validate(form, field):
        if field.data and field.data.strip():
            message = check(field.data, **kwargs)
            if message:
                raise ValidationError(message)
            field.data = ids.digits(field.data).upper()
    return validate


def phone_number(form, field):
    if field.data and field.data.strip():
        number = re.sub(r"[\s()\-]", "", field.data)
        if not re.fullmatch(r"\+?\d{10,15}", number):
            raise ValidationError("Укажите 10–15 цифр, например +7 495 123-45-67")


def website_url(form, field):
    if field.data and field.data.strip():
        value = field.data.strip()
        if not re.match(r"^https?://", value):
            value = "https://" + value
        if not re.fullmatch(r"https?://[\w.-]+\.[\w-]{2,}(:\d+)?(/\S*)?", value):
            raise ValidationError("Укажите адрес вида https://example.ru")
        field.data = value


def postal_code(form, field):
    if field.data and field.data.strip():
        if not re.fullmatch(r"\d{6}", field.data.strip()):
            raise ValidationError("Укажите 6 цифр, например 125009")


def in_the_past(form, field):
    if field.data:
        if field.data >= clock.today():
            raise ValidationError("Дата должна быть в прошлом")
        if field.data.year < 1900:
            raise ValidationError("Проверьте год")


class SnilsField(StringField):
    """A СНИЛС, stored as 11 digits and shown as people write it (123-456-789 01)."""

    def _value(self) -> str:
        return ids.format_snils(self.data) if self.data else super()._value()


class RadioChoiceField(RadioField):
    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError("Выберите один из вариантов")


def mark_required(form, names) -> None:
    """Show the required mark on fields that are required only in some cases."""
    for name in names:
        form[name].flags.required = True


class WizardForm(Form):
    back = SubmitField("Назад")
    next = SubmitField("Далее")


class SearchForm(Form):
    query = StringField("ОГРН, ОГРНИП или ИНН", [Required()],
                        description="13 цифр ОГРН, 15 цифр ОГРНИП, 10 или 12 цифр ИНН")
    submit = SubmitField("Найти")


class ManualForm(Form):
    """Requisites typed by hand when ЕГРЮЛ does not know the organization."""

    full_name = StringField("Полное наименование", [Required(), Length(max=500)])
    short_name = StringField("Сокращённое наименование", [Optional(), Length(max=300)])
    ogrn = StringField("ОГРН / ОГРНИП", [Required()])
    inn = StringField("ИНН", [Required(), checksum(ids.check_inn)])
    kpp = StringField("КПП", [Optional(), checksum(ids.check_kpp)], description="Для юридического лица")
    address = StringField("Адрес места нахождения", [Required(), Length(max=500)])
    submit = SubmitField("Продолжить без подтверждения ЕГРЮЛ")

    def validate_ogrn(self, field):
        value = ids.digits(field.data)
        message = ids.check_ogrnip(value) if len(value) == 15 else ids.check_ogrn(value)
        if message:
            raise ValidationError(message)
        field.data = value

    def validate_kpp(self, field):
        if len(ids.digits(self.ogrn.data)) == 13 and not (field.data or "").strip():
            raise ValidationError("Для юридического лица укажите КПП")


class GeneralForm(WizardForm):
    email = StringField("Адрес электронной почты", [Required(), Email("Проверьте адрес электронной почты"),
                                                     Length(max=254)])
    phone = StringField("Телефон", [Required(), phone_number])
    fax = StringField("Факс", [Optional(), phone_number])
    website = StringField("Адрес официального сайта", [Optional(), website_url, Length(max=300)])
    applicant_category = ChoiceField("Категория заявителя", [Required()],
                                     choices=[("", "— выберите —"), *APPLICANT_CATEGORIES])
    postal_same = BooleanField("Совпадает с юридическим")
    # No Optional(): it would stop the chain before the "unless same as legal" checks below.
    postal_index = StringField("Почтовый индекс", [postal_code])
    postal_address = StringField("Почтовый адрес", [Length(max=500)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mark_required(self, ("postal_index", "postal_address"))

    def other_kinds_fields(self) -> list[str]:
        """The postal fields when the postal address is the legal one: hidden, so neither
        judged nor stored (what was typed there is dropped)."""
        return ["postal_index", "postal_address"] if self.postal_same.data else []

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        for name in self.other_kinds_fields():
            self[name].errors = []
        return not any(f.errors for f in self)

    def validate_postal_address(self, field):
        if not self.postal_same.data and not (field.data or "").strip():
            raise ValidationError("Укажите почтовый адрес или отметьте «Совпадает с юридическим»")

    def validate_postal_index(self, field):
        if not self.postal_same.data and not (field.data or "").strip():
            raise ValidationError("Укажите почтовый индекс")


class OkvedForm(WizardForm):
    main = StringField("Основной вид деятельности", [Required("Укажите основной вид деятельности")],
                       description="Ровно один код, например 32.12")
    auxiliary_1 = StringField("Вспомогательный вид деятельности (1)", [Optional()])
    auxiliary_2 = StringField("Вспомогательный вид деятельности (2)", [Optional()])
    others = TextAreaField("Прочие виды деятельности", [Optional()],
                           description="По одному коду в строке или через запятую")
    notes = TextAreaField("Пояснения к кодам ОКВЭД", [Optional(), Length(max=2000)])
    q = StringField("Найти код ОКВЭД2", [Optional()],
                    description="Начало кода (например 32.1) или слова из названия (например «ювелирн»)")
    search = SubmitField("Найти")


HEAD_KINDS = [("person", "Физическое лицо"), ("legal", "Юридическое лицо"),
              ("foreign", "Юридическое лицо — зарубежная организация")]


class IdentityMixin:
    doc_type = ChoiceField("Документ, удостоверяющий личность", choices=[("", "— выберите —"),
                                                                          *IDENTITY_DOCUMENT_TYPES])
    doc_series = StringField("Серия")
    doc_number = StringField("Номер")
    doc_date = RuDateField("Дата выдачи", [Optional(), in_the_past])
    doc_issuer = StringField("Кем выдан", [Optional(), Length(max=300)])

    def identity_errors(self) -> None:
        """Required-ness and the passport's own format (series 4 digits, number 6 digits)."""
        ok = True
        for f in (self.doc_type, self.doc_number):
            if not (f.data or "").strip():
                f.errors.append(REQUIRED)
                ok = False
        if ok and self.doc_type.data == "21":
            series = re.sub(r"\s", "", self.doc_series.data or "")
            number = re.sub(r"\s", "", self.doc_number.data or "")
            if not re.fullmatch(r"\d{4}", series):
                self.doc_series.errors.append("Серия паспорта РФ — 4 цифры, например 45 08")
                ok = False
            if not re.fullmatch(r"\d{6}", number):
                self.doc_number.errors.append("Номер паспорта РФ — 6 цифр")
                ok = False
        return ok


class HeadForm(IdentityMixin, WizardForm):
    kind = RadioChoiceField("Кто является руководителем", choices=HEAD_KINDS, default="person")
    surname = StringField("Фамилия")
    given = StringField("Имя")
    patronymic = StringField("Отчество")
    birth_date = RuDateField("Дата рождения", [Optional(), in_the_past])
    inn = StringField("ИНН", [Optional(), checksum(ids.check_inn, length=12)],
                      description="Необязательно. 12 цифр")
    snils = SnilsField("СНИЛС", [Optional(), checksum(ids.check_snils)],
                        description="Необязательно. Например 112-233-445 95")
    reg_address = StringField("Адрес регистрации", [Optional(), Length(max=500)])
    actual_address = StringField("Адрес фактического проживания", [Optional(), Length(max=500)])
    le_full_name = StringField("Полное наименование", [Optional(), Length(max=500)])
    le_short_name = StringField("Сокращённое наименование", [Optional(), Length(max=300)])
    le_inn = StringField("ИНН", [Optional(), checksum(ids.check_inn, length=10)])
    le_kpp = StringField("КПП", [Optional(), checksum(ids.check_kpp)])
    le_ogrn = StringField("ОГРН", [Optional(), checksum(ids.check_ogrn)])
    le_address = StringField("Адрес места нахождения", [Optional(), Length(max=500)])
    fo_name = StringField("Наименование", [Optional(), Length(max=500)])
    fo_short_name = StringField("Сокращённое наименование", [Optional(), Length(max=300)])
    fo_ident = StringField("Идентификационный номер", [Optional(), Length(max=50)])
    fo_country = ChoiceField("Страна регистрации", choices=[("", "— выберите —"), *countries()])

    REQUIRED_BY_KIND = {
        "person": ("surname", "given", "birth_date", "reg_address", "actual_address"),
        "legal": ("le_full_name", "le_short_name", "le_inn", "le_kpp", "le_ogrn", "le_address"),
        "foreign": ("fo_name", "fo_short_name", "fo_ident", "fo_country"),
    }
    # Every field of each variant: only the chosen variant is judged and stored.
    FIELDS_BY_KIND = {
        "person": ("surname", "given", "patronymic", "birth_date", "inn", "snils", "doc_type",
                   "doc_series", "doc_number", "doc_date", "doc_issuer", "reg_address",
                   "actual_address"),
        "legal": ("le_full_name", "le_short_name", "le_inn", "le_kpp", "le_ogrn", "le_address"),
        "foreign": ("fo_name", "fo_short_name", "fo_ident", "fo_country"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The page's order (the identity fields, declared first in their mixin, come after the
        # person's name and numbers): the error summary lists the errors in that order.
        order = ["kind", *(n for names in self.FIELDS_BY_KIND.values() for n in names)]
        self._fields = {**{n: self._fields[n] for n in order},
                        **{n: f for n, f in self._fields.items() if n not in order}}
        mark_required(self, [n for names in self.REQUIRED_BY_KIND.values() for n in names])
        mark_required(self, ("doc_type", "doc_number"))

    def other_kinds_fields(self) -> list[str]:
        """Fields of the variants not chosen: they are neither judged nor stored."""
        return [name for kind, names in self.FIELDS_BY_KIND.items() if kind != self.kind.data
                for name in names]

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        for name in self.other_kinds_fields():
            self[name].errors = []
        ok = not any(f.errors for f in self)
        for name in self.REQUIRED_BY_KIND.get(self.kind.data, ()):
            f = self[name]
            if not f.errors and (f.data is None or (isinstance(f.data, str) and not f.data.strip())):
                f.errors.append(DATE_ERROR if isinstance(f, DateField) and f.raw_data and f.raw_data[0] else REQUIRED)
                ok = False
        if self.kind.data == "person":
            ok = self.identity_errors() and ok
        return ok


class PremisesForm(Form):
    address = StringField("Адрес объекта", [Required(), Length(max=500)])
    postal_index = StringField("Почтовый индекс", [Optional(), postal_code])
    cadastral_number = StringField("Кадастровый номер", [Optional(), Length(max=40)],
                                   description="Например 77:01:0001001:1234")
    purpose = StringField("Назначение", [Optional(), Length(max=200)], description="Склад, магазин, мастерская…")
    item = HiddenField()
    save = SubmitField("Сохранить объект")

    def validate_cadastral_number(self, field):
        if field.data and not re.fullmatch(r"\d{2}:\d{2}:\d{6,7}:\d+", field.data.strip()):
            raise ValidationError("Укажите номер вида 77:01:0001001:1234")


BRANCH_KINDS = [("branch", "Филиал"), ("representative", "Представительство"),
                ("other", "Иное обособленное подразделение")]


class BranchForm(Form):
    kind = ChoiceField("Вид подразделения", [Required()], choices=BRANCH_KINDS)
    name = StringField("Наименование", [Required(), Length(max=500)])
    kpp = StringField("КПП", [Required(), checksum(ids.check_kpp)])
    address = StringField("Адрес", [Required(), Length(max=500)])
    okved = TextAreaField("Виды деятельности (ОКВЭД2)", [Required("Укажите хотя бы один код ОКВЭД2")],
                          description="Хотя бы один код; по одному в строке или через запятую")
    item = HiddenField()
    save = SubmitField("Сохранить подразделение")


class BeneficiaryForm(IdentityMixin, Form):
    surname = StringField("Фамилия", [Required(), Length(max=150)])
    given = StringField("Имя", [Required(), Length(max=150)])
    patronymic = StringField("Отчество", [Optional(), Length(max=150)])
    birth_date = RuDateField("Дата рождения", [Required(), in_the_past])
    inn = StringField("ИНН", [Optional(), checksum(ids.check_inn, length=12)],
                      description="Необязательно. 12 цифр")
    snils = SnilsField("СНИЛС", [Optional(), checksum(ids.check_snils)],
                        description="Необязательно. Например 112-233-445 95")
    reg_address = StringField("Адрес регистрации", [Required(), Length(max=500)])
    actual_address = StringField("Адрес фактического проживания", [Required(), Length(max=500)])
    active = BooleanField("Действующий", default=True)
    valid_until = RuDateField("Сведения действительны до", [Optional()])
    item = HiddenField()
    save = SubmitField("Сохранить бенефициара")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mark_required(self, ("doc_type", "doc_number"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        ok = self.identity_errors() and ok
        if not self.active.data and not self.valid_until.data and not self.valid_until.errors:
            self.valid_until.errors.append("Укажите дату, до которой сведения были действительны")
            ok = False
        if self.active.data and self.valid_until.data:  # the guide: a date only when not current
            self.valid_until.errors.append("Дата указывается, только если бенефициар не действующий: "
                                           "очистите поле или снимите отметку «Действующий»")
            ok = False
        return ok


class ReviewForm(WizardForm):
    next = SubmitField("Зарегистрировать")


class ListStepForm(WizardForm):
    """«Назад»/«Далее» on a list step (the items have their own forms)."""


class RemoveForm(Form):
    item = HiddenField()
    remove = SubmitField("Удалить")


class StartEditForm(Form):
    submit = SubmitField("Редактировать")


class DiscardForm(Form):
    submit = SubmitField("Отменить изменения")


# -- values: what a step stores, and checking stored values again -------------------------------
SECTION_FORMS = {"general": GeneralForm, "okved": OkvedForm, "head": HeadForm,
                 "premises": PremisesForm, "branches": BranchForm, "beneficiaries": BeneficiaryForm}
_NOT_VALUES = ("csrf_token", "back", "next", "save", "item", "submit", "search", "q", "pick")


def values(form) -> dict:
    """The form's data as stored in a draft: stripped strings, ISO dates, booleans (a variant
    not chosen, such as the other kinds of head, is not stored)."""
    result = {}
    skipped = set(form.other_kinds_fields()) if hasattr(form, "other_kinds_fields") else set()
    for f in form:
        if f.name in _NOT_VALUES or f.type in ("SubmitField", "CSRFTokenField") or f.name in skipped:
            continue
        data = f.data
        if isinstance(data, date):
            data = data.isoformat()
        elif isinstance(data, str):
            data = data.strip()
        elif data is None:
            data = ""
        result[f.name] = data
    return result


def raw(form_data) -> dict:
    """What was typed, unjudged (request.form without buttons and the token)."""
    return {k: v for k, v in form_data.items() if k not in _NOT_VALUES}


def formdata(stored: dict):
    """A MultiDict a form can be filled from, from stored values or typed text."""
    from werkzeug.datastructures import MultiDict
    data = MultiDict()
    for key, value in (stored or {}).items():
        if value is True:
            data[key] = "y"
        elif value in (False, None):
            continue
        else:
            data[key] = str(value)
    return data


def build(section: str, stored: dict | None = None, **kwargs):
    """The form of a section, filled from stored values (for showing, not for a POST)."""
    return SECTION_FORMS[section](formdata=formdata(stored or {}), **kwargs)


def _errors(section: str, stored: dict) -> dict[str, list[str]]:
    form = SECTION_FORMS[section](formdata=formdata(stored), meta={"csrf": False})
    form.validate()
    return {name: list(errs) for name, errs in form.errors.items() if name not in _NOT_VALUES}


section_errors = _errors
item_errors = _errors


def label(section: str, name: str) -> str:
    """The Russian label of a stored field (for history and review)."""
    form_class = SECTION_FORMS.get(section)
    unbound = getattr(form_class, name, None) if form_class else None
    text = unbound.kwargs.get("label") if unbound is not None and hasattr(unbound, "kwargs") else None
    if text is None and unbound is not None and getattr(unbound, "args", None):
        text = unbound.args[0]
    return text or {"kind": "Вид", "id": "Идентификатор"}.get(name, name)


def choice_title(section: str, name: str, value) -> str | None:
    """The title a stored choice code is shown by (``"producer"`` -> its Russian title), if the
    field offers choices and ``value`` is one of them."""
    form_class = SECTION_FORMS.get(section)
    unbound = getattr(form_class, name, None) if form_class else None
    choices = unbound.kwargs.get("choices") if unbound is not None and hasattr(unbound, "kwargs") else None
    if callable(choices):
        choices = choices()
    for choice in choices or []:
        if isinstance(choice, (tuple, list)) and len(choice) >= 2 and str(choice[0]) == str(value):
            return str(choice[1])
    return None


# -- which button a wizard page's POST pressed --------------------------------------------------
def is_typeahead(step: str, form, form_data) -> bool:
    """The no-script ОКВЭД typeahead: «Найти», or a found code's button (``pick``)."""
    return step == "okved" and bool(form.search.data or form_data.get("pick"))


def list_post(step: str, form_data):
    """A list step's POST: the action asked for (``remove``, ``save``, ``back``, ``next``) and
    the form that sent it, bound to the request."""
    action = form_data.get("action")
    if action == "remove":
        return "remove", RemoveForm()
    if action == "save":
        return "save", SECTION_FORMS[step]()
    nav = ListStepForm()
    return ("back" if nav.back.data else "next"), nav


def item_id(form) -> str | None:
    """The list item a form edits or removes (None: a new one, or not an item's form)."""
    return (form.item.data or None) if "item" in form else None


def edit_item(step: str, stored: dict, editing: str):
    """The form of a list item opened for editing."""
    form = build(step, stored)
    form.item.data = editing
    return form


def add_errors(form, errors: dict[str, list[str]]) -> None:
    """Show errors of rules the server checks beside the form's own (names the form no
    longer has are left out)."""
    for name, messages in errors.items():
        if name in form:
            form[name].errors = list(form[name].errors) + list(messages)


def field_errors(form) -> dict[str, list[str]]:
    """The errors of a validated form's fields, as a draft keeps them (not the token's: a
    bad token never reaches a view)."""
    return {name: list(messages) for name, messages in form.errors.items()
            if name is not None and name not in _NOT_VALUES}


def manual_prefilled(query: str) -> ManualForm:
    """The manual-entry form with the ОГРН or ИНН that was searched for."""
    q = ids.digits(query)
    return ManualForm(formdata=None, data={"ogrn": q if len(q) in (13, 15) else "",
                                           "inn": q if len(q) in (10, 12) else ""})


def review_form(editing: bool) -> ReviewForm:
    form = ReviewForm()
    if editing:
        form.next.label.text = "Сохранить изменения"
    return form
