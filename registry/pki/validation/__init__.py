"""Certificate validation: RFC 5280 paths under the Russian qualified-certificate profile.

The profile is RFC 5280 plus ФЗ-63 and приказ ФСБ № 795, not the CA/Browser Forum web-PKI
rules: NIST PKITS passes in full, and x509-limbo cases are refused wherever RFC 5280 refuses
them. Layers, each importing only those before it (tests/test_architecture.py checks)::

    result, policy, cache  ←  profile, signatures  ←  crl, diagnose, _pyhanko_compat
        ←  ocsp  ←  path  ←  api

Every change to pyHanko and pyhanko-certvalidator is in ``_pyhanko_compat`` (its public
names: :func:`install_pyhanko`, :func:`pyhanko_context`, :data:`PYHANKO_SIGNATURE_VALIDATOR`).
Only ``cache`` (what validation remembers) and ``ocsp`` (worker threads, event loops and HTTP
sessions) keep state.
"""

from ._pyhanko_compat import PYHANKO_SIGNATURE_VALIDATOR, install_pyhanko, pyhanko_context
from .api import validate
from .cache import CACHES, Caches, Memo, clear_all
from .crl import crl_problem, usable_crls
from .policy import (
    DEFAULT_TIMEOUT,
    GOST_2001_WITHDRAWN,
    OCSP_CACHE_SECONDS,
    PURPOSES,
    REVOCATION_MODES,
    PolicyInputs,
)
from .result import ValidationResult
from .signatures import SIGNATURE_VALIDATOR, GostSignatureValidator

__all__ = [
    "validate", "ValidationResult", "PolicyInputs", "PURPOSES", "REVOCATION_MODES",
    "DEFAULT_TIMEOUT", "GOST_2001_WITHDRAWN", "OCSP_CACHE_SECONDS", "CACHES", "Caches",
    "clear_all", "Memo", "crl_problem", "usable_crls", "SIGNATURE_VALIDATOR", "GostSignatureValidator",
    "PYHANKO_SIGNATURE_VALIDATOR", "install_pyhanko", "pyhanko_context",
]
