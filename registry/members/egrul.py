"""ЕГРЮЛ changes of registered organizations: a newer extract's head, status or end.

``registry egrul import`` hands :func:`on_import` the newer records of registered
organizations (see ``refdata.egrul.watch_registered``). Each change is kept (old → new, when detected),
written to the organization journal and told to the administrators and the head; a new head
suspends the previous head's administrator role until the new head signs in and confirms
(:func:`confirm_head`); a liquidated organization becomes read-only with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from flask import current_app, has_request_context, url_for
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..auth.models import User
from ..core import access, signals, uow
from ..core.journal import record
from ..core.web import local_datetime
from ..extensions import db, utcnow
from ..notices.services import notify
from ..organizations.models import EgrulChange, Organization
from ..organizations.services.egrul_check import check_head
from ..refdata import services as refdata
from ..text import agree, genitive
from .models import Membership, MemberStatus, Permission, Role
from .services.memberships import MemberError, administrators, membership

NOTICE_KIND = "egrul_change"
CHUNK = 500
HEAD_FIELDS = ("surname", "given", "patronymic", "inn", "title")
# СЮЛСТ codes of ``СвСтатус`` (egrul.xsd): liquidation or striking off under way ...
ENDING_CODES = frozenset({"101", "105", "106", "107", "701", "702", "801"})
# ... and the forms of reorganization (more than 120 and less than 200).
REORGANIZATION_CODES = range(121, 200)


def status_kind(code: str | None, text: str | None) -> str | None:
    """``"reorganization"``, ``"liquidation"`` (under way) or None for a status that matters."""
    if code and code.isdigit() and int(code) in REORGANIZATION_CODES:
        return "reorganization"
    if code in ENDING_CODES:
        return "liquidation"
    lowered = (text or "").lower()
    if "реорганиз" in lowered:
        return "reorganization"
    if "ликвидац" in lowered or "исключ" in lowered:
        return "liquidation"
    return None


def head_name(head: dict | None) -> str:
    head = head or {}
    name = " ".join(p for p in (head.get("surname"), head.get("given"), head.get("patronymic")) if p)
    return name or head.get("full_name") or "не указан"


def head_text(head: dict | None) -> str:
    """«Фамилия Имя Отчество (ИНН …), должность» as the journal and the page say it."""
    head = head or {}
    text = head_name(head)
    if head.get("inn"):
        text += f" (ИНН {head['inn']})"
    if head.get("title"):
        text += f", {head['title'].lower() if head['title'].isupper() else head['title']}"
    return text


def _same_head(a: dict, b: dict) -> bool:
    """The same ФИО, and the same ИНН and position where both records give them (what was
    known at registration may lack the position)."""
    def norm(value):
        return refdata.normalize_search(str(value or ""))
    if a.get("kind", "person") != b.get("kind", "person"):
        return False
    if a.get("kind") == "legal_entity":
        return (a.get("ogrn"), a.get("inn")) == (b.get("ogrn"), b.get("inn"))
    return all(norm(a.get(k)) == norm(b.get(k)) for k in HEAD_FIELDS
               if k in ("surname", "given", "patronymic") or (a.get(k) and b.get(k)))


def _extract(value) -> str:
    return f"выписка ЕГРЮЛ от {value:%d.%m.%Y}" if isinstance(value, date) else "выписка ЕГРЮЛ"


# -- detection ------------------------------------------------------------------------------------
def on_import(changes: list[dict]) -> None:
    """Record what the newer records of registered organizations change (in the import's
    unit of work; organizations are loaded a chunk at a time)."""
    merged: dict[str, dict] = {}
    for item in changes:  # the same organization in two files: from the first old to the last new
        known = merged.get(item["ogrn"])
        merged[item["ogrn"]] = {**item, "old": known["old"]} if known else item
    ogrns = list(merged)
    found: list[EgrulChange] = []
    for start in range(0, len(ogrns), CHUNK):
        for organization in db.session.scalars(
                select(Organization).where(Organization.ogrn.in_(ogrns[start:start + CHUNK]))):
            item = merged[organization.ogrn]
            found += detect(organization, item["old"] or organization.party or {}, item["new"])
    db.session.flush()
    if found:
        signals.send(signals.egrul_changes_found, changes=found)


def detect(organization: Organization, old: dict, new: dict) -> list[EgrulChange]:
    """The changes ``new`` (a newer record) brings against ``old`` (what was known)."""
    found: list[EgrulChange] = []
    when = new.get("extract_date")
    if isinstance(when, str):
        when = date.fromisoformat(when)
    old_head, new_head = old.get("head"), new.get("head")
    if old_head and new_head and not _same_head(old_head, new_head):
        found.append(head_changed(organization, old_head, new_head, when))
    if new.get("liquidated"):
        if not organization.is_liquidated:
            found.append(liquidated(organization, new, when))
        return found
    kind = status_kind(new.get("status_code"), new.get("status"))
    before = (old.get("status_code"), old.get("status"))
    if kind is not None and (new.get("status_code"), new.get("status")) != before:
        found.append(status_changed(organization, old, new, kind, when))
    return found


def _notify(people: Iterable[User | None], change: EgrulChange, subject: str, body: str, url: str) -> None:
    seen: set[int] = set()
    for person in people:
        if person is None or person.id in seen:
            continue
        seen.add(person.id)
        notify(person, NOTICE_KIND, f"egrul:{change.id}", subject, body, url=url,
               organization=change.organization)


def _url(endpoint: str, **values) -> str:
    """The page's path, in a request or not (the import runs from the command line)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _new_head_user(head: dict) -> User | None:
    inn = head.get("inn")
    return db.session.scalar(select(User).where(User.inn == inn)) if inn else None


def _previous_head(admins: list[Membership], old_head: dict, new_head: dict) -> Membership | None:
    """The administrator who was the head by the older record (by ИНН, else by ФИО)."""
    for member in admins:
        user = member.user
        if new_head.get("inn") and user.inn == new_head.get("inn"):
            continue  # the same person stays the head (e.g. only the position changed)
        if old_head.get("inn") and user.inn == old_head.get("inn"):
            return member
        if not old_head.get("inn") and refdata.normalize_search(user.full_name or "") == \
                refdata.normalize_search(head_name(old_head)):
            return member
    return None


def head_changed(organization: Organization, old_head: dict, new_head: dict,
                 when: date | None) -> EgrulChange:
    """A new head: kept open until they confirm; the previous head's administrator role is
    suspended meanwhile; the administrators and the new head are told."""
    for earlier in db.session.scalars(select(EgrulChange).where(
            EgrulChange.organization_id == organization.id, EgrulChange.kind == EgrulChange.KIND_HEAD,
            EgrulChange.status == EgrulChange.OPEN)):
        earlier.status, earlier.closed_at = EgrulChange.CLOSED, utcnow()  # a later extract supersedes it
    admins = administrators(organization)
    summary = f"Руководитель по ЕГРЮЛ: {head_text(old_head)} → {head_text(new_head)} ({_extract(when)})"
    change = EgrulChange(organization_id=organization.id, kind=EgrulChange.KIND_HEAD, old=old_head,
                         new=new_head, summary=summary, extract_date=when, new_head_inn=new_head.get("inn"))
    db.session.add(change)
    previous = _previous_head(admins, old_head, new_head)
    details = summary
    if previous is not None:
        previous.roles = sorted(set(previous.roles or []) - {Role.ADMIN.value})
        change.suspended_user_id, change.suspended_roles = previous.user_id, [Role.ADMIN.value]
        details += (f". Роль «{Role.ADMIN.title}» у {genitive(previous.user.full_name)} приостановлена "
                    "до подтверждения новым руководителем")
    db.session.flush()
    record(organization, "egrul_head", subject=previous.user_id if previous else None, details=details)
    newcomer = _new_head_user(new_head)
    url = _url("members.egrul_change", org_id=organization.id, change_id=change.id)
    body = (f"{summary}.\n"
            + (f"Роль «{Role.ADMIN.title}» у {genitive(previous.user.full_name)} приостановлена. " if previous else "")
            + "Новый руководитель должен войти в реестр со своим сертификатом и подтвердить смену "
              "на странице организации; после этого он станет администратором организации.")
    _notify([*(m.user for m in admins), newcomer], change,
            f"Сменился руководитель организации {organization.name} по ЕГРЮЛ", body, url)
    return change


def liquidated(organization: Organization, new: dict, when: date | None) -> EgrulChange:
    """The organization ended: read-only from now on, with the reason."""
    reason = (f"Организация ликвидирована по сведениям ЕГРЮЛ ({_extract(when)}; статус — "
              f"{new.get('status') or 'Ликвидировано'})")
    organization.liquidated_at, organization.liquidated_reason = utcnow(), reason
    change = EgrulChange(organization_id=organization.id, kind=EgrulChange.KIND_LIQUIDATED,
                         old=None, new={"status": new.get("status"), "liquidated": True},
                         summary=reason, extract_date=when, status=EgrulChange.CLOSED, closed_at=utcnow())
    db.session.add(change)
    db.session.flush()
    record(organization, "egrul_liquidated", details=reason + ". Организация доступна только для просмотра")
    _notify([m.user for m in administrators(organization)], change,
            f"Организация {organization.name} ликвидирована по ЕГРЮЛ",
            reason + ". Изменять сведения организации больше нельзя; просмотр и журнал доступны.",
            _url("organizations.profile", org_id=organization.id))
    return change


def status_changed(organization: Organization, old: dict, new: dict, kind: str,
                   when: date | None) -> EgrulChange:
    """Reorganization or liquidation under way: shown while it lasts, told to the administrators."""
    for earlier in db.session.scalars(select(EgrulChange).where(
            EgrulChange.organization_id == organization.id, EgrulChange.kind == EgrulChange.KIND_STATUS,
            EgrulChange.status == EgrulChange.OPEN)):
        earlier.status, earlier.closed_at = EgrulChange.CLOSED, utcnow()
    what = "реорганизации" if kind == "reorganization" else "ликвидации"
    summary = (f"Организация в процессе {what} по ЕГРЮЛ: статус «{old.get('status') or 'не указан'}» → "
               f"«{new.get('status')}» (код {new.get('status_code') or '—'}, {_extract(when)})")
    change = EgrulChange(organization_id=organization.id, kind=EgrulChange.KIND_STATUS,
                         old={"status": old.get("status"), "status_code": old.get("status_code")},
                         new={"status": new.get("status"), "status_code": new.get("status_code"),
                              "kind": kind}, summary=summary, extract_date=when)
    db.session.add(change)
    db.session.flush()
    record(organization, "egrul_status", details=summary)
    _notify([m.user for m in administrators(organization)], change,
            f"Организация {organization.name}: {what} по ЕГРЮЛ", summary + ".",
            _url("organizations.profile", org_id=organization.id))
    return change


# -- what the pages show ----------------------------------------------------------------------------
def open_changes(organization: Organization) -> list[EgrulChange]:
    """The organization's open ЕГРЮЛ changes (the page's notices read them already)."""
    return [c for c in _page_changes(organization, _viewer_id()) if c.is_open]


def _told_since():
    return utcnow() - timedelta(days=TOLD_DAYS)


TOLD_DAYS = 30  # how long the previous head reads on the organization page why the role is gone


def _viewer_id() -> int | None:
    from .current import _signed_in_id

    return _signed_in_id() if has_request_context() else None


# Built once (every organization page runs it): SQLAlchemy keeps the cache key of a prebuilt
# statement. A viewer of None matches no suspended_user_id (NULL = NULL is not true).
_PAGE_CHANGES = (
    # the people only where there are changes (most pages have none): no joins to set up
    select(EgrulChange).options(selectinload(EgrulChange.suspended_user), selectinload(EgrulChange.closed_by))
    .where(EgrulChange.organization_id == bindparam("org_id"),
           or_(EgrulChange.status == EgrulChange.OPEN,
               and_(EgrulChange.kind == EgrulChange.KIND_HEAD,
                    EgrulChange.suspended_user_id == bindparam("viewer"),
                    EgrulChange.closed_by_id.is_not(None),
                    EgrulChange.closed_at >= bindparam("since", type_=EgrulChange.closed_at.type))))
    .order_by(EgrulChange.id))


_PAGE_KEY = "registry_egrul_page_changes"


def _page_changes(organization: Organization, viewer: int | None) -> list[EgrulChange]:
    """The open changes, and a head change confirmed lately that took the viewer's role (one
    statement per page: its notices and its link to the confirmation read them)."""
    cache = uow.read_cache(_PAGE_KEY)
    key = (organization.id, viewer)
    if key not in cache:
        cache[key] = list(db.session.scalars(_PAGE_CHANGES, {
            "org_id": organization.id, "viewer": viewer, "since": _told_since()}))
    return cache[key]


def _role_taken(change: EgrulChange) -> str:
    who = change.closed_by.full_name if change.closed_by else head_name(change.new)
    return (f"Роль «{Role.ADMIN.title}» у вас снята {local_datetime(change.closed_at, '%d.%m.%Y')}: "
            f"новый руководитель по ЕГРЮЛ {who} {agree(who, 'подтвердил', 'подтвердила', 'подтвердил(а)')} "
            f"смену. Роли в организации теперь назначает {agree(who, 'он', 'она', 'новый руководитель')}.")


def notices(organization: Organization) -> list[tuple[str, str]]:
    """The organization page's warnings: each open ЕГРЮЛ change; to the previous head, why
    their administrator role is gone."""
    found = []
    viewer = _viewer_id()
    for change in _page_changes(organization, viewer):
        if not change.is_open:
            found.append(("info", _role_taken(change)))
            continue
        text = f"{change.summary}."
        if change.kind == EgrulChange.KIND_HEAD:
            if change.suspended_user_id is not None and change.suspended_user_id == viewer:
                text += f" Ваша роль «{Role.ADMIN.title}» приостановлена до подтверждения."
            elif change.suspended_user is not None:
                text += (f" Роль «{Role.ADMIN.title}» у {genitive(change.suspended_user.full_name)} приостановлена "
                         "до подтверждения.")
            text += " Новый руководитель подтверждает смену, войдя со своим сертификатом."
        found.append(("warning", text))
    return found


def change_or_404(organization: Organization, change_id: int) -> EgrulChange | None:
    return db.session.scalar(select(EgrulChange).where(
        EgrulChange.id == change_id, EgrulChange.organization_id == organization.id))


def _party(change: EgrulChange) -> refdata.Party:
    organization = change.organization
    return refdata.Party(kind=organization.kind, ogrn=organization.ogrn, inn=organization.inn,
                         kpp=organization.kpp, full_name=organization.full_name, head=change.new,
                         extract_date=change.extract_date)


def change_page(org_id: int, change_id: int, user: User, cert) -> tuple[Organization, EgrulChange, bool]:
    """The organization, its change and whether ``cert``'s holder may confirm it. The new head
    sees the change before being a member; members see it; for anybody else, or a change of
    another organization, it does not exist (AccessDenied: not found)."""
    organization = db.session.get(Organization, org_id)
    change = change_or_404(organization, change_id) if organization is not None else None
    confirmable = change is not None and may_confirm(change, cert)
    if not confirmable:
        access.require(user, Permission.VIEW_PROFILE, organization)
    if organization is None or change is None:
        raise access.AccessDenied(not_found=True)  # another organization's change
    return organization, change, confirmable


def confirmed_message(organization: Organization) -> str:
    return f"Смена руководителя подтверждена: вы — администратор организации {organization.name}."


def may_confirm(change: EgrulChange, cert) -> bool:
    """Whether the certificate's holder is the new head of an open head change."""
    return (change.kind == EgrulChange.KIND_HEAD and change.is_open and cert is not None
            and check_head(cert, _party(change)).ok)


_TO_CONFIRM = (  # built once (every signed-in page runs it): SQLAlchemy keeps its cache key
    select(EgrulChange).options(joinedload(EgrulChange.organization))
    .where(EgrulChange.new_head_inn == bindparam("inn"), EgrulChange.status == EgrulChange.OPEN,
           EgrulChange.kind == EgrulChange.KIND_HEAD))


_TO_CONFIRM_KEY = "registry_egrul_to_confirm"


def to_confirm(cert) -> list[EgrulChange]:
    """Open head changes whose new head holds ``cert`` (by personal ИНН): what to confirm."""
    inn = getattr(cert, "personal_inn", None)
    if not inn:
        return []
    cache = uow.read_cache(_TO_CONFIRM_KEY)
    if inn not in cache:
        cache[inn] = [c for c in db.session.scalars(_TO_CONFIRM, {"inn": inn}) if may_confirm(c, cert)]
    return cache[inn]


def confirm_head(change: EgrulChange, user: User, cert, *, remote_addr: str | None = None) -> Membership:
    """The new head confirms: they become the administrator, the change is closed, and the
    previous head's suspended role is taken away for good (the new head may give it back)."""
    if not change.is_open or change.kind != EgrulChange.KIND_HEAD:
        raise MemberError("Эта смена руководителя уже подтверждена или больше не действует.")
    check = check_head(cert, _party(change))
    if not check.ok:
        raise MemberError("Подтвердить смену может только новый руководитель организации по ЕГРЮЛ "
                          f"({head_text(change.new)}): {check.reason}.")
    organization = change.organization
    member = membership(user, organization)
    if member is not None and member.status == MemberStatus.BLOCKED.value:
        raise MemberError("Вы заблокированы в этой организации оператором реестра.")
    if member is None:
        member = Membership(organization_id=organization.id, user_id=user.id, roles=[])
        db.session.add(member)
    member.roles = sorted({*(member.roles or []), Role.ADMIN.value})
    member.status = MemberStatus.ACTIVE.value
    change.status, change.closed_at, change.closed_by_id = EgrulChange.CLOSED, utcnow(), user.id
    db.session.flush()
    details = (f"Смена руководителя подтверждена новым руководителем: {head_text(change.new)}; "
               f"назначена роль «{Role.ADMIN.title}»")
    if change.suspended_user is not None:
        details += f"; роль «{Role.ADMIN.title}» у {genitive(change.suspended_user.full_name)} снята"
    record(organization, "egrul_confirmed", actor=user, subject=user, details=details,
           remote_addr=remote_addr, certificate=cert)
    return member
