"""The product's certificate check: ``registry.pki.validate`` plus what the trust layer knows.

Every decision of the application (sign-in, the API, document signatures) goes through
:func:`validate`, which

- passes the configured revocation method (``REGISTRY_REVOCATION``) and CRL grace period
  (``REGISTRY_CRL_GRACE``) to ``registry.pki.validate``;
- refuses a chain through a CA whose accreditation was not in force at the time of the
  decision (``ca_not_accredited``): now for a sign-in, the signing time for a signature.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from ..pki import QualifiedCertificate, TrustStore, ValidationResult
from ..pki import reasons as R
from ..pki import validate as pki_validate
from .accreditation import index_for

log = logging.getLogger(__name__)

REVOCATION_METHODS = ("crl", "ocsp", "crl+ocsp")
DEFAULT_REVOCATION = "crl+ocsp"
CA_NOT_ACCREDITED = getattr(R, "CA_NOT_ACCREDITED", "ca_not_accredited")
# registry.pki.validate names the CRLs it accepted within the grace period here.
GRACE_DETAIL = "stale_crl_grace"
MOSCOW = timezone(timedelta(hours=3))

_PARAMETERS = set(inspect.signature(pki_validate).parameters)


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


def validate(
    cert: QualifiedCertificate | bytes | str,
    *,
    trust_store: TrustStore | None = None,
    intermediates: Iterable[QualifiedCertificate | bytes | str] = (),
    at: datetime | None = None,
    purpose: str = "login",
    config: Any = None,
    **kwargs: Any,
) -> ValidationResult:
    """``registry.pki.validate`` with the app's revocation settings and the accreditation check.

    Without ``trust_store`` the current application's store is used.
    """
    if trust_store is None:
        from .holder import trust_store as current_store

        trust_store = current_store()
    revocation, grace = revocation_options(config)
    options = dict(kwargs)
    if "revocation" in _PARAMETERS:
        options.setdefault("revocation", revocation)
    if "crl_grace" in _PARAMETERS:
        options.setdefault("crl_grace", grace)
    intermediates = list(intermediates)
    result = pki_validate(
        cert,
        trust_store=trust_store,
        intermediates=intermediates,
        at=at,
        purpose=purpose,
        **options,
    )
    if not result.valid:
        return result
    problem = accreditation_problem(result, trust_store, at)
    if problem is not None:
        return problem
    if result.details.get(GRACE_DETAIL):
        _note_grace(result, trust_store.id)
    return result


GRACE_JOURNAL_PREFIX = "Вход по просроченному списку отзыва"
_GRACE_LOGGED: dict[tuple, float] = {}
_GRACE_LOG_EVERY = 600.0


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
    import time

    stale = result.details[GRACE_DETAIL]
    detail = stale[0] if isinstance(stale, (list, tuple)) else stale
    fingerprint = result.certificate.fingerprint if result.certificate else "?"
    key = (fingerprint, detail.get("issuer"), store_id)
    now = time.monotonic()
    if now - _GRACE_LOGGED.get(key, -_GRACE_LOG_EVERY) >= _GRACE_LOG_EVERY:
        if len(_GRACE_LOGGED) > 10000:
            _GRACE_LOGGED.clear()
        _GRACE_LOGGED[key] = now
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
    result: ValidationResult, store: TrustStore, at: datetime | None
) -> ValidationResult | None:
    """A ``ca_not_accredited`` refusal if a CA of the chain was not accredited at ``at``."""
    index = index_for(store.id)
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
