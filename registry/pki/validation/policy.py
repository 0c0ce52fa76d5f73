"""The profile's rules as data, each with the text it comes from.

The profile is RFC 5280 plus the Russian qualified-certificate requirements (ФЗ-63 «Об
электронной подписи», приказ ФСБ России № 795), not the CA/Browser Forum web-PKI rules.
Every rule here names its source in :data:`SOURCES`; the checks that apply them are in
:mod:`.profile` and :mod:`.path`. Imports nothing of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from types import MappingProxyType

from pyhanko_certvalidator import PKIXValidationParams
from pyhanko_certvalidator.policy_decl import DisallowWeakAlgorithmsPolicy

from .. import oids

PURPOSES = ("login", "signature", "any")
# "crl": CRLs of the trust store only. "ocsp": OCSP for every certificate that names a
# responder (AIA), CRLs for the others and when the responder gives no answer. "crl+ocsp":
# CRLs first, OCSP only for a certificate whose issuer has no fresh CRL. "none": no revocation
# check at all (conformance suites and offline structure checks; never for a sign-in).
REVOCATION_MODES = ("crl", "ocsp", "crl+ocsp", "none")
SUPPORTED_SIGNATURES = frozenset({
    "sha256_rsa", "sha384_rsa", "sha512_rsa", "sha224_rsa", "sha1_rsa", "rsassa_pss",
    "sha256_ecdsa", "sha384_ecdsa", "sha512_ecdsa", "sha224_ecdsa", "sha1_ecdsa",
    "ed25519", "ed448", "sha1_dsa", "sha224_dsa", "sha256_dsa",
    "gost2012_256_streebog", "gost2012_512_streebog", "gost2001_gost94",
})
# GOST R 34.10-2001 / 34.11-94: allowed for signatures made before this moment only (the
# certificates of that time still verify when a signature is judged at its own time).
GOST_2001_WITHDRAWN = datetime(2020, 1, 1, tzinfo=timezone.utc)
WITHDRAWN_SIGNATURES = frozenset({"gost2001_gost94"})
WITHDRAWN_KEYS = frozenset({"gost2001"})
# Critical extensions of a certificate this product understands: those of RFC 5280 and the
# qualified-certificate extensions of приказ ФСБ № 795, which real accredited CAs mark critical.
KNOWN_CRITICAL_EXTENSIONS = frozenset({
    "key_usage", "extended_key_usage", "basic_constraints", "subject_alt_name",
    "certificate_policies", "private_key_usage_period", "name_constraints", "policy_constraints",
    "policy_mappings", "inhibit_any_policy", "key_identifier", "authority_key_identifier",
    "crl_distribution_points", "authority_information_access", "issuer_alt_name",
    oids.SUBJECT_SIGN_TOOL, oids.ISSUER_SIGN_TOOL,
})
ALLOWED_EC_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})
MIN_RSA_BITS = 2048
# DSA verifies with 1024-bit and larger primes: FIPS 186-5 withdrew DSA for new signatures
# but keeps verifying existing ones. Qualified certificates use GOST anyway.
MIN_DSA_BITS = 1024
WEAK_HASHES = frozenset({"md2", "md5"})
# Name-constraint checking compares every name with every subtree; real chains need a few
# dozen comparisons, crafted ones millions.
MAX_NAME_CONSTRAINT_WORK = 65536
# Real qualified chains have one to three intermediates; more candidates than this (after
# dropping those that cannot lie on a path) only come from crafted input.
MAX_INTERMEDIATES = 8
DEFAULT_TIMEOUT = 5.0  # seconds for one validation
OCSP_TIMEOUT = 3.0  # seconds per responder request
OCSP_CACHE_SECONDS = 300  # a result decided by OCSP is reused at most this long

# Where each rule comes from (a test checks that every rule above has an entry).
SOURCES = MappingProxyType({
    "PURPOSES": "RFC 5280 §4.2.1.3, §4.2.1.12 (keyUsage, extKeyUsage); ФЗ-63 ст. 14",
    "REVOCATION_MODES": "RFC 5280 §6.3 (CRL), RFC 6960 (OCSP); приказ ФСБ № 795 п. 3 "
                        "(точки распространения СОС)",
    "SUPPORTED_SIGNATURES": "RFC 5280 §4.1.1.2; ФЗ-63 ст. 12 (сертифицированные средства ЭП: "
                            "ГОСТ Р 34.10-2012)",
    "GOST_2001_WITHDRAWN": "ФЗ-63 ст. 12; уведомление ФСБ о прекращении ГОСТ Р 34.10-2001 "
                           "с 01.01.2020",
    "WITHDRAWN_SIGNATURES": "ФЗ-63 ст. 12 (ГОСТ Р 34.10-2001 прекращён)",
    "WITHDRAWN_KEYS": "ФЗ-63 ст. 12 (ГОСТ Р 34.10-2001 прекращён)",
    "KNOWN_CRITICAL_EXTENSIONS": "RFC 5280 §4.2 (unknown critical extension: refuse); "
                                 "приказ ФСБ № 795 п. 3 (subjectSignTool, issuerSignTool)",
    "ALLOWED_EC_CURVES": "RFC 5480 §2.1.1.1 via RFC 5280 §4.1.2.7",
    "MIN_RSA_BITS": "RFC 5280 §4.1.2.7 with RFC 3279 §2.3.1",
    "MIN_DSA_BITS": "RFC 5280 §4.1.2.7 with RFC 3279 §2.3.2",
    "WEAK_HASHES": "RFC 5280 §4.1.1.2 with RFC 6151 (MD5), RFC 6149 (MD2)",
    "MAX_NAME_CONSTRAINT_WORK": "RFC 5280 §4.2.1.10, bounded",
    "MAX_INTERMEDIATES": "RFC 5280 §6.1 (path length), bounded",
    "DEFAULT_TIMEOUT": "RFC 5280 §6 (a decision must be reached), bounded",
    "OCSP_TIMEOUT": "RFC 6960 §2 via RFC 5280 §4.2.2.1 (AIA), bounded",
    "OCSP_CACHE_SECONDS": "RFC 6960 §4.2.2.1 (thisUpdate/nextUpdate), bounded",
})


def algorithm_policy() -> DisallowWeakAlgorithmsPolicy:
    """Which algorithms and key sizes path validation refuses outright."""
    return DisallowWeakAlgorithmsPolicy(weak_hash_algos=WEAK_HASHES, rsa_key_size_threshold=1024,
                                        dsa_key_size_threshold=MIN_DSA_BITS)


@dataclass(frozen=True)
class PolicyInputs:
    """The PKIX certificate-policy inputs of RFC 5280 §6.1.1 (c), (e), (f), (g).

    ``initial_policy_set`` holds dotted OIDs; ``"any_policy"`` (the default) accepts any.
    """

    initial_policy_set: frozenset[str] = frozenset({"any_policy"})
    initial_explicit_policy: bool = False
    initial_policy_mapping_inhibit: bool = False
    initial_any_policy_inhibit: bool = False

    def __post_init__(self) -> None:
        raw = self.initial_policy_set
        values = frozenset([raw] if isinstance(raw, str) else raw)
        if not values:
            raise ValueError("initial_policy_set must not be empty")
        object.__setattr__(self, "initial_policy_set", values)

    def pkix_params(self) -> PKIXValidationParams:
        return PKIXValidationParams(
            user_initial_policy_set=self.initial_policy_set,
            initial_explicit_policy=self.initial_explicit_policy,
            initial_policy_mapping_inhibit=self.initial_policy_mapping_inhibit,
            initial_any_policy_inhibit=self.initial_any_policy_inhibit)

    def key(self) -> tuple:
        return (tuple(sorted(self.initial_policy_set)), self.initial_explicit_policy,
                self.initial_policy_mapping_inhibit, self.initial_any_policy_inhibit)
