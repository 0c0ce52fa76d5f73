"""CRL facts the trust layer needs: who issued it, is its signature right, is it newer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import crl as asn1_crl

from ..pki import QualifiedCertificate, TrustStoreError, load_crl


class CrlInvalid(ValueError):
    """Not a CRL of the expected issuer (unreadable, wrong signature, wrong issuer)."""


@dataclass(frozen=True)
class CrlInfo:
    crl: asn1_crl.CertificateList
    issuer: QualifiedCertificate
    this_update: datetime
    next_update: datetime | None
    number: int | None

    def newer_than(self, other: CrlInfo) -> bool:
        """Whether this CRL supersedes ``other`` (by CRL number, then by thisUpdate)."""
        if self.number is not None and other.number is not None and self.number != other.number:
            return self.number > other.number
        return self.this_update > other.this_update


def issued_by(crl: asn1_crl.CertificateList, cert: QualifiedCertificate) -> bool:
    """Whether ``cert``'s name and key identifier match the CRL's issuer (no signature check)."""
    tbs = crl["tbs_cert_list"]
    if tbs["issuer"] != cert.asn1.subject:
        return False
    aki = crl.authority_key_identifier
    ski = cert.asn1.key_identifier
    return aki is None or ski is None or aki == ski


def verify_signature(crl: asn1_crl.CertificateList, issuer: QualifiedCertificate) -> bool:
    from ..pki.validation import SIGNATURE_VALIDATOR

    try:
        SIGNATURE_VALIDATOR.validate_signature(
            crl["signature"].native,
            crl["tbs_cert_list"].dump(),
            issuer.asn1.public_key,
            crl["signature_algorithm"],
        )
        return True
    except Exception:  # InvalidSignature, an unsupported algorithm, a broken key
        return False


def check_crl(
    data: bytes | asn1_crl.CertificateList, issuers: Iterable[QualifiedCertificate]
) -> CrlInfo:
    """Parse ``data`` and verify it against one of ``issuers``; raises :class:`CrlInvalid`."""
    try:
        crl = data if isinstance(data, asn1_crl.CertificateList) else load_crl(data)
        tbs = crl["tbs_cert_list"]
        this_update = tbs["this_update"].native
        next_update = tbs["next_update"].native
        number = crl.crl_number_value.native if crl.crl_number_value is not None else None
    except (TrustStoreError, ValueError, TypeError) as exc:
        raise CrlInvalid(f"не CRL или CRL повреждён ({exc})") from None
    candidates = [c for c in issuers if issued_by(crl, c)]
    if not candidates:
        raise CrlInvalid("CRL выпущен не этим удостоверяющим центром")
    for cert in candidates:
        usage = cert.asn1.key_usage_value
        if usage is not None and "crl_sign" not in usage.native:
            continue
        if verify_signature(crl, cert):
            return CrlInfo(crl, cert, this_update, next_update, number)
    raise CrlInvalid("подпись CRL не сходится с ключом удостоверяющего центра")
