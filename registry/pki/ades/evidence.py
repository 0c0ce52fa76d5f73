"""The revocation values a CAdES-X Long signature carries, as evidence at the proven time.

pyhanko-certvalidator judges them (its CRL and OCSP processing of RFC 5280 §6.3 and RFC 6960
§3.2, fed with the carried values only, nothing fetched): a CRL counts only if its signature
verifies against its issuer through the chain; an OCSP response only if its responder's
signature and certificate verify, its cert id matches and its times fit. Revocation is
judged at the proven moment (a revocation dated after it does not count); values produced
after the moment are evidence for it (``retroactive_revinfo``), as X-L values are collected
after signing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509

from ..validation import pyhanko_context

GOOD = "good"
REVOKED = "revoked"
UNKNOWN = "unknown"


@dataclass
class Evidence:
    """What the carried values say about one certificate at the moment."""

    status: str = UNKNOWN
    revoked_at: datetime | None = None
    notes: list[tuple[str, bool | None, str]] = field(default_factory=list)  # (check, passed, detail)


def _path(cert: asn1_x509.Certificate, chain: list[asn1_x509.Certificate]) -> Any:
    from pyhanko_certvalidator.authority import CertTrustAnchor
    from pyhanko_certvalidator.path import ValidationPath

    *intermediates, root = chain
    return ValidationPath(CertTrustAnchor(root), list(reversed(intermediates)), cert)


def carried_status(cert: asn1_x509.Certificate, chain: list[asn1_x509.Certificate], *, crls: list,
                   ocsps: list, others: list[asn1_x509.Certificate], moment: datetime) -> Evidence:
    """The status of ``cert`` at ``moment`` by the carried ``crls`` and ``ocsps``;
    ``chain`` is its issuer first … the root last (already validated)."""
    from pyhanko_certvalidator.errors import RevokedError
    from pyhanko_certvalidator.revinfo.validate_crl import verify_crl
    from pyhanko_certvalidator.revinfo.validate_ocsp import verify_ocsp_response

    evidence = Evidence()
    if not chain or not (crls or ocsps):
        return evidence
    path = _path(cert, chain)
    # one context for both: the CRL issuer's or OCSP responder's own chain needs the CRLs above
    context = pyhanko_context(
        trust_roots=[chain[-1]], other_certs=[*chain[:-1], *others], crls=crls, ocsps=ocsps,
        moment=moment, retroactive_revinfo=True, allow_fetching=False, revocation_mode="hard-fail")
    for kind, values, check in (("СОС", crls, verify_crl), ("OCSP", ocsps, verify_ocsp_response)):
        if not values:
            continue
        name = f"Доказательство отзыва из подписи ({kind})"
        try:
            asyncio.run(check(cert, path, context))
        except RevokedError as exc:
            evidence.status = REVOKED
            evidence.revoked_at = _revocation_time(exc)
            evidence.notes.append((name, False, "сертификат отозван до подтверждённого момента подписания"))
            return evidence
        except Exception as exc:  # not usable: forged, not matching, out of time, malformed
            evidence.notes.append((name, None, f"не учитывается: {_reason(exc)}"))
            continue
        evidence.status = GOOD
        evidence.notes.append((name, True, f"на {moment:%d.%m.%Y %H:%M:%S} UTC сертификат не отозван"))
    return evidence


def _revocation_time(exc: Exception) -> datetime | None:
    return getattr(exc, "revocation_dt", None)


def _reason(exc: Exception) -> str:
    failures = getattr(exc, "failures", None) or []
    text = "; ".join(str(f[0]) if isinstance(f, tuple) else str(f) for f in failures[:2])
    return text or str(exc) or type(exc).__name__


def ocsp_values(raw_list: list) -> list[bytes]:
    """The carried OCSP responses as DER OCSPResponse (RFC 5126 §6.3.4 carries the basic
    response; pyhanko-certvalidator takes the full response)."""
    from asn1crypto import ocsp

    out = []
    for item in raw_list:
        basic = item if isinstance(item, ocsp.BasicOCSPResponse) else ocsp.BasicOCSPResponse.load(item.dump())
        out.append(ocsp.OCSPResponse({"response_status": "successful", "response_bytes": {
            "response_type": "basic_ocsp_response", "response": basic}}))
    return out
