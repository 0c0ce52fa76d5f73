"""Forms of joining an organization, the member card, the journal filter and the operator."""

from __future__ import annotations

from datetime import date, datetime

from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..auth.forms import _strip as strip
from ..core.forms import Form, date_error
from ..identifiers import check_inn, check_ogrn, check_ogrnip, digits
from .models import ROLE_DESCRIPTIONS, MemberStatus, Role


class FindOrganizationForm(Form):
    query = StringField("ИНН, ОГРН или ОГРНИП организации", [InputRequired("Обязательное поле")],
                        description="Организация должна быть зарегистрирована в реестре")
    find = SubmitField("Найти")

    def validate_query(self, field):
        q = digits(field.data)
        check = {10: check_inn, 12: check_inn, 13: check_ogrn, 15: check_ogrnip}.get(len(q))
        if check is None or not q.isdigit():
            raise ValidationError("Введите ИНН (10 или 12 цифр), ОГРН (13) или ОГРНИП (15)")
        message = check(q)
        if message:
            raise ValidationError(message)
        field.data = q


class JoinForm(Form):
    organization = HiddenField()
    unit = SelectField("Где вы работаете", choices=[], validate_choice=False)
    position = StringField("Должность", [Optional(), Length(max=200, message="Не более 200 символов")],
                           filters=[strip])
    department = StringField("Подразделение (отдел)", [Optional(), Length(max=200, message="Не более 200 символов")],
                             filters=[strip])
    submit = SubmitField("Присоединиться")


def units(organization) -> list[tuple[str, str]]:
    """Where in an organization one may work: the head organization, then its ТОП."""
    found = [("", f"{organization.name} (головная организация)")]
    for branch in (organization.data or {}).get("branches") or []:
        found.append((branch["id"], branch.get("name") or "Подразделение"))
    return found


def join_form(organization, user) -> JoinForm:
    """The join form of an organization, with the person's position and department."""
    form = JoinForm(formdata=None, data={"organization": organization.id, "position": user.position,
                                         "department": user.department})
    form.unit.choices = units(organization)
    return form


def role_description(role: Role) -> str:
    """What a role allows (the guide's table 1), as a sentence for the role card."""
    text = "; ".join(ROLE_DESCRIPTIONS[role])
    return text[:1].upper() + text[1:] + "."


class RolesForm(Form):
    """The member card: one checkbox per role; ``version`` guards against concurrent saves."""

    role_admin = BooleanField(Role.ADMIN.title, description=role_description(Role.ADMIN))
    role_dmdk_participant = BooleanField(Role.DMDK_PARTICIPANT.title,
                                         description=role_description(Role.DMDK_PARTICIPANT))
    role_batch_operations = BooleanField(Role.BATCH_OPERATIONS.title,
                                         description=role_description(Role.BATCH_OPERATIONS))
    role_applications = BooleanField(Role.APPLICATIONS.title,
                                     description=role_description(Role.APPLICATIONS))
    version = HiddenField()
    submit = SubmitField("Сохранить")
    # Saving no role takes the member out of the organization: asked first, then confirmed.
    confirm_remove = HiddenField()
    remove = SubmitField("Удалить из организации")

    def role_fields(self):
        return [getattr(self, f"role_{role.value}") for role in Role]

    def chosen(self) -> set[Role]:
        return {role for role in Role if getattr(self, f"role_{role.value}").data}

    def removal_confirmed(self) -> bool:
        return self.confirm_remove.data == "1"

    def expected_version(self) -> int:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return -1


def roles_form(member) -> RolesForm:
    """The member card's form showing the roles saved now, with the current version."""
    return RolesForm(formdata=None, data={f"role_{r}": True for r in member.roles or []}
                     | {"version": member.version})


class SwitchOrganizationForm(Form):
    """The header's choice of the current organization (rendered as plain HTML on every page)."""

    org_id = IntegerField(validators=[InputRequired()])
    next = HiddenField()


class ConfirmHeadForm(Form):
    """The new head confirms a change of the head that ЕГРЮЛ shows."""

    submit = SubmitField("Подтвердить: я руководитель организации")


class TakeRoleForm(Form):
    """«Назначить себе роль» on the page that refused an administrator."""

    role = HiddenField(validators=[InputRequired()])
    next = HiddenField()

    def validate_role(self, field):
        if field.data not in {r.value for r in Role}:
            raise ValidationError("Нет такой роли")


STATUS_FILTER = [("", "Все"), *[(s.value, s.title) for s in MemberStatus]]


class StatusFilterForm(Form):
    class Meta:
        csrf = False

    status = SelectField("Статус", choices=STATUS_FILTER, validate_choice=False)


EVENT_TITLES = {
    "registered": "Регистрация организации",
    "join": "Присоединение сотрудника",
    "roles": "Изменение ролей",
    "profile": "Изменение профиля",
    "sign_in": "Вход в реестр",
    "blocked": "Блокировка",
    "unblocked": "Снятие блокировки",
    "documents": "Документы организации",
    "applications": "Заявления",
    "exchange": "Профили информационного обмена",
    "mchd": "Доверенности (МЧД)",
    "egrul_head": "ЕГРЮЛ: смена руководителя",
    "egrul_confirmed": "ЕГРЮЛ: смена руководителя подтверждена",
    "egrul_status": "ЕГРЮЛ: реорганизация или ликвидация",
    "egrul_liquidated": "ЕГРЮЛ: организация ликвидирована",
}


class JournalFilterForm(Form):
    class Meta:
        csrf = False

    event = SelectField("Событие", choices=[("", "Все"), *EVENT_TITLES.items()], validate_choice=False)
    person = StringField("Сотрудник", description="Часть ФИО")
    date_from = StringField("С даты", description="ДД.ММ.ГГГГ")
    date_to = StringField("По дату", description="ДД.ММ.ГГГГ")

    def dates(self) -> tuple[date | None, date | None]:
        """The typed days (ДД.ММ.ГГГГ, local days); a badly typed one gets the field's error
        and does not filter."""
        return _day(self.date_from), _day(self.date_to)


def _day(field) -> date | None:
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        field.errors = [date_error(text)]
        return None


def local_target(target: str | None) -> str | None:
    """Where a «next» field may send the person: a path of this site only."""
    target = target or ""
    return target if target.startswith("/") and not target.startswith("//") else None
