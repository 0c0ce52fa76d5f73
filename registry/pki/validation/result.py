"""What a check decides: :class:`ValidationResult` for callers, :class:`PathOutcome` inside.

The bottom of the package: it imports nothing of the package, and every other module may
use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509

from .. import reasons as R
from ..certificate import QualifiedCertificate, format_name, parse_name


@dataclass
class ValidationResult:
    """Outcome of a certificate check; ``message`` is Russian and says what to do."""

    valid: bool
    code: str
    message: str
    chain: list[QualifiedCertificate] = field(default_factory=list)
    certificate: QualifiedCertificate | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # Until when a decision that rests on OCSP answers may be reused (None: not OCSP-based).
    fresh_until: datetime | None = field(default=None, repr=False, compare=False)

    @property
    def title(self) -> str:
        return R.reason_title(self.code)

    @property
    def warnings(self) -> list[str]:
        """Conditions a caller should journal even though the result stands."""
        return ["stale_crl_grace"] if self.details.get("stale_crl_grace") else []

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "code": self.code,
            "title": self.title,
            "message": self.message,
            "chain": [{"subject": c.subject, "serial": c.serial, "fingerprint_sha256": c.fingerprint}
                      for c in self.chain],
            "details": {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.details.items()},
        }


def make_result(code: str, cert: QualifiedCertificate | None = None, chain=(),
                **details: Any) -> ValidationResult:
    """A result with the Russian message of ``code`` filled from ``details``."""
    return ValidationResult(code == R.OK, code, R.reason_message(code, **details), list(chain),
                            cert, details)


@dataclass
class PathOutcome:
    """What path validation decided, before the certificates are wrapped for the caller."""

    code: str
    chain: list[asn1_x509.Certificate] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: Exception | None = None
    fresh_until: datetime | None = None  # set when the decision rests on OCSP answers


def describe(cert: asn1_x509.Certificate) -> str:
    """A certificate's subject for a message."""
    return format_name(parse_name(cert.subject)) or "(без имени)"


class Described:
    """A certificate's name for a message, formatted only if a message is made."""

    def __init__(self, cert: asn1_x509.Certificate):
        self.cert = cert

    def __str__(self) -> str:
        return describe(self.cert)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def ca_name(name: asn1_x509.Name) -> str:
    """The common name of a CA's name, else the whole name."""
    pairs = parse_name(name)
    for oid, value in pairs:
        if oid == "2.5.4.3":
            return value
    return format_name(pairs) or "(без имени)"


def wrap(certs, known: dict[bytes, QualifiedCertificate] | None = None
         ) -> list[QualifiedCertificate]:
    """The certificates as :class:`QualifiedCertificate`, reusing those already read."""
    known = known or {}
    return [known.get(c.contents) or QualifiedCertificate(c.dump(), c) for c in certs]
