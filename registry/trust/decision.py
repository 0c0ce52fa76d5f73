"""The application's trust decision: ``registry.pki.validate`` plus what the trust layer knows.

Every decision about a certificate (sign-in, the API, document and МЧД signatures,
``registry cert verify``) goes through :func:`decide`, so one certificate gets one verdict
everywhere. It

- passes the configured revocation method (``REGISTRY_REVOCATION``) and CRL grace period
  (``REGISTRY_CRL_GRACE``) to ``registry.pki.validate``;
- refuses a chain through a CA whose accreditation was not in force at the time of the
  decision (``ca_not_accredited``): now for a sign-in, the signing time for a signature.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from cachetools import TTLCache

from ..pki import QualifiedCertificate, TrustStore, ValidationResult
from ..pki import reasons as R
from ..pki import validate as pki_validate
from ..pki.validation import Memo
from .accreditation import AccreditationIndex, index_for

log = logging.getLogger(__name__)

REVOCATION_METHODS = ("crl", "ocsp", "crl+ocsp")
DEFAULT_REVOCATION = "crl+ocsp"
CA_NOT_ACCREDITED = R.CA_NOT_ACCREDITED
# registry.pki.validate names the CRLs it accepted within the grace period here.
GRACE_DETAIL = "stale_crl_grace"
MOSCOW = timezone(timedelta(hours=3))


def parse_duration(value: str | timedelta | int | None) -> timedelta | None:
    """ "6h", "30m", "1d", "90s" or a number of seconds; "", "0", "none" mean no grace."""
    if value is None or isinstance(value, timedelta):
        return value or None
    if isinstance(value, (int, float)):
        return timedelta(seconds=value) if value > 0 else None
    text = value.strip().lower()
    if text in ("", "0", "none", "off", "no"):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd]?)", text)
    if not match:
        raise ValueError(f"не понимаю длительность {value!r} (примеры: 6h, 30m, 1d)")
    number, unit = float(match.group(1)), match.group(2) or "s"
    return timedelta(seconds=number * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]) or None


def parse_revocation(value: str | None) -> str:
    text = (value or DEFAULT_REVOCATION).strip().lower().replace(" ", "")
    if text not in REVOCATION_METHODS:
        raise ValueError(f"REGISTRY_REVOCATION={value!r}: одно из {', '.join(REVOCATION_METHODS)}")
    return text


def revocation_options(config: Any = None) -> tuple[str, timedelta | None]:
    """(revocation method, CRL grace) of ``config`` or of the current application."""
    if config is None:
        from flask import current_app, has_app_context

        config = current_app.config if has_app_context() else {}
    return (
        parse_revocation(config.get("REGISTRY_REVOCATION")),
        parse_duration(config.get("REGISTRY_CRL_GRACE")),
    )


def decide(
    cert: QualifiedCertificate | bytes | str,
    *,
    trust_store: TrustStore | None = None,
    intermediates: Iterable[QualifiedCertificate | bytes | str] = (),
    at: datetime | None = None,
    purpose: str = "login",
    config: Any = None,
    accreditation: AccreditationIndex | None = None,
    **kwargs: Any,
) -> ValidationResult:
    """Whether the application trusts ``cert`` for ``purpose`` at ``at`` (default: now).

    ``registry.pki.validate`` with the app's revocation settings, then the accreditation of
    every CA of the chain at ``at``. Without ``trust_store`` the current application's store
    is used; without ``accreditation`` the list imported with that store (none for a store
    built by hand).
    """
    if trust_store is None:
        from .store import trust_store as current_store

        trust_store = current_store()
    revocation, grace = revocation_options(config)
    kwargs.setdefault("revocation", revocation)
    kwargs.setdefault("crl_grace", grace)
    result = pki_validate(cert, trust_store=trust_store, intermediates=list(intermediates),
                          at=at, purpose=purpose, **kwargs)
    if not result.valid:
        return result
    index = accreditation if accreditation is not None else index_for(trust_store.id)
    problem = accreditation_problem(result, index, at)
    if problem is not None:
        return problem
    if result.details.get(GRACE_DETAIL):
        _note_grace(result, trust_store.id)
    return result


GRACE_JOURNAL_PREFIX = "Вход по просроченному списку отзыва"
_GRACE_LOG_EVERY = 600.0
# Grace acceptances logged lately, so a person signing in again and again is logged once
# every few minutes.
_GRACE_LOGGED: Memo[float] = Memo(TTLCache(maxsize=10000, ttl=_GRACE_LOG_EVERY,
                                           timer=time.monotonic))


def grace_message(detail: dict) -> str:
    next_update = detail.get("next_update")
    when = (
        datetime.fromisoformat(next_update).astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M МСК")
        if next_update
        else "—"
    )
    return (
        f"{GRACE_JOURNAL_PREFIX} «{detail.get('issuer')}» (действовал до {when}) — "
        f"в пределах льготного периода REGISTRY_CRL_GRACE"
    )


def _note_grace(result: ValidationResult, store_id: str) -> None:
    """Log a grace acceptance (at most every few minutes per certificate) and mark the request."""
    stale = result.details[GRACE_DETAIL]
    detail = stale[0] if isinstance(stale, (list, tuple)) else stale
    fingerprint = result.certificate.fingerprint if result.certificate else "?"
    key = (fingerprint, detail.get("issuer"), store_id)
    if _GRACE_LOGGED.get(key) is None:
        _GRACE_LOGGED.put(key, time.monotonic())
        log.warning(
            "certificate %s accepted on a stale CRL of %s (nextUpdate %s) within the grace period",
            fingerprint,
            detail.get("issuer"),
            detail.get("next_update"),
        )
    from flask import g, has_request_context

    if has_request_context():
        g.trust_crl_grace = (fingerprint, detail)


def accreditation_problem(
    result: ValidationResult, index: AccreditationIndex | None, at: datetime | None
) -> ValidationResult | None:
    """A ``ca_not_accredited`` refusal if a CA of the chain was not accredited at ``at``."""
    if not index:
        return None
    moment = at or datetime.now(timezone.utc)
    found = index.problem(result.chain, moment)
    if found is None:
        return None
    ca, status = found
    details = {
        "ca": ca.title,
        "ca_name": ca.title,
        "status": (status or "не действовала").lower(),
        "date": moment.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M МСК"),
        "inn": ca.inn,
        "ogrn": ca.ogrn,
        "ca_fault": True,
    }
    return ValidationResult(
        False,
        CA_NOT_ACCREDITED,
        R.reason_message(CA_NOT_ACCREDITED, **details),
        list(result.chain),
        result.certificate,
        details,
    )
