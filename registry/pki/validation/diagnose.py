"""Reasons a person can act on, for chains that cannot be built or fail validation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator.errors import (
    DisallowedAlgorithmError,
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    RevokedError,
)

from .. import reasons as R
from ..certificate import format_name, parse_name
from .result import PathOutcome, describe


def diagnose_unbuildable(leaf: asn1_x509.Certificate, roots, others, exc: Exception) -> PathOutcome:
    """Why no path could be built: the root met is not trusted, or an issuer is missing."""
    pool = list(roots) + list(others)
    chain: list[asn1_x509.Certificate] = []
    current, seen = leaf, {leaf.sha256}
    while True:
        if current.self_signed in ("yes", "maybe"):
            return PathOutcome(R.UNTRUSTED_ROOT, chain, {"root": describe(current)}, exc)
        issuers = [c for c in pool if c.subject == current.issuer and c.sha256 not in seen]
        if not issuers:
            issuer = format_name(parse_name(current.issuer))
            return PathOutcome(R.INCOMPLETE_CHAIN, chain, {"issuer": issuer}, exc)
        current = issuers[0]
        seen.add(current.sha256)
        chain.append(current)


def classify(exc: Exception, chain, crls) -> PathOutcome:
    """The reason code and details for an error of pyhanko-certvalidator's path validation."""
    msg = str(exc)
    who = getattr(getattr(exc, "proc_state", None), "describe_cert", lambda: "")()
    details: dict[str, Any] = {"detail": msg, "where": who}
    if isinstance(exc, RevokedError):
        details["date"] = exc.revocation_dt
        return PathOutcome(R.REVOKED, chain, details, exc)
    if isinstance(exc, InsufficientRevinfoError):
        details["issuer"] = _revinfo_issuer(exc, chain)
        return PathOutcome(R.REVOCATION_UNKNOWN, chain, details, exc)
    if isinstance(exc, ExpiredError):
        details["date"] = exc.expired_dt
        return PathOutcome(R.EXPIRED, chain, details, exc)
    if isinstance(exc, NotYetValidError):
        details["date"] = exc.valid_from
        return PathOutcome(R.NOT_YET_VALID, chain, details, exc)
    if isinstance(exc, DisallowedAlgorithmError):
        details["algorithm"] = msg
        return PathOutcome(R.UNSUPPORTED_ALGORITHM, chain, details, exc)
    if "signature" in msg and "could not be verified" in msg:
        return PathOutcome(R.BAD_SIGNATURE, chain, details, exc)
    if "not supported" in msg.lower() or "unsupported" in msg.lower() and "critical extension" not in msg:
        details["algorithm"] = msg
        return PathOutcome(R.UNSUPPORTED_ALGORITHM, chain, details, exc)
    details["detail"] = _constraint_text(msg)
    return PathOutcome(R.PATH_CONSTRAINTS, chain, details, exc)


_CONSTRAINT_TEXTS = (
    ("maximum path length", "превышена допустимая длина цепочки"),
    ("is not a CA", "издатель не является удостоверяющим центром"),
    ("not allowed to sign certificates", "ключ издателя не предназначен для подписи сертификатов"),
    ("permitted namespace", "имя владельца вне разрешённого пространства имён"),
    ("excluded from", "имя владельца в запрещённом пространстве имён"),
    ("policies", "нет допустимой политики сертификата"),
    ("critical extension", "неизвестное критическое расширение"),
    ("issuer name", "имя издателя не совпадает"),
)


def _constraint_text(message: str) -> str:
    for needle, text in _CONSTRAINT_TEXTS:
        if needle in message:
            return text
    return "нарушены ограничения цепочки"


def _revinfo_issuer(exc: Exception, chain) -> str:
    state = getattr(exc, "proc_state", None)
    index = getattr(state, "index", None)
    # The certificate whose status is unknown was issued by the next one up the chain.
    if isinstance(index, int) and chain:
        try:
            position = len(chain) - index
            if 0 <= position < len(chain):
                return describe(chain[position])
        except Exception:
            pass
    return describe(chain[0]) if chain else "издатель сертификата"


def validity_problem(certs: Sequence[asn1_x509.Certificate],
                      moment: datetime) -> PathOutcome | None:
    """The zero-tolerance validity check for a path validated with a revocation tolerance."""
    for cert in certs:
        if moment > cert.not_valid_after:
            return PathOutcome(R.EXPIRED, [], {"date": cert.not_valid_after,
                                               "where": describe(cert)})
        if moment < cert.not_valid_before:
            return PathOutcome(R.NOT_YET_VALID, [], {"date": cert.not_valid_before,
                                                     "where": describe(cert)})
    return None
