"""The codes of an МЧД check's outcomes, their Russian messages and the titles of its steps."""

from __future__ import annotations

from . import model as doc

OK = "ok"
FILE_NAME = "file_name_mismatch"
BAD_NUMBER = "bad_number"
BAD_DATES = "bad_dates"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"
SIGNATURE = "signature_invalid"
TAMPERED = "tampered"
SIGNER_CERTIFICATE = "signer_certificate_invalid"
SIGNED_BY_REPRESENTATIVE = "signed_by_representative"
SIGNER_NOT_SIGNATORY = "signer_not_signatory"
PRINCIPAL_UNKNOWN = "principal_not_in_egrul"
PRINCIPAL_LIQUIDATED = "principal_liquidated"
SIGNER_NOT_HEAD = "signer_not_head"
REPRESENTATIVE = "representative_mismatch"
REVOKED = "revoked"
PARENT_MISSING = "parent_missing"
PARENT_INVALID = "parent_invalid"
PARENT_MISMATCH = "parent_mismatch"
REDELEGATION_FORBIDDEN = "redelegation_forbidden"
CHAIN_TOO_LONG = "chain_too_long"
UNREADABLE_SIGNATURE = "signature_unreadable"
WRONG_PRINCIPAL = "wrong_principal"
SIGNED_BEFORE_ISSUE = "signed_before_issue"
NOT_IN_REGISTRY = "not_in_registry"
TIME_STAMP = "time_stamp_invalid"
NOT_HEAD_PRINCIPAL = "principal_not_checkable"
REGISTRY_UNAVAILABLE = "registry_unavailable"
REGISTRY_NOT_CONFIGURED = "registry_not_configured"

MAX_CHAIN = 10
# Why the status is not asked at the address the document names (СведСист)
STATUS_OFF = "проверка статуса по адресу из доверенности не включена (REGISTRY_MCHD_STATUS_HOSTS)"

MESSAGES = {
    OK: "Доверенность действительна.",
    doc.TOO_LARGE: "Файл доверенности слишком большой ({detail}). Машиночитаемая доверенность "
                   "занимает несколько килобайт: загрузите XML-файл доверенности.",
    doc.FORBIDDEN: "Файл отклонён: {detail}. В машиночитаемой доверенности таких конструкций нет; "
                   "загрузите файл, выгруженный из системы, где доверенность оформлена.",
    doc.MALFORMED: "Файл не является корректным XML ({detail}). Загрузите XML-файл доверенности.",
    doc.UNKNOWN_FORMAT: "Формат доверенности не поддерживается: {detail}. Поддерживаются форматы "
                        "ФНС 003 (EMCHD_1) и 002.",
    doc.SCHEMA: "Доверенность не соответствует официальной схеме формата 003 (ФНС, "
                "ON_EMCHD_1_928_00_01_01_01): {detail}.",
    doc.ENCODING: "Кодировка файла доверенности не та, что объявлена: {detail}.",
    doc.INCOMPLETE: "В доверенности не хватает обязательных сведений: {detail}. Выгрузите файл "
                    "доверенности заново из системы, где она оформлена.",
    doc.PACKAGE: "Пакет доверенности не принят: {detail}.",
    TIME_STAMP: "Штамп времени подписи не принят: {detail}. Время подписания не доказано.",
    NOT_HEAD_PRINCIPAL: "Доверитель — {detail}: его руководителя по ЕГРЮЛ проверить нельзя.",
    FILE_NAME: "Имя файла «{detail}» не совпадает с идентификатором файла (ИдФайл) «{expected}». "
               "Загрузите файл под тем именем, с которым он выгружен.",
    BAD_NUMBER: "Номер доверенности (НомДовер) «{detail}» не является уникальным идентификатором "
                "(GUID вида 8-4-4-4-12 шестнадцатеричных цифр).",
    BAD_DATES: "Дата окончания доверенности ({detail}) раньше даты её выдачи ({expected}).",
    NOT_YET_VALID: "Доверенность ещё не действует: она выдана {detail}.",
    EXPIRED: "Срок действия доверенности истёк {detail}. Попросите руководителя оформить новую.",
    UNREADABLE_SIGNATURE: "Файл подписи не читается: {detail}. Загрузите открепленную подпись "
                          "(.sig) к этому XML-файлу.",
    TAMPERED: "Подпись сделана не под этим файлом доверенности: файл изменён после подписания или "
              "подпись относится к другому файлу. Загрузите XML-файл доверенности без изменений и "
              "подпись именно к нему.",
    SIGNATURE: "Подпись доверенности неверна: {detail}",
    SIGNER_CERTIFICATE: "Сертификат, которым подписана доверенность, не действовал в момент "
                        "подписания: {detail}",
    SIGNED_BY_REPRESENTATIVE: "Доверенность подписана самим представителем ({detail}). Её должен "
                              "подписать руководитель организации-доверителя.",
    SIGNER_NOT_SIGNATORY: "Доверенность подписана {detail}, а в ней как лицо, действующее без "
                          "доверенности, указан(а) {expected}. Подписать её должен тот, кто указан "
                          "в доверенности.",
    PRINCIPAL_UNKNOWN: "Организации-доверителя ({detail}) нет в сведениях ЕГРЮЛ реестра: "
                       "руководителя проверить нельзя.",
    PRINCIPAL_LIQUIDATED: "Организация-доверитель {detail} ликвидирована по сведениям ЕГРЮЛ.",
    SIGNER_NOT_HEAD: "Подписавший доверенность {detail} не является руководителем "
                     "организации-доверителя по сведениям ЕГРЮЛ (руководитель: {expected}).",
    REPRESENTATIVE: "Доверенность выдана {detail}, а не вам ({expected}). Загрузите доверенность, "
                    "в которой представителем указаны вы.",
    REVOKED: "Доверенность отозвана{detail}. Попросите руководителя оформить новую.",
    PARENT_MISSING: "Это передоверие: нужна исходная доверенность № {detail} (XML и подпись) или "
                    "реестр доверенностей, где её можно найти.",
    PARENT_INVALID: "Исходная доверенность № {expected} недействительна: {detail}",
    PARENT_MISMATCH: "Передоверие не соответствует исходной доверенности: {detail}.",
    REDELEGATION_FORBIDDEN: "Исходная доверенность № {detail} выдана без права передоверия "
                            "(или право передоверия уже использовано).",
    CHAIN_TOO_LONG: "Цепочка передоверий длиннее {detail}: проверка прекращена.",
    SIGNED_BEFORE_ISSUE: "Доверенность подписана {detail}, раньше даты её выдачи ({expected}): "
                         "такая подпись не подтверждает доверенность.",
    WRONG_PRINCIPAL: "Доверенность выдана организацией {detail}, а вы представляете {expected}. "
                     "Загрузите доверенность этой организации.",
    NOT_IN_REGISTRY: "Доверенность № {detail} организации с ИНН {expected} не найдена в реестре "
                     "доверенностей. Проверьте номер и ИНН или загрузите файлы доверенности.",
    REGISTRY_UNAVAILABLE: "Реестр доверенностей сейчас недоступен ({detail}). Это не отзыв "
                          "доверенности: повторите позже или загрузите файлы доверенности.",
    REGISTRY_NOT_CONFIGURED: "Поиск по номеру недоступен: реестр доверенностей не подключён. "
                             "Загрузите XML-файл доверенности и файл подписи.",
}

TITLES = {
    "registry": "Реестр доверенностей",
    "xml": "Файл XML и схема формата",
    "principal": "Доверитель",
    "file_name": "Имя файла и ИдФайл",
    "number": "Номер доверенности",
    "dates": "Срок действия",
    "signature": "Электронная подпись",
    "time": "Время подписания",
    "signer": "Подписант",
    "egrul": "Руководитель по ЕГРЮЛ",
    "chain": "Передоверие",
    "representative": "Представитель",
    "revocation": "Отзыв доверенности",
}


# The step each outcome belongs to.
STEPS = {doc.TOO_LARGE: "xml", doc.FORBIDDEN: "xml", doc.MALFORMED: "xml", doc.ENCODING: "xml",
         doc.UNKNOWN_FORMAT: "xml", doc.SCHEMA: "xml", doc.INCOMPLETE: "xml", doc.PACKAGE: "xml",
         FILE_NAME: "file_name", BAD_NUMBER: "number",
         BAD_DATES: "dates", NOT_YET_VALID: "dates", EXPIRED: "dates",
         UNREADABLE_SIGNATURE: "signature", TAMPERED: "signature", SIGNATURE: "signature",
         SIGNER_CERTIFICATE: "signature", TIME_STAMP: "time", SIGNED_BY_REPRESENTATIVE: "signer",
         SIGNER_NOT_SIGNATORY: "signer", PRINCIPAL_UNKNOWN: "egrul", PRINCIPAL_LIQUIDATED: "egrul",
         SIGNER_NOT_HEAD: "egrul", NOT_HEAD_PRINCIPAL: "egrul", PARENT_MISSING: "chain",
         PARENT_INVALID: "chain", PARENT_MISMATCH: "chain", REDELEGATION_FORBIDDEN: "chain",
         CHAIN_TOO_LONG: "chain", REPRESENTATIVE: "representative", REVOKED: "revocation",
         WRONG_PRINCIPAL: "principal", SIGNED_BEFORE_ISSUE: "signature",
         NOT_IN_REGISTRY: "registry", REGISTRY_UNAVAILABLE: "registry",
         REGISTRY_NOT_CONFIGURED: "registry"}
