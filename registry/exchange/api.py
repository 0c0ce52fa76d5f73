"""``/api/v1/``: the read-only JSON API for information systems, authenticated by certificate.

The client certificate arrives the way a person's does (``CERT_ENVIRON_KEY``: the built-in
HTTPS server's own handshake, or nginx's header from a trusted proxy) and is validated by
``registry.pki`` exactly like a sign-in. It must belong to an information-exchange profile, or
to a person who is an active member of the organization asked about. These views are public
for the HTML sign-in (no session, no cookies) and check the certificate themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import Blueprint, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from ..core import access, clock, uow
from ..core.access import AccessDenied
from ..core.web import CERT_ENVIRON_KEY, public
from ..documents.models import Document
from ..documents.services import store as document_store
from ..documents.services import uploads as document_uploads
from ..extensions import csrf, db, utcnow
from ..mchd import services as mchd
from ..members import current
from ..members.models import Membership, MemberStatus, Permission
from ..organizations.models import Organization
from ..refdata.dictionaries import DOCUMENT_TYPES
from . import openapi
from .models import ExchangeCertificate, ExchangeProfile

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

ID = "<int:org_id>"
DOC = "<int:document_id>"
TOUCH_EVERY = timedelta(minutes=10)
# What an information system reads of its own organization (its exchange profile's scope).
SYSTEM_PERMISSIONS = frozenset({Permission.VIEW_PROFILE, Permission.READ_DOCUMENTS})


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Certificate realm="registry"'
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return _error(exc.status, exc.code, exc.message)


def http_error(exc: HTTPException):
    codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    messages = {404: "Не найдено.", 405: "Метод не поддерживается: API только читает данные (GET).",
                400: "Неверный запрос."}
    status = exc.code or 500
    return _error(status, codes.get(status, "error"), messages.get(status, exc.description or "Ошибка."))


# By code as well as by class: Flask prefers the application's handler for a code (the HTML
# error pages) over a blueprint's handler for the class.
bp.register_error_handler(HTTPException, http_error)
for _code in (400, 403, 404, 405, 413, 429):
    bp.register_error_handler(_code, http_error)


@bp.errorhandler(Exception)
def _internal_error(exc: Exception):
    log.exception("API error on %s", request.path)
    return _error(500, "internal_error", "Внутренняя ошибка. Повторите запрос позже.")


# -- who is calling -------------------------------------------------------------------------------
@dataclass
class ApiClient:
    certificate: object
    profile: ExchangeProfile | None = None
    user: object = None
    memberships: list[Membership] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "exchange_profile" if self.profile is not None else "member"

    def organizations(self) -> list[Organization]:
        if self.profile is not None:
            return [self.profile.organization]
        return [m.organization for m in self.memberships]

    def current(self) -> Organization | None:
        """The organization the client works in now: a system's own; a person's current one
        (the one chosen in the web interface of this sign-in, else the first)."""
        if self.profile is not None:
            return self.profile.organization
        return current.current(self.user) if self.user is not None else None

    def granted(self, organization: Organization | None) -> frozenset[Permission]:
        """What the client may read in ``organization``: a system its own organization's
        profile and documents, a person what their roles give (the same map as the web)."""
        if self.profile is not None:
            own = organization is not None and organization.id == self.profile.organization_id
            return SYSTEM_PERMISSIONS if own else frozenset()
        return access.permissions(self.user, organization)

    def may(self, organization: Organization, permission: Permission) -> bool:
        return permission in self.granted(organization)


def authenticate() -> ApiClient:
    """The client behind the request's certificate, or ApiError(401)."""
    from ..auth.services import checker, find_account

    raw = request.environ.get(CERT_ENVIRON_KEY)
    if not raw:
        raise ApiError(401, "certificate_required",
                       "Нет сертификата клиента: обращайтесь к API по TLS с сертификатом, указанным в профиле "
                       "информационного обмена.")
    result = checker().check(raw)
    if not result.valid:
        raise ApiError(401, result.code, result.message)
    cert = result.certificate
    stored = db.session.scalar(select(ExchangeCertificate).where(ExchangeCertificate.fingerprint == cert.fingerprint))
    if stored is not None:
        now = utcnow()
        if stored.last_used_at is None or now - stored.last_used_at > TOUCH_EVERY:
            stored.last_used_at = now
            uow.keep()  # recorded even when the answer is 404/403
        return ApiClient(cert, profile=stored.profile)
    user = find_account(cert)
    if user is None:
        raise ApiError(401, "unknown_certificate",
                       "Сертификат не указан ни в одном профиле информационного обмена и не принадлежит "
                       "пользователю реестра.")
    if getattr(user, "blocked_reason", None):
        raise ApiError(401, "account_blocked",
                       f"Учётная запись заблокирована оператором реестра: {user.blocked_reason}")
    # A person sees the organizations they are an active member of (possibly none: then every
    # organization is a 404 for them, as on the web).
    members = list(db.session.scalars(select(Membership).where(
        Membership.user_id == user.id, Membership.status == MemberStatus.ACTIVE.value)
        .order_by(Membership.organization_id)))
    return ApiClient(cert, user=user, memberships=members)


def _organization(client: ApiClient, org_id: int, permission: Permission) -> Organization:
    """404 for anything the client may not see at all, 403 for a missing permission."""
    organization = db.session.get(Organization, org_id)
    if organization is None:  # for everyone alike (what a person may do outside any is no answer)
        raise ApiError(404, "not_found", "Организация не найдена.")
    try:
        access.decide(client.granted(organization), permission)
    except AccessDenied as denied:  # the same decision as on the web, answered in JSON
        if denied.not_found:
            raise ApiError(404, "not_found", "Организация не найдена.") from None
        raise ApiError(403, "forbidden", "Недостаточно прав: нужна роль с доступом к документам организации."
                       if permission == Permission.READ_DOCUMENTS else "Недостаточно прав.") from None
    if client.profile is not None and organization.is_blocked:
        raise ApiError(403, "organization_blocked",
                       f"Организация заблокирована оператором реестра: {organization.blocked_reason}")
    return organization


# -- representations ------------------------------------------------------------------------------
def _org_ref(organization: Organization) -> dict:
    return {"id": organization.id, "ogrn": organization.ogrn, "inn": organization.inn,
            "name": organization.name, "url": url_for(".organization", org_id=organization.id)}


def _current_ref(client: ApiClient) -> dict | None:
    found = client.current()
    return _org_ref(found) if found is not None else None


def _branch(item: dict) -> dict:
    from ..organizations.services.rules import split_codes
    return {"id": str(item.get("id")), "kind": item.get("kind"), "name": item.get("name"),
            "kpp": item.get("kpp"), "address": item.get("address"), "okved": split_codes(item.get("okved"))}


def _clean(item: dict | None, drop: tuple[str, ...] = ()) -> dict:
    """A stored section without empty values and internal keys."""
    return {k: v for k, v in (item or {}).items() if v not in (None, "", [], {}) and k not in drop}


HEAD_FIELDS = {
    "person": ("surname", "given", "patronymic", "birth_date", "inn", "snils", "doc_type", "doc_series",
               "doc_number", "doc_date", "doc_issuer", "reg_address", "actual_address"),
    "legal": ("le_full_name", "le_short_name", "le_inn", "le_kpp", "le_ogrn", "le_address"),
    "foreign": ("fo_name", "fo_short_name", "fo_ident", "fo_country"),
}


def _head(head: dict | None) -> dict:
    """The head in the documented shape: ``kind`` and the fields of that kind, without prefixes."""
    head = head or {}
    kind = head.get("kind") or "person"
    if kind == "legal_entity":
        kind = "legal"
    out = {"kind": kind}
    for name in HEAD_FIELDS.get(kind, ()):
        value = head.get(name)
        if value not in (None, ""):
            out[name.split("_", 1)[1] if kind != "person" else name] = value
    return out


def _profile(data: dict) -> dict:
    """The registered profile as documented in the OpenAPI description (not the wizard's draft)."""
    from ..organizations.services.rules import split_codes
    okved = data.get("okved") or {}
    return {
        "general": _clean(data.get("general")),
        "okved": {"main": okved.get("main") or None,
                  "auxiliary": [c for c in (okved.get("auxiliary_1"), okved.get("auxiliary_2")) if c],
                  "others": split_codes(okved.get("others")), "notes": okved.get("notes") or None},
        "head": _head(data.get("head")),
        "premises": [_clean(p, ("id",)) for p in data.get("premises") or []],
        "branches": [_branch(b) for b in data.get("branches") or []],
        "beneficiaries": [_clean(b, ("id",)) for b in data.get("beneficiaries") or []],
    }


def _document(document: Document, today: date) -> dict:
    return {
        "id": document.id, "type": document.doc_type, "type_title": document.type_title,
        "number": document.number, "date": document.doc_date.isoformat(),
        "expires_on": document.expires_on.isoformat() if document.expires_on else None,
        "expired": document.expires_on is not None and document.expires_on < today,
        "file": {"name": document.file_name, "size": document.file_size, "sha256": document.file_sha256,
                 "media_type": document.media_type},
        "signature": {"state": document.signature_state, "detached": bool(document.signature_key),
                      "checks": [c for c in document.checks or [] if c.get("code") != "not_signed"],
                      "checked_at": document.checked_at.isoformat() if document.checked_at else None},
        "created_at": document.created_at.isoformat(),
        "url": url_for(".document", org_id=document.organization_id, document_id=document.id),
        "file_url": url_for(".document_file", org_id=document.organization_id, document_id=document.id),
    }


# -- endpoints ------------------------------------------------------------------------------------
@bp.route("/openapi.json")
@public
def openapi_json():
    return jsonify(openapi.spec(url_for(".index").rstrip("/")))


@bp.route("/")
@public
def index():
    return jsonify({"openapi": url_for(".openapi_json")})


@bp.route("/me")
@public
def me():
    client = authenticate()
    cert = client.certificate
    name = client.profile.system_name if client.profile is not None else client.user.full_name
    return jsonify({
        "kind": client.kind, "name": name,
        "system_code": client.profile.system_code if client.profile is not None else None,
        "branch_id": client.profile.branch_id if client.profile is not None else None,
        "certificate": {"serial": cert.serial, "subject": cert.subject, "issuer": cert.issuer,
                        "not_after": cert.not_after.isoformat(), "fingerprint_sha256": cert.fingerprint},
        "organizations": [_org_ref(o) for o in client.organizations()],
        "current_organization": _current_ref(client),
    })


@bp.route("/organizations")
@public
def organizations():
    client = authenticate()
    return jsonify({"organizations": [_org_ref(o) for o in client.organizations()],
                    "current_organization": _current_ref(client)})


@bp.route(f"/organizations/{ID}")
@public
def organization(org_id: int):
    client = authenticate()
    org = _organization(client, org_id, Permission.VIEW_PROFILE)
    data = dict(org.data or {})
    if client.profile is not None and client.profile.branch_id:
        data["branches"] = [b for b in data.get("branches") or [] if b.get("id") == client.profile.branch_id]
    return jsonify({
        "id": org.id, "kind": org.kind, "ogrn": org.ogrn, "inn": org.inn, "kpp": org.kpp,
        "full_name": org.full_name, "short_name": org.short_name, "status": org.status,
        "egrul_confirmed": bool(org.egrul_confirmed), "version": org.version,
        "registered_at": org.registered_at.isoformat(), "updated_at": org.updated_at.isoformat(),
        "profile": _profile(data),
        "egrul": org.party or {},
        "special_record": _special_record(org),
    })


def _special_record(org: Organization) -> dict | None:
    """The organization's entry on the special register (None: not on it)."""
    from ..register.services import active_record

    record = active_record(org.id)
    if record is None:
        return None
    return {"number": record.number, "date": record.registered_on.isoformat(), "status": record.status,
            "status_title": record.status_title}


@bp.route("/register")
@public
def register():
    """The special register: every certificate the API accepts may read it (a counterparty
    checks a supplier); ``q`` searches by number, ИНН, ОГРН or name; 50 records a page, the
    next page by the ``next`` link (a keyset ``after``, no offset)."""
    from ..register import services as register_services

    authenticate()
    q = request.args.get("q") or ""
    if len(q) > 200:
        raise ApiError(400, "bad_query", "Строка поиска длиннее 200 символов.")
    try:
        rows, after = register_services.register_page(q, request.args.get("after") or None)
    except ValueError:
        raise ApiError(400, "bad_after", "Параметр after — из ссылки next предыдущей страницы.") from None
    return jsonify({"records": [register_services.register_row(r) for r in rows],
                    "next": url_for(".register", q=q or None, after=after) if after else None})


@bp.route(f"/organizations/{ID}/branches")
@public
def branches(org_id: int):
    client = authenticate()
    org = _organization(client, org_id, Permission.VIEW_PROFILE)
    items = (org.data or {}).get("branches") or []
    if client.profile is not None and client.profile.branch_id:
        items = [b for b in items if b.get("id") == client.profile.branch_id]
    return jsonify({"branches": [_branch(b) for b in items]})


@bp.route(f"/organizations/{ID}/documents")
@public
def document_list(org_id: int):
    client = authenticate()
    org = _organization(client, org_id, Permission.READ_DOCUMENTS)
    doc_type = request.args.get("type") or None
    state = request.args.get("state") or None
    if doc_type is not None and doc_type not in dict(DOCUMENT_TYPES):
        raise ApiError(400, "bad_type", "Неизвестный вид документа: допустимы "
                       + ", ".join(code for code, _t in DOCUMENT_TYPES) + ".")
    if state is not None and state not in ("active", "expiring", "expired"):
        raise ApiError(400, "bad_state", "Параметр state: active, expiring или expired.")
    today = clock.today()
    return jsonify({"documents": [_document(d, today) for d in
                                  document_uploads.documents(org, doc_type=doc_type, state=state, today=today)]})


def _find_document(client: ApiClient, org_id: int, document_id: int) -> Document:
    org = _organization(client, org_id, Permission.READ_DOCUMENTS)
    document = document_uploads.document_or_none(org, document_id)
    if document is None:
        raise ApiError(404, "not_found", "Документ не найден.")
    return document


@bp.route(f"/organizations/{ID}/documents/{DOC}")
@public
def document(org_id: int, document_id: int):
    client = authenticate()
    return jsonify(_document(_find_document(client, org_id, document_id), clock.today()))


@bp.route(f"/organizations/{ID}/documents/{DOC}/signatures")
@public
def document_signatures(org_id: int, document_id: int):
    """The verification of every signature of the document (the command's JSON)."""
    from ..documents.signature_report import verdicts
    from ..pki.ades.report import as_json

    client = authenticate()
    return jsonify(as_json(verdicts(_find_document(client, org_id, document_id))))


@bp.route(f"/organizations/{ID}/documents/{DOC}/file")
@public
def document_file(org_id: int, document_id: int):
    client = authenticate()
    document = _find_document(client, org_id, document_id)
    try:
        return document_store.file_store().send(document.file_key, document.file_name, document.media_type)
    except ValueError:
        raise ApiError(404, "not_found", "Файл документа не найден.") from None
    except FileNotFoundError:
        log.error("document %s: file %s is missing from the store", document.id, document.file_key)
        raise ApiError(404, "file_missing", "Файл документа отсутствует в хранилище.") from None


# -- machine-readable powers of attorney ----------------------------------------------------------
def _mchd_records(client: ApiClient, org_id: int):
    """An administrator reads every МЧД of the organization, a member only their own; an
    information system none (they are people's authority, not the organization's data)."""
    org = _organization(client, org_id, Permission.VIEW_PROFILE)
    if client.profile is not None:
        raise ApiError(403, "forbidden", "Доверенности сотрудников доступны администратору организации "
                                         "и самим сотрудникам, а не информационным системам.")
    own = None if client.may(org, Permission.ASSIGN_ROLES) else client.user
    return org, mchd.organization_records(org, own)


@bp.route(f"/organizations/{ID}/mchd")
@public
def mchd_list(org_id: int):
    client = authenticate()
    org, records = _mchd_records(client, org_id)
    return jsonify({"powers_of_attorney": [
        mchd.record_json(r) | {"url": url_for(".mchd_card", org_id=org.id, record_id=r.id)} for r in records]})


@bp.route(f"/organizations/{ID}/mchd/<int:record_id>")
@public
def mchd_card(org_id: int, record_id: int):
    client = authenticate()
    org, records = _mchd_records(client, org_id)
    found = next((r for r in records if r.id == record_id), None)
    if found is None:
        raise ApiError(404, "not_found", "Доверенность не найдена.")
    return jsonify(mchd.record_json(found) | {"url": url_for(".mchd_card", org_id=org.id, record_id=found.id)})
