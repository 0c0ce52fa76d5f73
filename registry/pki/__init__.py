"""Certificate core: qualified identity, trust store and validation (spec §2).

Stable API used by the rest of the product and by outside scripts::

    load_certificate(data) -> QualifiedCertificate
    TrustStore.from_paths(*paths, crls=())
    validate(cert, *, trust_store, intermediates=(), at=None, purpose="login",
             revocation="crl", crl_grace=None, policy=None) -> ValidationResult
    PolicyInputs(initial_policy_set=..., initial_explicit_policy=..., ...)
"""

from .certificate import MalformedCertificate, QualifiedCertificate, load_certificate
from .reasons import reason_message, reason_title
from .store import LoadProblem, TrustStore, TrustStoreError, load_crl
from .validation import PolicyInputs, ValidationResult, validate


def doctor_info() -> dict:
    """Facts about the cryptographic set-up, for `registry doctor` and /healthz."""
    import asn1crypto
    import cryptography
    import pyhanko_certvalidator

    from . import gost

    gost_info: dict[str, object]
    try:
        active = gost.backend()
        gost_info = {"backend": active.name, "description": active.description,
                     # GOST R 34.10-2001: only for checking signatures made before 2020
                     "gost2001_past_signatures": active.supports_gost2001}
    except Exception as exc:  # the product still works for RSA/ECDSA without GOST
        gost_info = {"backend": None, "error": str(exc)}
    return {
        "gost": gost_info,
        "gost_backends": [b.name for b in gost.available_backends()],
        "pyhanko_certvalidator": pyhanko_certvalidator.__version__,
        "cryptography": cryptography.__version__,
        "asn1crypto": asn1crypto.__version__,
    }


__all__ = [
    "MalformedCertificate", "QualifiedCertificate", "load_certificate", "TrustStore",
    "TrustStoreError", "LoadProblem", "load_crl", "PolicyInputs", "ValidationResult", "validate",
    "reason_message",
    "reason_title", "doctor_info",
]
