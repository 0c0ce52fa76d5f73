"""Reason codes of certificate decisions and the Russian messages a person can act on."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

OK = "ok"
UNTRUSTED_ROOT = "untrusted_root"
INCOMPLETE_CHAIN = "incomplete_chain"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
REVOKED = "revoked"
REVOCATION_UNKNOWN = "revocation_unknown"
BAD_SIGNATURE = "bad_signature"
WRONG_PURPOSE = "wrong_purpose"
CA_AS_LEAF = "ca_as_leaf"
PATH_CONSTRAINTS = "path_constraints"
MALFORMED = "malformed"
UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
TIMEOUT = "timeout"
NO_CERTIFICATE = "no_certificate"
ALGORITHM_WITHDRAWN = "algorithm_withdrawn"
CA_NOT_ACCREDITED = "ca_not_accredited"
CA_CERTIFICATE_UNREADABLE = "ca_certificate_unreadable"

# Refusals caused by a certificate authority, not by the person or their certificate: the
# message names the CA (``ca_name``) and says whom to contact.
CA_FAULTS = frozenset({ALGORITHM_WITHDRAWN, CA_NOT_ACCREDITED, CA_CERTIFICATE_UNREADABLE,
                       REVOCATION_UNKNOWN})

TITLES = {
    OK: "Сертификат действителен",
    UNTRUSTED_ROOT: "Сертификат выдан не аккредитованным удостоверяющим центром",
    INCOMPLETE_CHAIN: "Не удалось построить цепочку сертификатов",
    EXPIRED: "Срок действия сертификата истёк",
    NOT_YET_VALID: "Сертификат ещё не начал действовать",
    REVOKED: "Сертификат отозван",
    REVOCATION_UNKNOWN: "Не удалось проверить, не отозван ли сертификат",
    BAD_SIGNATURE: "Подпись в сертификате не сходится",
    WRONG_PURPOSE: "Сертификат не предназначен для этой операции",
    CA_AS_LEAF: "Это сертификат удостоверяющего центра, а не личный",
    PATH_CONSTRAINTS: "Цепочка сертификатов нарушает ограничения удостоверяющего центра",
    MALFORMED: "Сертификат повреждён или имеет неверный формат",
    UNSUPPORTED_ALGORITHM: "Алгоритм подписи сертификата не поддерживается",
    TIMEOUT: "Проверка сертификата заняла слишком много времени",
    NO_CERTIFICATE: "Браузер не передал сертификат",
    ALGORITHM_WITHDRAWN: "Удостоверяющий центр использует отменённый алгоритм подписи",
    CA_NOT_ACCREDITED: "Аккредитация удостоверяющего центра не действует",
    CA_CERTIFICATE_UNREADABLE: "Сертификат удостоверяющего центра не читается",
}

_MESSAGES = {
    OK: "Сертификат прошёл проверку.",
    UNTRUSTED_ROOT: (
        "Корневой сертификат «{root}» не входит в список доверенных. Войдите с "
        "квалифицированным сертификатом аккредитованного удостоверяющего центра или "
        "обратитесь к оператору реестра, если ваш центр аккредитован."
    ),
    INCOMPLETE_CHAIN: (
        "Не найден сертификат издателя «{issuer}». Установите промежуточный сертификат "
        "удостоверяющего центра (его можно скачать на сайте центра) или обратитесь к "
        "оператору реестра."
    ),
    EXPIRED: (
        "Срок действия сертификата закончился {date}. Получите новый сертификат в "
        "удостоверяющем центре и войдите с ним — ваши данные сохранятся."
    ),
    NOT_YET_VALID: (
        "Сертификат начнёт действовать {date}. Войдите с ним после этой даты или "
        "проверьте дату и время на компьютере."
    ),
    REVOKED: (
        "Сертификат отозван удостоверяющим центром {date}. Пользоваться им нельзя: получите "
        "новый сертификат и войдите с ним."
    ),
    REVOCATION_UNKNOWN: (
        "Удостоверяющий центр «{ca_name}» не опубликовал актуальный список отозванных "
        "сертификатов (СОС), поэтому статус сертификата сейчас неизвестен. Это не ваша "
        "ошибка и не ошибка вашего сертификата. Повторите попытку позже; если ошибка не "
        "исчезнет, сообщите оператору реестра."
    ),
    ALGORITHM_WITHDRAWN: (
        "Сертификат удостоверяющего центра «{ca_name}» (или выданный им сертификат) "
        "использует алгоритм {algorithm}, применение которого для электронной подписи "
        "прекращено с 1 января 2020 года. Это не ваша ошибка: получите новый сертификат "
        "ГОСТ Р 34.10-2012 в удостоверяющем центре «{ca_name}» или другом аккредитованном "
        "центре; если сертификат у вас новый, сообщите оператору реестра."
    ),
    CA_NOT_ACCREDITED: (
        "Аккредитация удостоверяющего центра «{ca_name}» {status}, поэтому выданные им "
        "сертификаты не принимаются. Это не ваша ошибка: обратитесь в удостоверяющий "
        "центр «{ca_name}» или получите сертификат в другом аккредитованном центре. Если "
        "вы считаете, что аккредитация действует, сообщите оператору реестра."
    ),
    CA_CERTIFICATE_UNREADABLE: (
        "Не удалось прочитать сертификат удостоверяющего центра «{ca_name}» ({detail}). "
        "Это не ваша ошибка и не ошибка вашего сертификата: сообщите оператору реестра, "
        "он обновит сертификаты удостоверяющих центров."
    ),
    BAD_SIGNATURE: (
        "Подпись удостоверяющего центра в сертификате неверна — сертификат изменён или "
        "подделан. Используйте сертификат, полученный в удостоверяющем центре."
    ),
    WRONG_PURPOSE: (
        "Сертификат не разрешает {purpose} (требуется: {required}). Выберите другой "
        "сертификат или получите сертификат для электронной подписи и входа."
    ),
    CA_AS_LEAF: (
        "Выбран сертификат удостоверяющего центра. Выберите личный сертификат, выданный "
        "на ваше имя."
    ),
    PATH_CONSTRAINTS: (
        "Удостоверяющий центр не вправе выдавать такой сертификат ({detail}). Обратитесь "
        "в удостоверяющий центр, выдавший сертификат."
    ),
    MALFORMED: (
        "Не удалось прочитать сертификат: {detail}. Выберите сертификат заново или "
        "переустановите его с носителя."
    ),
    UNSUPPORTED_ALGORITHM: (
        "Алгоритм «{algorithm}» не поддерживается. Используйте сертификат ГОСТ Р 34.10-2012, "
        "RSA или ECDSA."
    ),
    TIMEOUT: (
        "Проверка сертификата не уложилась в отведённое время. Повторите попытку; если "
        "ошибка повторится, сообщите оператору реестра."
    ),
    NO_CERTIFICATE: (
        "Для входа нужен квалифицированный сертификат электронной подписи. Проверьте, что "
        "носитель (токен) вставлен, установлена программа КриптоПро CSP или аналог, "
        "установлены корневые сертификаты удостоверяющего центра, и браузер поддерживает "
        "ГОСТ TLS (например, Яндекс Браузер или Chromium-Gost). Затем откройте страницу "
        "заново и выберите сертификат."
    ),
}

PURPOSE_TEXT = {
    "login": ("вход на портал", "назначения «цифровая подпись» и «проверка подлинности клиента»"),
    "signature": ("электронную подпись", "назначение «цифровая подпись» или «неотрекаемость»"),
    "any": ("эту операцию", "—"),
}


# Dates in messages are in Moscow time, as the people read them (REGISTRY_TIMEZONE's default);
# a constant, so that a message does not depend on which application a process made first.
DISPLAY_TIMEZONE: tzinfo = ZoneInfo("Europe/Moscow")


def _fmt(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(DISPLAY_TIMEZONE).strftime("%d.%m.%Y %H:%M")
    return "—" if value is None else str(value)


def is_ca_fault(code: str) -> bool:
    """Whether a refusal is caused by a certificate authority rather than by the person."""
    return code in CA_FAULTS


def reason_message(code: str, **details: Any) -> str:
    """Russian message for a reason code; unknown placeholders render as «—».

    The CA is named by ``ca_name`` (``issuer`` is accepted for it too, and the other way
    round, so older callers of ``revocation_unknown`` keep working).
    """
    template = _MESSAGES.get(code, _MESSAGES[MALFORMED])
    if "ca_name" not in details and "issuer" in details:
        details = {**details, "ca_name": details["issuer"]}
    elif "issuer" not in details and "ca_name" in details:
        details = {**details, "issuer": details["ca_name"]}

    class _Defaults(dict):
        def __missing__(self, key: str) -> str:
            return "не указан" if key == "ca_name" else "—"

    values = {k: _fmt(v) for k, v in details.items()}
    if code == CA_NOT_ACCREDITED:
        values.setdefault("status", "прекращена или приостановлена")
        if "date" in values:  # the moment judged: now for a sign-in, signing time otherwise
            values["status"] += f" (на {values['date']})"
    if code == ALGORITHM_WITHDRAWN and "algorithm" not in values:
        values["algorithm"] = "ГОСТ Р 34.10-2001"
    return template.format_map(_Defaults(values))


def reason_title(code: str) -> str:
    return TITLES.get(code, TITLES[MALFORMED])


ALL_CODES = tuple(c for c in TITLES if c not in (OK, NO_CERTIFICATE))
