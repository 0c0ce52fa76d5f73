"""The OpenAPI 3.1 description of ``/api/v1/`` (served as ``/api/v1/openapi.json``)."""

from __future__ import annotations

ID = {"type": "integer", "format": "int32", "minimum": 1, "maximum": 2147483647}
NULLABLE_STRING = {"type": ["string", "null"]}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string", "description": "Machine-readable reason"},
                       "message": {"type": "string", "description": "Russian text for people"}}}},
}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(description: str, ref: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


AUTH_ERRORS = {
    "401": _error("No client certificate, or one that is not valid (expired, revoked, untrusted, …) "
                  "or belongs neither to an exchange profile nor to a registered person, or the person is blocked"),
    "403": _error("The certificate's owner lacks the permission (or the organization is blocked)"),
}
NOT_FOUND = {"404": _error("No such organization or document for this client")}
# The one the person works in now (chosen in the web interface of the same sign-in; else the
# first by name); an information system: its own organization.
CURRENT_ORGANIZATION = {"anyOf": [{"$ref": "#/components/schemas/OrganizationRef"}, {"type": "null"}],
                        "description": "the current organization (several: the one chosen in the web interface)"}
ORG_PARAM = {"name": "org_id", "in": "path", "required": True, "schema": ID}
DOC_PARAM = {"name": "document_id", "in": "path", "required": True, "schema": ID}

SPECIAL_RECORD = {
    "type": "object", "required": ["number", "date", "status", "status_title"],
    "properties": {"number": {"type": "string"}, "date": {"type": "string", "format": "date"},
                   "status": {"type": "string", "enum": ["active", "suspended", "removed"]},
                   "status_title": {"type": "string"}},
}

SCHEMAS = {
    "Error": ERROR,
    "SpecialRecord": SPECIAL_RECORD,
    "RegisterRecord": {
        "type": "object", "required": ["number", "date", "inn", "ogrn", "name", "status", "status_title"],
        "properties": {**SPECIAL_RECORD["properties"], "inn": NULLABLE_STRING, "ogrn": {"type": "string"},
                       "name": {"type": "string"}},
    },
    "RegisterPage": {
        "type": "object", "required": ["records", "next"],
        "properties": {"records": {"type": "array", "items": {"$ref": "#/components/schemas/RegisterRecord"}},
                       "next": NULLABLE_STRING},
    },
    "Certificate": {
        "type": "object", "required": ["serial", "subject", "issuer", "not_after", "fingerprint_sha256"],
        "properties": {"serial": {"type": "string"}, "subject": {"type": "string"}, "issuer": {"type": "string"},
                       "not_after": DATETIME, "fingerprint_sha256": {"type": "string"}},
    },
    "OrganizationRef": {
        "type": "object", "required": ["id", "ogrn", "inn", "name", "url"],
        "properties": {"id": ID, "ogrn": {"type": "string"}, "inn": NULLABLE_STRING,
                       "name": {"type": "string"}, "url": {"type": "string"}},
    },
    "Client": {
        "type": "object", "required": ["kind", "name", "certificate", "organizations"],
        "properties": {
            "kind": {"type": "string", "enum": ["exchange_profile", "member"]},
            "name": {"type": "string", "description": "IS name, or the member's full name"},
            "system_code": NULLABLE_STRING,
            "branch_id": NULLABLE_STRING,
            "certificate": {"$ref": "#/components/schemas/Certificate"},
            "organizations": {"type": "array", "items": {"$ref": "#/components/schemas/OrganizationRef"}},
            "current_organization": CURRENT_ORGANIZATION,
        },
    },
    "OrganizationList": {
        "type": "object", "required": ["organizations"],
        "properties": {"organizations": {"type": "array", "items": {"$ref": "#/components/schemas/OrganizationRef"}},
                       "current_organization": CURRENT_ORGANIZATION},
    },
    "Organization": {
        "type": "object",
        "required": ["id", "kind", "ogrn", "inn", "kpp", "full_name", "short_name", "status",
                     "egrul_confirmed", "version", "registered_at", "updated_at", "profile", "egrul"],
        "properties": {
            "id": ID, "kind": {"type": "string", "enum": ["ul", "ip"]}, "ogrn": {"type": "string"},
            "inn": NULLABLE_STRING, "kpp": NULLABLE_STRING, "full_name": {"type": "string"},
            "short_name": NULLABLE_STRING, "status": {"type": "string", "enum": ["registered", "blocked"]},
            "egrul_confirmed": {"type": "boolean"}, "version": {"type": "integer"},
            "registered_at": DATETIME, "updated_at": DATETIME,
            "special_record": {"anyOf": [{"$ref": "#/components/schemas/SpecialRecord"}, {"type": "null"}],
                               "description": "Запись специального учета (null: организация не состоит на учете)"},
            "profile": {
                "type": "object",
                "description": "Профиль организации по разделам; пустые значения не передаются",
                "required": ["general", "okved", "head", "premises", "branches", "beneficiaries"],
                "properties": {
                    "general": {"type": "object", "description": "Контакты, категория заявителя, почтовый адрес"},
                    "okved": {"type": "object", "required": ["main", "auxiliary", "others", "notes"],
                              "properties": {"main": NULLABLE_STRING,
                                             "auxiliary": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                                             "others": {"type": "array", "items": {"type": "string"}},
                                             "notes": NULLABLE_STRING}},
                    "head": {"type": "object", "required": ["kind"],
                             "description": "kind: person (ФИО, документ, адреса), legal (full_name, short_name, "
                                            "inn, kpp, ogrn, address) или foreign (name, short_name, ident, country)",
                             "properties": {"kind": {"type": "string", "enum": ["person", "legal", "foreign"]}}},
                    "premises": {"type": "array", "items": {"type": "object"}},
                    "branches": {"type": "array", "items": {"$ref": "#/components/schemas/Branch"}},
                    "beneficiaries": {"type": "array", "items": {"type": "object"}}},
            },
            "egrul": {"type": "object", "description": "ЕГРЮЛ/ЕГРИП data the profile was built from"},
        },
    },
    "Branch": {
        "type": "object", "required": ["id", "kind", "name", "kpp", "address", "okved"],
        "properties": {"id": {"type": "string"}, "kind": NULLABLE_STRING, "name": NULLABLE_STRING,
                       "kpp": NULLABLE_STRING, "address": NULLABLE_STRING,
                       "okved": {"type": "array", "items": {"type": "string"}}},
    },
    "BranchList": {
        "type": "object", "required": ["branches"],
        "properties": {"branches": {"type": "array", "items": {"$ref": "#/components/schemas/Branch"}}},
    },
    "SignatureCheck": {
        "type": "object", "required": ["valid", "code", "message"],
        "properties": {
            "valid": {"type": "boolean"}, "code": {"type": "string"}, "message": {"type": "string"},
            "kind": {"type": "string", "enum": ["cms", "pdf"]}, "intact": {"type": "boolean"},
            "signing_time": NULLABLE_STRING,
            "signer": {"type": ["object", "null"], "properties": {
                "full_name": NULLABLE_STRING, "snils": NULLABLE_STRING, "inn": NULLABLE_STRING,
                "organization": NULLABLE_STRING, "title": NULLABLE_STRING, "serial": NULLABLE_STRING,
                "issuer": NULLABLE_STRING}},
            "certificate": {"type": ["object", "null"]},
        },
    },
    "Document": {
        "type": "object",
        "required": ["id", "type", "type_title", "number", "date", "expires_on", "expired", "file",
                     "signature", "created_at", "url", "file_url"],
        "properties": {
            "id": ID, "type": {"type": "string"}, "type_title": {"type": "string"},
            "number": {"type": "string"}, "date": DATE,
            "expires_on": {"type": ["string", "null"], "format": "date",
                           "description": "null: open-ended («Бессрочно»)"},
            "expired": {"type": "boolean"},
            "file": {"type": "object", "required": ["name", "size", "sha256", "media_type"],
                     "properties": {"name": {"type": "string"}, "size": {"type": "integer"},
                                    "sha256": {"type": "string"}, "media_type": {"type": "string"}}},
            "signature": {"type": "object", "required": ["state", "detached", "checks", "checked_at"],
                          "properties": {"state": {"type": "string", "enum": ["none", "valid", "invalid", "pending"]},
                                         "detached": {"type": "boolean"},
                                         "checks": {"type": "array",
                                                    "items": {"$ref": "#/components/schemas/SignatureCheck"}},
                                         "checked_at": NULLABLE_STRING}},
            "created_at": DATETIME, "url": {"type": "string"}, "file_url": {"type": "string"},
        },
    },
    "PowerOfAttorney": {
        "type": "object",
        "required": ["id", "number", "format", "status", "principal", "representative", "powers",
                     "granted_roles", "issued_on", "valid_until", "checks", "url"],
        "properties": {
            "id": ID, "number": {"type": "string"}, "format": {"type": "string", "enum": ["003", "002"]},
            "status": {"type": "string", "enum": ["active", "expired", "revoked", "replaced", "terminated"]},
            "status_title": {"type": "string"}, "status_reason": NULLABLE_STRING,
            "principal": {"type": "object"}, "representative": {"type": "object"},
            "signer": {"type": ["object", "null"]},
            "powers": {"type": "array", "items": {"type": "object", "required": ["code", "name"], "properties": {
                "code": NULLABLE_STRING, "name": {"type": "string"}}}},
            "granted_roles": {"type": "array", "items": {"type": "string"}},
            "issued_on": DATE, "valid_until": DATE, "redelegation": NULLABLE_STRING,
            "parent_number": NULLABLE_STRING, "signing_time": NULLABLE_STRING, "checked_at": DATETIME,
            "checks": {"type": "array", "items": {"type": "object"}}, "url": {"type": "string"},
        },
    },
    "PowerOfAttorneyList": {
        "type": "object", "required": ["powers_of_attorney"],
        "properties": {"powers_of_attorney": {"type": "array",
                                              "items": {"$ref": "#/components/schemas/PowerOfAttorney"}}},
    },
    "DocumentList": {
        "type": "object", "required": ["documents"],
        "properties": {"documents": {"type": "array", "items": {"$ref": "#/components/schemas/Document"}}},
    },
}

SECURITY = [{"clientCertificate": []}]


def spec(server_url: str = "/api/v1") -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Реестр организаций: API информационного обмена",
            "version": "1.0.0",
            "description": (
                "Чтение сведений организации её информационными системами. Клиент входит по TLS "
                "с сертификатом, указанным в профиле информационного обмена организации (или её "
                "ТОП), либо с сертификатом активного сотрудника организации. Каждая ошибка — JSON "
                "с кодом и сообщением на русском языке."),
        },
        "servers": [{"url": server_url}],
        "security": SECURITY,
        "paths": {
            "/openapi.json": {"get": {
                "operationId": "openapi", "summary": "Это описание API", "security": [],
                "responses": {"200": {"description": "OpenAPI document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/me": {"get": {
                "operationId": "me", "summary": "Кому принадлежит сертификат и что ему доступно",
                "responses": {"200": _json("The client", "Client"), **AUTH_ERRORS}}},
            "/organizations": {"get": {
                "operationId": "listOrganizations", "summary": "Организации, доступные клиенту",
                "responses": {"200": _json("Organizations", "OrganizationList"), **AUTH_ERRORS}}},
            "/organizations/{org_id}": {"get": {
                "operationId": "getOrganization", "summary": "Профиль организации",
                "parameters": [ORG_PARAM],
                "responses": {"200": _json("The profile", "Organization"), **AUTH_ERRORS, **NOT_FOUND}}},
            "/organizations/{org_id}/branches": {"get": {
                "operationId": "listBranches",
                "summary": "ТОП организации (профиль обмена ТОП видит только своё подразделение)",
                "parameters": [ORG_PARAM],
                "responses": {"200": _json("Branches", "BranchList"), **AUTH_ERRORS, **NOT_FOUND}}},
            "/organizations/{org_id}/documents": {"get": {
                "operationId": "listDocuments", "summary": "Сведения о документах и результаты проверки подписей",
                "parameters": [ORG_PARAM,
                               {"name": "type", "in": "query", "required": False,
                                "schema": {"type": "string", "maxLength": 40},
                                "description": "Document type code (dictionary of document types)"},
                               {"name": "state", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": ["active", "expiring", "expired"]}}],
                "responses": {"200": _json("Documents", "DocumentList"),
                              "400": _error("Bad query parameter"), **AUTH_ERRORS, **NOT_FOUND}}},
            "/organizations/{org_id}/documents/{document_id}": {"get": {
                "operationId": "getDocument", "summary": "Сведения об одном документе",
                "parameters": [ORG_PARAM, DOC_PARAM],
                "responses": {"200": _json("The document", "Document"), **AUTH_ERRORS, **NOT_FOUND}}},
            "/organizations/{org_id}/documents/{document_id}/signatures": {"get": {
                "operationId": "verifyDocumentSignatures", "summary": "Проверка подписей документа",
                "parameters": [ORG_PARAM, DOC_PARAM],
                "responses": {"200": {"description": "Every signature: indication (ETSI EN 319 102-1), "
                                                     "format, claimed and proven time, signer, checks",
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              **AUTH_ERRORS, **NOT_FOUND}}},
            "/organizations/{org_id}/documents/{document_id}/file": {"get": {
                "operationId": "downloadDocument", "summary": "Файл документа",
                "parameters": [ORG_PARAM, DOC_PARAM],
                "responses": {"200": {"description": "The file as uploaded",
                                      "content": {"*/*": {
                                          "schema": {"type": "string", "format": "binary"}}}},
                              **AUTH_ERRORS, **NOT_FOUND}}},
            "/register": {"get": {
                "operationId": "getRegister",
                "summary": "Реестр организаций, состоящих на специальном учете (по 50 записей)",
                "parameters": [{"name": "q", "in": "query", "required": False,
                                "schema": {"type": "string", "maxLength": 200},
                                "description": "Номер записи, ИНН, ОГРН или слова наименования"},
                               {"name": "after", "in": "query", "required": False,
                                "schema": {"type": "string", "maxLength": 40},
                                "description": "Где начинается страница: из ссылки next предыдущей"}],
                "responses": {"200": _json("One page of the register", "RegisterPage"),
                              "400": _error("Bad query parameter"), **AUTH_ERRORS}}},
            "/organizations/{org_id}/mchd": {"get": {
                "operationId": "listPowersOfAttorney",
                "summary": "Машиночитаемые доверенности сотрудников (администратору — все, сотруднику — свои)",
                "parameters": [ORG_PARAM],
                "responses": {"200": _json("Powers of attorney", "PowerOfAttorneyList"), **AUTH_ERRORS,
                              **NOT_FOUND}}},
            "/organizations/{org_id}/mchd/{record_id}": {"get": {
                "operationId": "getPowerOfAttorney", "summary": "Одна доверенность: полномочия и проверки",
                "parameters": [ORG_PARAM, {"name": "record_id", "in": "path", "required": True,
                                           "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"200": _json("The power of attorney", "PowerOfAttorney"), **AUTH_ERRORS,
                              **NOT_FOUND}}},
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"clientCertificate": {
                "type": "mutualTLS",
                "description": "TLS client certificate (through nginx: X-SSL-Client-Cert from the trusted proxy)"}},
        },
    }
