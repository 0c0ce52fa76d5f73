"""RFC 5280 path validation with reasons a person can act on (spec §2, §7).

The profile is RFC 5280 plus the Russian qualified-certificate requirements (ФЗ-63, приказ
ФСБ № 795), not the CA/Browser Forum web-PKI rules: NIST PKITS passes in full, and x509-limbo
cases are refused wherever RFC 5280 refuses them.

pyhanko-certvalidator does the path building and validation; GOST signatures reach it through
its ``signature_validator`` hook. This module adds what a sign-in needs on top: purpose checks,
«CA used as a personal certificate», a precise reason for chains that cannot be built, the PKIX
policy inputs (:class:`PolicyInputs`), revocation by CRL and/or OCSP with an optional grace
period for stale CRLs, a time limit per validation, and a cache of results.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import ipaddress
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from pyhanko_certvalidator import PKIXValidationParams
from pyhanko_certvalidator import registry as _registry_module
from pyhanko_certvalidator import validate as _validate_module
from pyhanko_certvalidator.authority import AuthorityWithCert, CertTrustAnchor, TrustQualifiers
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.errors import (
    DisallowedAlgorithmError,
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)
from pyhanko_certvalidator.name_trees import (
    default_excluded_subtrees,
    default_permitted_subtrees,
    process_general_subtrees,
)
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    DisallowWeakAlgorithmsPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import CertificateRegistry, PathBuilder, SimpleTrustManager
from pyhanko_certvalidator.revinfo import validate_ocsp as _validate_ocsp
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    DefaultSignatureValidator,
    SignatureValidationContext,
)
from pyhanko_certvalidator.validate import async_validate_path

from . import oids
from . import reasons as R
from .certificate import (
    MalformedCertificate,
    QualifiedCertificate,
    format_name,
    load_certificate,
    parse_name,
)
from .truststore import TrustStore

# pyhanko logs every failed CRL-issuer path with a traceback; the reason reaches the caller anyway.
logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)

PURPOSES = ("login", "signature", "any")
# "crl": CRLs of the trust store only. "ocsp": OCSP for every certificate that names a
# responder (AIA), CRLs for the others and when the responder gives no answer. "crl+ocsp":
# CRLs first, OCSP only for a certificate whose issuer has no fresh CRL. "none": no revocation
# check at all (conformance suites and offline structure checks; never for a sign-in).
REVOCATION_MODES = ("crl", "ocsp", "crl+ocsp", "none")
DEFAULT_TIMEOUT = 5.0
OCSP_TIMEOUT = 3.0  # seconds per responder request
OCSP_CACHE_SECONDS = 300  # a result decided by OCSP is reused at most this long
SUPPORTED_SIGNATURES = {
    "sha256_rsa", "sha384_rsa", "sha512_rsa", "sha224_rsa", "sha1_rsa", "rsassa_pss",
    "sha256_ecdsa", "sha384_ecdsa", "sha512_ecdsa", "sha224_ecdsa", "sha1_ecdsa",
    "ed25519", "ed448", "sha1_dsa", "sha224_dsa", "sha256_dsa",
    "gost2012_256_streebog", "gost2012_512_streebog", "gost2001_gost94",
}
# GOST R 34.10-2001 / 34.11-94: allowed for signatures made before this moment only (the
# certificates of that time still verify when a signature is judged at its own time).
GOST_2001_WITHDRAWN = datetime(2020, 1, 1, tzinfo=timezone.utc)
WITHDRAWN_SIGNATURES = {"gost2001_gost94"}
WITHDRAWN_KEYS = {"gost2001"}
# Critical extensions of an end-entity certificate this product understands.
# The Russian qualified-certificate extensions (приказ ФСБ № 795) are read by this product;
# a CA that marks them critical (seen in real accredited CAs' certificates) is not refused
# for it. pyhanko-certvalidator looks its list up at call time.
_validate_module.SUPPORTED_EXTENSIONS = frozenset(
    _validate_module.SUPPORTED_EXTENSIONS | {oids.SUBJECT_SIGN_TOOL, oids.ISSUER_SIGN_TOOL})


class _LazyNamePathIterator(_registry_module.LazyPathIterator):
    """pyhanko-certvalidator's path iterator, naming the certificate only for an error.

    Upstream formats the leaf's subject (``Name.human_friendly``, a fifth of a new chain's
    validation time) whenever a path is built; only the "no issuer" message uses it.
    """

    def __init__(self, walker: Any, cert: asn1_x509.Certificate):
        maybe_trust_anchor = walker.path_builder.trust_manager.as_trust_anchor(
            AuthorityWithCert(cert))
        if maybe_trust_anchor:
            self._as_root = ValidationPath(maybe_trust_anchor, [], None)
        self._walker = walker
        self.emitted_count = 0
        self._cert = cert

    @property
    def _name(self) -> str:
        return self._cert.subject.human_friendly


_registry_module.LazyPathIterator = _LazyNamePathIterator  # type: ignore[misc]
KNOWN_LEAF_EXTENSIONS = {
    "key_usage", "extended_key_usage", "basic_constraints", "subject_alt_name",
    "certificate_policies", "private_key_usage_period", "name_constraints", "policy_constraints",
    "policy_mappings", "inhibit_any_policy", "key_identifier", "authority_key_identifier",
    "crl_distribution_points", "authority_information_access", "issuer_alt_name",
    oids.SUBJECT_SIGN_TOOL, oids.ISSUER_SIGN_TOOL,
}


class GostSignatureValidator(DefaultSignatureValidator):
    """Signature checks for pyhanko-certvalidator: GOST R 34.10-2012 here, the rest upstream."""

    def validate_signature(self, signature: bytes, signed_data: bytes, public_key_info: Any,
                           signature_algorithm: Any,
                           context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT) -> None:
        oid = signature_algorithm["algorithm"].dotted
        if oid == oids.GOST_SIGN_2001:
            self._validate_gost2001(signature, signed_data, public_key_info, context)
            return
        size = oids.GOST_SIGNATURES.get(oid)
        if size is None:
            return super().validate_signature(signature, signed_data, public_key_info,
                                              signature_algorithm, context)
        if oids.GOST_KEYS.get(public_key_info["algorithm"]["algorithm"].dotted) != size or context.prehashed:
            raise InvalidSignature("GOST key does not match the signature algorithm")
        from .gost import GostError, backend

        try:
            ok = backend().verify(public_key_info.dump(), signed_data, signature)
        except GostError as exc:
            raise InvalidSignature(str(exc)) from exc
        if not ok:
            raise InvalidSignature("GOST signature mismatch")

    @staticmethod
    def _validate_gost2001(signature: bytes, signed_data: bytes, public_key_info: Any,
                           context: SignatureValidationContext) -> None:
        # Whether the moment still allows the algorithm is decided by withdrawn_problem().
        key_oid = public_key_info["algorithm"]["algorithm"].dotted
        if key_oid != oids.GOST_KEY_2001 or context.prehashed:
            raise InvalidSignature("GOST R 34.10-2001 key does not match the signature algorithm")
        from .gost import GostError, backend

        try:
            ok = backend().verify_gost2001(public_key_info.dump(), signed_data, signature)
        except GostError as exc:  # GostUnavailable included: fail closed
            raise InvalidSignature(str(exc)) from exc
        if not ok:
            raise InvalidSignature("GOST R 34.10-2001 signature mismatch")


SIGNATURE_VALIDATOR = GostSignatureValidator()


def withdrawn_problem(certs: Sequence[asn1_x509.Certificate],
                      moment: datetime) -> tuple[str, dict] | None:
    """``algorithm_withdrawn`` when a certificate of the chain (leaf first) is signed with, or
    holds a key of, GOST R 34.10-2001 and ``moment`` is at or after its withdrawal."""
    if moment < GOST_2001_WITHDRAWN:
        return None
    for cert in certs:
        signed = cert["signature_algorithm"]["algorithm"].native in WITHDRAWN_SIGNATURES
        if signed or cert.public_key.algorithm in WITHDRAWN_KEYS:
            # The CA that signed it with the withdrawn algorithm, or whose certificate it is.
            ca = cert.issuer if signed or not cert.ca else cert.subject
            return R.ALGORITHM_WITHDRAWN, {"ca_name": _ca_name(ca),
                                           "algorithm": "ГОСТ Р 34.10-2001"}
    return None


def _ca_name(name: asn1_x509.Name) -> str:
    pairs = parse_name(name)
    for oid, value in pairs:
        if oid == "2.5.4.3":
            return value
    return format_name(pairs) or "(без имени)"


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


_DSA_INHERITED = threading.local()


class _ProfileSignatureValidator(DefaultSignatureValidator):
    """:data:`SIGNATURE_VALIDATOR` with DSA parameter inheritance and remembered successes.

    Path validation carries inherited DSA parameters (RFC 5280 §6.1.4 (f)) in its working
    key, but the issuer's key used for a CRL or OCSP response is taken from the certificate
    as is. The algorithm decisions themselves stay with :data:`SIGNATURE_VALIDATOR`.
    """

    def validate_signature(self, signature: bytes, signed_data: bytes, public_key_info: Any,
                           signature_algorithm: Any,
                           context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT
                           ) -> None:
        if public_key_info["algorithm"]["algorithm"].native == "dsa" and \
                public_key_info["algorithm"]["parameters"].native is None:
            full = getattr(_DSA_INHERITED, "keys", {}).get(public_key_info.dump())
            if full is not None:
                public_key_info = full
        # The CA certificates and CRLs of a chain are the same from one sign-in to the next:
        # a signature once verified is not verified again (only successes are remembered).
        digest = hashlib.sha256()
        for part in (public_key_info.dump(), signature_algorithm.dump(), signature, signed_data):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        key = (digest.digest(), context.prehashed, context.contextual_md_algorithm)
        with _VERIFIED_LOCK:
            if key in _VERIFIED:
                _VERIFIED.move_to_end(key)
                return None
        SIGNATURE_VALIDATOR.validate_signature(signature, signed_data, public_key_info,
                                               signature_algorithm, context)
        with _VERIFIED_LOCK:
            _VERIFIED[key] = True
            while len(_VERIFIED) > _VERIFIED_SIZE:
                _VERIFIED.popitem(last=False)
        return None


class _ResponderContext(ValidationContext):
    """The context pyhanko-certvalidator builds to check a delegated OCSP responder's
    certificate (id-pkix-ocsp-nocheck) omits the caller's signature validator, so a GOST
    responder certificate could never verify; this one defaults to the profile's."""

    def __init__(self, *args: Any, signature_validator: Any = None, **kwargs: Any):
        super().__init__(*args, signature_validator=signature_validator or _PROFILE_VALIDATOR,
                         **kwargs)  # type: ignore[misc]


_validate_ocsp.ValidationContext = _ResponderContext  # type: ignore[misc]  # only that check
_VERIFIED: OrderedDict[tuple, bool] = OrderedDict()
_VERIFIED_LOCK = threading.Lock()
_VERIFIED_SIZE = 4096
_PROFILE_VALIDATOR = _ProfileSignatureValidator()


def _dsa_inherited_keys(path: ValidationPath) -> dict[bytes, asn1_keys.PublicKeyInfo]:
    """Public keys of the path whose DSA parameters come from the certificate above."""
    found: dict[bytes, asn1_keys.PublicKeyInfo] = {}
    working = path.trust_anchor.authority.public_key
    for cert in [*path.iter_certs(include_root=False)]:
        key = cert.public_key
        inherits = key["algorithm"]["algorithm"].native == "dsa" and \
            key["algorithm"]["parameters"].native is None
        if inherits and working["algorithm"]["algorithm"].native == "dsa":
            full = key.copy()
            full["algorithm"]["parameters"] = working["algorithm"]["parameters"].copy()
            found[key.dump()] = full
            working = full
        else:
            working = key
    return found


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


def _result(code: str, cert: QualifiedCertificate | None = None, chain=(), **details: Any) -> ValidationResult:
    return ValidationResult(code == R.OK, code, R.reason_message(code, **details), list(chain), cert, details)


# --- cache ---------------------------------------------------------------------------------
class _Cache:
    """LRU of results, each valid until its own deadline (CRL nextUpdate, notAfter…)."""

    def __init__(self, size: int = 20000):
        self.size = size
        self._data: OrderedDict[tuple, tuple[datetime, ValidationResult]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, now: datetime) -> ValidationResult | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            if item[0] <= now:
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return item[1]

    def put(self, key: tuple, until: datetime, result: ValidationResult) -> None:
        with self._lock:
            self._data[key] = (until, result)
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Forget every result, and the remembered signature verifications with them."""
        with self._lock:
            self._data.clear()
        with _VERIFIED_LOCK:
            _VERIFIED.clear()


CACHE = _Cache()
_EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="certvalidate")
# Codes that may change on their own without the inputs changing; never cached.
# Not remembered: they depend on what a store holds besides its readable content (its id).
_TRANSIENT = {R.REVOCATION_UNKNOWN, R.TIMEOUT, R.CA_CERTIFICATE_UNREADABLE}


def _cache_until(result: ValidationResult, store: TrustStore, now: datetime) -> datetime | None:
    if result.code in _TRANSIENT or result.certificate is None or \
            result.details.get("stale_crl_grace"):
        return None
    if result.code == R.NOT_YET_VALID:
        return result.certificate.not_before
    deadlines = [c.not_after for c in result.chain] + [result.certificate.not_after]
    crl_deadline = _crl_deadline(store, result, now)
    if crl_deadline is not None:
        deadlines.append(crl_deadline)
    if result.fresh_until is not None:
        deadlines.append(result.fresh_until)
    until = min(deadlines)
    if result.code == R.EXPIRED:
        until = crl_deadline or now + timedelta(days=1)
    return until if until > now else None


def _crl_deadline(store: TrustStore, result: ValidationResult, now: datetime) -> datetime | None:
    """Earliest nextUpdate of the current CRLs issued by the CAs of this chain.

    Other CAs' CRLs do not matter, and neither do stale ones: a decision cached here did not
    rest on them (a status taken from OCSP instead is bounded by ``fresh_until``).
    """
    by_issuer = _crl_index(store)
    names = {c.asn1.subject.hashable for c in result.chain}
    if not result.chain:  # a decision without a chain still depends on the store's CRLs
        return store.earliest_crl_update
    dates = [d for name in names for _crl, d in by_issuer.get(name, ())
             if d is not None and d > now]
    return min(dates) if dates else None


_CRL_INDEX: OrderedDict[str, dict] = OrderedDict()
_CRL_INDEX_LOCK = threading.Lock()


_CrlIndex = dict[Any, list[tuple[asn1_crl.CertificateList, datetime | None]]]


def _crl_index(store: TrustStore) -> _CrlIndex:
    """The store's profile-conforming CRLs by issuer name, computed once per store content."""
    with _CRL_INDEX_LOCK:
        index = _CRL_INDEX.get(store.id)
    if index is not None:
        return index
    index = {}
    for item in store.crls:
        if crl_problem(item) is None:
            tbs = item["tbs_cert_list"]
            index.setdefault(tbs["issuer"].hashable, []).append((item, tbs["next_update"].native))
    with _CRL_INDEX_LOCK:
        _CRL_INDEX[store.id] = index
        while len(_CRL_INDEX) > 8:
            _CRL_INDEX.popitem(last=False)
    return index


def crl_problem(item: asn1_crl.CertificateList) -> str | None:
    """Why a CRL does not conform to RFC 5280 §5 and so cannot serve as revocation data."""
    try:
        if item["tbs_cert_list"]["version"].native != "v2":
            return "CRL version 1"
        if item.crl_number_value is None:
            return "no cRLNumber (RFC 5280 §5.2.3)"
        if "crl_number" in item.critical_extensions:
            return "critical cRLNumber (RFC 5280 §5.2.3)"
        if item["tbs_cert_list"]["next_update"].native is None:
            return "no nextUpdate (RFC 5280 §5.1.2.5)"
    except Exception as exc:  # an unreadable extension: unusable as revocation data
        return f"unreadable CRL ({type(exc).__name__})"
    return None


def usable_crls(store: TrustStore) -> list[asn1_crl.CertificateList]:
    return [item for items in _crl_index(store).values() for item, _d in items]


# --- public API ----------------------------------------------------------------------------
def validate(cert: QualifiedCertificate | bytes | str, *, trust_store: TrustStore,
             intermediates: Iterable[QualifiedCertificate | bytes | str] = (),
             at: datetime | None = None, purpose: str = "login", revocation: str = "crl",
             crl_grace: timedelta | None = None, policy: PolicyInputs | None = None,
             timeout: float = DEFAULT_TIMEOUT) -> ValidationResult:
    """Decide whether ``cert`` may be trusted for ``purpose`` at ``at`` (default: now).

    ``revocation`` is one of :data:`REVOCATION_MODES`; fail-closed: without current revocation
    data the result is ``revocation_unknown``. OCSP is asked only for a check at the current
    time (``at=None``); a check at a given moment uses the CRLs. ``crl_grace`` lets a CRL
    past its nextUpdate by at most that much still count; such a result is valid and names
    the stale CRLs in ``details["stale_crl_grace"]`` (issuer and nextUpdate) for the journal.
    ``policy`` gives the PKIX policy inputs (default: any policy, nothing required or
    inhibited).

    Never raises for bad certificates: unreadable input is a ``malformed`` result. Results for
    the current time are cached until the earliest CRL nextUpdate, OCSP answer lifetime or
    certificate notAfter involved.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if revocation not in REVOCATION_MODES:
        raise ValueError(f"unknown revocation mode {revocation!r}")
    if crl_grace is not None and crl_grace < timedelta(0):
        raise ValueError("crl_grace must not be negative")
    if policy is not None and not isinstance(policy, PolicyInputs):
        raise TypeError("policy must be a PolicyInputs")
    intermediates = list(intermediates)
    now = datetime.now(timezone.utc)
    # Keyed by the input as given, so a repeated request is answered before any parsing.
    key = (_input_key(cert), trust_store.id, tuple(sorted(map(_input_key, intermediates))),
           purpose, revocation, crl_grace, policy.key() if policy is not None else None)
    if at is None:
        cached = CACHE.get(key, now)
        if cached is not None:
            return cached
    try:
        leaf = cert if isinstance(cert, QualifiedCertificate) else load_certificate(cert)
    except MalformedCertificate as exc:
        return _result(R.MALFORMED, detail=str(exc))
    extra, unreadable = _load_intermediates(intermediates)
    # Validity is encoded to the second (RFC 5280 §4.1.2.5): compare at that granularity.
    moment = (at or now).replace(microsecond=0)
    options = _Options(purpose, revocation, crl_grace, policy, live=at is None)
    future = _EXECUTOR.submit(_validate_now, leaf, trust_store, extra, moment, options)
    try:
        result = future.result(timeout=timeout)
    except FutureTimeout:
        future.cancel()
        return _result(R.TIMEOUT, leaf)
    except Exception as exc:  # a bug or an unforeseen encoding must not escape to a request
        result = _result(R.MALFORMED, leaf, detail=f"ошибка разбора ({type(exc).__name__})")
    if unreadable and not result.valid:
        result.details.setdefault("unreadable_intermediates", unreadable)
    if at is None:
        until = _cache_until(result, trust_store, now)
        if until is not None:
            CACHE.put(key, until, result)
    return result


@dataclass(frozen=True)
class _Options:
    purpose: str = "login"
    revocation: str = "crl"
    crl_grace: timedelta | None = None
    policy: PolicyInputs | None = None
    live: bool = False  # validation at the current time (not at a given ``at``)


_PARSED: OrderedDict[bytes, QualifiedCertificate] = OrderedDict()
_PARSED_LOCK = threading.Lock()
_PARSED_SIZE = 512  # supplied CA certificates: a few per CA


def _load_intermediates(items: Sequence[QualifiedCertificate | bytes | str]
                        ) -> tuple[list[QualifiedCertificate], list[str]]:
    """Parse the supplied intermediates; one that cannot be read is left out and named.

    A bundle often carries certificates the path does not need; an unreadable one must not
    refuse a chain that can be built without it (if it was needed, the chain is incomplete).
    Parsed certificates are kept by input digest: the same CA certificates arrive again and again.
    """
    found, unreadable = [], []
    for item in items:
        if isinstance(item, QualifiedCertificate):
            found.append(item)
            continue
        digest = _input_key(item)
        with _PARSED_LOCK:
            cert = _PARSED.get(digest)
        if cert is None:
            try:
                cert = load_certificate(item)
            except MalformedCertificate as exc:
                unreadable.append(str(exc))
                continue
            with _PARSED_LOCK:
                _PARSED[digest] = cert
                while len(_PARSED) > _PARSED_SIZE:
                    _PARSED.popitem(last=False)
        found.append(cert)
    return found, unreadable


def _input_key(item: QualifiedCertificate | bytes | str) -> bytes:
    if isinstance(item, QualifiedCertificate):
        return bytes.fromhex(item.fingerprint)  # SHA-256 of the DER: the same key as DER input
    raw = item.encode("utf-8", "surrogatepass") if isinstance(item, str) else bytes(item)
    return hashlib.sha256(raw).digest()


def _validate_now(leaf: QualifiedCertificate, store: TrustStore,
                  extra: Sequence[QualifiedCertificate], moment: datetime,
                  options: _Options) -> ValidationResult:
    purpose = options.purpose
    problem = leaf_problem(leaf, purpose) or withdrawn_problem([leaf.asn1], moment)
    if problem is not None:
        return _result(problem[0], leaf, **problem[1])
    crls = usable_crls(store) if options.revocation != "none" else []
    mode = "none" if options.revocation == "none" else "require"
    params = options.policy.pkix_params() if options.policy is not None else None
    roots = [c.asn1 for c in store.roots]
    others = [c.asn1 for c in (*store.intermediates, *extra)]
    ocsp_hook = None
    # An OCSP answer tells the status now: a check at a given past moment uses CRLs only.
    if options.revocation in ("ocsp", "crl+ocsp") and options.live:
        ocsp_hook = _ocsp_prefetch(store, moment,
                                   only_without_fresh_crl=options.revocation == "crl+ocsp")
    outcome = check_path(leaf.asn1, roots=roots, others=others, crls=crls, moment=moment,
                         revocation_mode=mode, params=params, ocsp_hook=ocsp_hook,
                         live=options.live)
    if outcome.code == R.INCOMPLETE_CHAIN and store.problems:
        # The missing CA is in the trust store but its file could not be read: the CA's
        # fault (or the operator's), not the person's.
        unreadable = store.unreadable_ca(str(outcome.details.get("issuer") or ""))
        if unreadable is not None:
            return _result(R.CA_CERTIFICATE_UNREADABLE, leaf, _wrap(outcome.chain),
                           ca_name=unreadable.subject, file=unreadable.path)
    stale: list[dict[str, str]] = []
    if outcome.code == R.REVOCATION_UNKNOWN and options.crl_grace:
        stale = _stale_within_grace(store, outcome.chain, moment, options.crl_grace)
        if stale:
            retry = check_path(leaf.asn1, roots=roots, others=others, crls=crls, moment=moment,
                               revocation_mode=mode, params=params, ocsp_hook=ocsp_hook,
                               revinfo_tolerance=options.crl_grace, live=options.live)
            if retry.code == R.OK:
                dated = _validity_problem([leaf.asn1, *retry.chain[:-1]], moment)
                outcome = dated or retry
            elif retry.code == R.REVOKED:  # a revocation stays a fact on a stale CRL
                outcome, stale = retry, []
    known = _known_certificates(store, extra)
    if outcome.code != R.OK:
        return _result(outcome.code, leaf, _wrap(outcome.chain, known), **outcome.details)
    chain = _wrap(outcome.chain, known)
    weak = (withdrawn_problem(outcome.chain, moment)
            or chain_problem([leaf.asn1, *outcome.chain], moment))
    if weak is not None:
        return _result(weak[0], leaf, chain, **weak[1])
    misuse = purpose_problem(leaf, purpose)
    if misuse:
        return _result(R.WRONG_PURPOSE, leaf, chain, purpose=R.PURPOSE_TEXT[purpose][0],
                       required=R.PURPOSE_TEXT[purpose][1], detail=misuse)
    result = _result(R.OK, leaf, chain)
    if stale:
        result.details["stale_crl_grace"] = stale
    result.fresh_until = outcome.fresh_until
    return result


def _stale_within_grace(store: TrustStore, chain: Sequence[asn1_x509.Certificate], moment: datetime,
                        grace: timedelta) -> list[dict[str, str]]:
    """CRLs of this chain's CAs past nextUpdate by no more than ``grace`` (issuer, nextUpdate)."""
    index = _crl_index(store)
    stale = []
    for ca in chain:
        entries = index.get(ca.subject.hashable, ())
        if any(d is not None and d >= moment for _c, d in entries):
            continue  # this CA has a fresh CRL
        recent = [d for _c, d in entries if d is not None and d < moment <= d + grace]
        if recent:
            stale.append({"issuer": _describe(ca), "next_update": max(recent).isoformat()})
    return stale


def _validity_problem(certs: Sequence[asn1_x509.Certificate],
                      moment: datetime) -> PathOutcome | None:
    """The zero-tolerance validity check for a path validated with a revocation tolerance."""
    for cert in certs:
        if moment > cert.not_valid_after:
            return PathOutcome(R.EXPIRED, [], {"date": cert.not_valid_after,
                                               "where": _describe(cert)})
        if moment < cert.not_valid_before:
            return PathOutcome(R.NOT_YET_VALID, [], {"date": cert.not_valid_before,
                                                     "where": _describe(cert)})
    return None


# --- OCSP --------------------------------------------------------------------------------------
_SESSIONS = threading.local()
_ALL_SESSIONS: list[tuple[Any, Any]] = []


def _ocsp_session():
    """This thread's HTTP session (bound to this thread's event loop; kept for keep-alive)."""
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession

    session = getattr(_SESSIONS, "session", None)
    if session is None:
        session = _SESSIONS.session = LazySession()
        _ALL_SESSIONS.append((_thread_loop(), session))
    return session


@atexit.register
def _close_sessions() -> None:
    for loop, session in _ALL_SESSIONS:
        try:
            if not loop.is_closed() and not loop.is_running():
                loop.run_until_complete(session.close())
        except Exception:
            pass


def _ocsp_prefetch(store: TrustStore, moment: datetime, *, only_without_fresh_crl: bool
                   ) -> Callable[[ValidationPath], list[asn1_ocsp.OCSPResponse]]:
    """A hook that asks the responders (AIA) of a path's certificates for their status.

    With ``only_without_fresh_crl`` a certificate whose issuer has a CRL current at
    ``moment`` is not asked about. Unreachable or broken responders give no answer (then
    the CRL decides, and without one the status is unknown).
    """
    index = _crl_index(store)

    def fresh_crl(issuer: asn1_x509.Certificate) -> bool:
        for item, next_update in index.get(issuer.subject.hashable, ()):
            this_update = item["tbs_cert_list"]["this_update"].native
            if next_update is not None and this_update <= moment <= next_update:
                return True
        return False

    def hook(path: ValidationPath) -> list[asn1_ocsp.OCSPResponse]:
        from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpOCSPFetcher

        certs = list(path.iter_certs(include_root=True))
        wanted = []
        for issuer, cert in zip(certs, certs[1:], strict=False):
            if not cert.ocsp_urls:
                continue
            if only_without_fresh_crl and fresh_crl(issuer):
                continue
            wanted.append((cert, issuer))
        if not wanted:
            return []
        fetcher = AIOHttpOCSPFetcher(_ocsp_session(), per_request_timeout=OCSP_TIMEOUT)

        async def one(cert, issuer):
            try:
                return await asyncio.wait_for(fetcher.fetch(cert, AuthorityWithCert(issuer)),
                                              OCSP_TIMEOUT + 1)
            except Exception as exc:  # unreachable, timeout, malformed: no answer from it
                logging.getLogger(__name__).info("OCSP for %s: %s", _describe(cert), exc)
                return None

        async def all_of():
            return await asyncio.gather(*(one(c, i) for c, i in wanted))

        return [r for r in _run(all_of()) if r is not None]

    return hook


_CRL_FACTS: OrderedDict[int, tuple[Any, Any, bool]] = OrderedDict()
_CRL_FACTS_LOCK = threading.Lock()


def _crl_facts(item: Any) -> tuple[Any, bool]:
    """A CRL's issuer name (comparable form) and whether it is an indirect CRL, remembered."""
    with _CRL_FACTS_LOCK:
        hit = _CRL_FACTS.get(id(item))
        if hit is not None and hit[0] is item:
            return hit[1], hit[2]
    try:
        issuer = item["tbs_cert_list"]["issuer"].hashable
        idp = item.issuing_distribution_point_value
        indirect = bool(idp is not None and idp["indirect_crl"].native)
    except Exception:  # unreadable: let path validation see it and decide
        issuer, indirect = None, True
    with _CRL_FACTS_LOCK:
        _CRL_FACTS[id(item)] = (item, issuer, indirect)  # the entry keeps the object (and id) alive
        while len(_CRL_FACTS) > 8192:
            _CRL_FACTS.popitem(last=False)
    return issuer, indirect


def _crls_for_path(path: ValidationPath, crls: Sequence[Any]) -> list[Any]:
    """The CRLs that can speak for a certificate of ``path``: issued under the name of one of
    its issuers, named as cRLIssuer in a distribution point, or indirect. Path validation
    otherwise examines every CRL of the store for every certificate."""
    if len(crls) <= 2:
        return list(crls)
    names = set()
    for cert in path.iter_certs(include_root=False):
        names.add(cert.issuer.hashable)
        for point in cert.crl_distribution_points_value or ():
            for issuer in point["crl_issuer"] or ():
                if issuer.name == "directory_name":
                    names.add(issuer.chosen.hashable)
    kept = []
    for item in crls:
        issuer, indirect = _crl_facts(item)
        if indirect or issuer is None or issuer in names:
            kept.append(item)
    return kept


def _after_answers(moment: datetime, responses: Sequence[asn1_ocsp.OCSPResponse]) -> datetime:
    """"Now" once the answers have arrived (bounded: a responder's clock may run ahead)."""
    latest = moment
    limit = datetime.now(timezone.utc) + timedelta(seconds=60)
    for response in responses:
        try:
            for single in response.basic_ocsp_response["tbs_response_data"]["responses"]:
                latest = max(latest, min(single["this_update"].native, limit))
        except Exception:
            continue
    return latest


def _ocsp_fresh_until(responses: Sequence[asn1_ocsp.OCSPResponse], moment: datetime) -> datetime:
    """How long a decision taken on these OCSP answers may be reused."""
    until = moment + timedelta(seconds=OCSP_CACHE_SECONDS)
    for response in responses:
        try:
            for single in response.basic_ocsp_response["tbs_response_data"]["responses"]:
                next_update = single["next_update"].native
                if next_update is not None:
                    until = min(until, next_update)
        except Exception:
            continue
    return until


def leaf_problem(leaf: QualifiedCertificate, purpose: str = "login") -> tuple[str, dict] | None:
    """Checks of the end-entity certificate itself that path validation leaves to the caller."""
    if leaf.signature_algorithm not in SUPPORTED_SIGNATURES:
        return R.UNSUPPORTED_ALGORITHM, {"algorithm": leaf.signature_algorithm}
    cert = leaf.asn1
    usage = cert.key_usage_value
    if usage is not None and "key_cert_sign" in usage.native and not leaf.is_ca:
        # RFC 5280 §4.2.1.9: keyCertSign only together with cA.
        return R.MALFORMED, {"detail": "keyCertSign без признака удостоверяющего центра (cA)"}
    if purpose != "any" and (leaf.is_ca or (usage is not None and "key_cert_sign" in usage.native)):
        return R.CA_AS_LEAF, {}
    unknown = sorted(e for e in cert.critical_extensions if e not in KNOWN_LEAF_EXTENSIONS)
    if unknown:
        return R.PATH_CONSTRAINTS, {"detail": f"неизвестное критическое расширение {', '.join(unknown)}"}
    detail = _structure_problem(cert, is_leaf=True)
    if detail is not None:
        return R.MALFORMED, {"detail": detail}
    return None


_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _dns_name_ok(name: str, wildcard: bool = True) -> bool:
    """RFC 5280 §4.2.1.6 preferred name syntax (RFC 1034/1123), a leftmost "*" allowed."""
    if not name or len(name) > 253 or name.endswith("."):
        return False
    labels = name.split(".")
    if wildcard and labels[0] == "*" and len(labels) > 1:
        labels = labels[1:]
    if not all(_DNS_LABEL.match(label) for label in labels):
        return False
    return not labels[-1].isdigit()  # an all-numeric top label is an IP address, not a name


def _email_ok(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and "@" not in local and " " not in local
                and _dns_name_ok(domain, wildcard=False))


def _structure_problem(cert: asn1_x509.Certificate, *, is_leaf: bool) -> str | None:
    """RFC 5280 rules on extension contents that certificate parsing leaves unchecked."""
    eku = cert.extended_key_usage_value
    if eku is not None and len(eku) == 0:
        return "пустое расширение extendedKeyUsage (RFC 5280 §4.2.1.12)"
    usage = cert.key_usage_value
    if usage is not None and not usage.native:
        return "в keyUsage не задано ни одно назначение (RFC 5280 §4.2.1.3)"
    constraints = cert.name_constraints_value
    if constraints is not None:
        if is_leaf and not cert.ca:
            return "ограничения имён в личном сертификате (RFC 5280 §4.2.1.10)"
        if "name_constraints" not in cert.critical_extensions:
            return "ограничения имён не отмечены критическими (RFC 5280 §4.2.1.10)"
        parts = [constraints[p] for p in ("permitted_subtrees", "excluded_subtrees")]
        present = [p for p in parts if isinstance(p, asn1_x509.GeneralSubtrees)]
        if not present or any(len(p) == 0 for p in present):
            return "пустые ограничения имён (RFC 5280 §4.2.1.10)"
    san = cert.subject_alt_name_value
    if not cert.subject.chosen or len(cert.subject.chosen) == 0:
        if san is None:
            return "пустое имя владельца без альтернативного имени (RFC 5280 §4.1.2.6)"
        if "subject_alt_name" not in cert.critical_extensions:
            return ("при пустом имени владельца subjectAltName должно быть критическим "
                    "(RFC 5280 §4.2.1.6)")
    if san is not None and is_leaf:
        for general in san:
            if general.name == "dns_name" and not _dns_name_ok(general.native):
                return f"неверное DNS-имя «{general.native}» в subjectAltName"
            # A CA's own e-mail names are not used by path validation; real accredited CAs
            # carry lists such as «a@b.ru; c@d.ru» there, so only end entities are held to it.
            if general.name == "rfc822_name" and not cert.ca and not _email_ok(general.native):
                return f"неверный адрес электронной почты «{general.native}» в subjectAltName"
            if general.name == "ip_address":
                try:
                    ipaddress.ip_address(general.native)
                except ValueError:
                    return "неверный IP-адрес в subjectAltName"
    return None


def _wildcard_problem(leaf: asn1_x509.Certificate,
                      issuers: Sequence[asn1_x509.Certificate]) -> str | None:
    """A wildcard DNS name that could stand for an excluded name (the CVE-2025-61727 reading)."""
    san = leaf.subject_alt_name_value
    wildcards = [g.native[2:].lower() for g in san or () if g.name == "dns_name"
                 and g.native.startswith("*.")]
    if not wildcards:
        return None
    for issuer in issuers:
        constraints = issuer.name_constraints_value
        excluded = constraints["excluded_subtrees"] if constraints is not None else None
        if not isinstance(excluded, asn1_x509.GeneralSubtrees):
            continue
        for subtree in excluded:
            base = subtree["base"]
            if base.name != "dns_name":
                continue
            value = base.native.lower().lstrip(".")
            if any(value.endswith("." + w) for w in wildcards):
                return f"имя «*.{wildcards[0]}» покрывает запрещённое имя «{value}»"
    return None


ALLOWED_EC_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})
MIN_RSA_BITS = 2048
# DSA (RFC 3279) verifies with 1024-bit and larger primes: FIPS 186-5 withdrew DSA for new
# signatures but keeps verifying existing ones. Qualified certificates use GOST anyway.
MIN_DSA_BITS = 1024


def chain_problem(certs: Sequence[asn1_x509.Certificate], moment: datetime) -> tuple[str, dict] | None:
    """Profile rules for a built chain (leaf first, root last) that path validation leaves out.

    Path validation accepts any key it can compute with and treats the root as a bare name
    and key. A qualified chain must also not rest on a weak key (short or odd-sized RSA,
    small or explicit-parameter curves), on a version 1 certificate, on an expired root, or
    on certificates without the key identifiers and CA markings RFC 5280 requires of issuers.
    Criticality rules that RFC 5280 sets for issuing CAs but PKITS shows relying parties do
    not enforce (basicConstraints, policyConstraints) are not checked.
    """
    for position, cert in enumerate(certs):
        who = _Described(cert)
        is_root, is_leaf = position == len(certs) - 1 and position > 0, position == 0
        if cert["tbs_certificate"]["version"].native != "v3":
            return R.MALFORMED, {"detail": f"сертификат «{who}» версии 1 или 2, требуется версия 3"}
        key = cert.public_key
        if key.algorithm == "rsa":
            bits = key["public_key"].parsed["modulus"].native.bit_length()
            if bits < MIN_RSA_BITS or bits % 8:
                return R.UNSUPPORTED_ALGORITHM, {"algorithm": f"RSA-{bits} («{who}»)"}
        elif key.algorithm == "ec":
            kind, curve = key.curve
            if kind != "named" or curve not in ALLOWED_EC_CURVES:
                label = curve if kind == "named" else "кривая с явными параметрами"
                return R.UNSUPPORTED_ALGORITHM, {"algorithm": f"ECDSA {label} («{who}»)"}
        elif key.algorithm == "dsa":
            params = key["algorithm"]["parameters"]
            if params.native is not None and params["p"].native.bit_length() < MIN_DSA_BITS:
                return R.UNSUPPORTED_ALGORITHM, {
                    "algorithm": f"DSA-{params['p'].native.bit_length()} («{who}»)"}
        if is_root:
            if moment > cert.not_valid_after:
                return R.EXPIRED, {"not_after": cert.not_valid_after.strftime("%d.%m.%Y"),
                                   "detail": f"истёк срок действия корневого сертификата «{who}»"}
            unknown = sorted(e for e in cert.critical_extensions if e not in KNOWN_LEAF_EXTENSIONS)
            if unknown:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"неизвестное критическое расширение {', '.join(unknown)} в «{who}»"}
            # The trust anchor is configured, not merely met: it must itself be a conforming
            # CA certificate (RFC 5280 §4.2.1.9), as the Russian head roots are.
            if cert.basic_constraints_value is not None and \
                    "basic_constraints" not in cert.critical_extensions:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"basicConstraints корневого сертификата «{who}» не критическое"}
        if not is_leaf:
            # RFC 5280 §6.1.4 (k): path processing needs cA; the criticality CAs "MUST" set
            # is an issuing rule that PKITS 4.6.4 shows relying parties do not enforce.
            bc = cert.basic_constraints_value
            if bc is None or not bc["ca"].native:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"у издателя «{who}» нет расширения basicConstraints с cA"}
            if cert.key_identifier is None:
                return R.PATH_CONSTRAINTS, {"detail": f"у издателя «{who}» нет идентификатора ключа"}
            if not cert.subject.contents or len(cert.subject.chosen) == 0:
                return R.PATH_CONSTRAINTS, {"detail": "у издателя пустое имя"}
            usage = cert.key_usage_value
            if usage is not None and "key_cert_sign" not in usage.native:
                return R.PATH_CONSTRAINTS, {"detail": f"издателю «{who}» не разрешено подписывать сертификаты"}
            detail = _structure_problem(cert, is_leaf=False)
            if detail is not None:
                return R.MALFORMED, {"detail": f"{detail} в «{who}»"}
        if "authority_information_access" in cert.critical_extensions:
            return R.MALFORMED, {"detail": f"в «{who}» расширение authorityInfoAccess отмечено критическим"}
        # RFC 5280 §4.2.1.1: every certificate but a self-signed one names its issuer's key
        # (a trust anchor that is itself cross-signed included).
        if not is_root or cert.self_signed == "no":
            aki = cert.authority_key_identifier_value
            if aki is None or aki["key_identifier"].native is None:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"в сертификате «{who}» нет идентификатора ключа издателя"}
        if "authority_key_identifier" in cert.critical_extensions:
            return R.PATH_CONSTRAINTS, {
                "detail": f"идентификатор ключа издателя в «{who}» отмечен критическим"}
    wildcard = _wildcard_problem(certs[0], certs[1:])
    if wildcard is not None:
        return R.PATH_CONSTRAINTS, {"detail": wildcard}
    return None


def purpose_problem(cert: QualifiedCertificate, purpose: str) -> str | None:
    """Why the key usage / extended key usage do not allow ``purpose`` (None if they do)."""
    ku, eku = set(cert.key_usage), set(cert.extended_key_usage)
    if purpose == "login":
        if "digital_signature" not in ku:
            return "нет использования ключа digitalSignature"
        if "client_auth" not in eku:
            return "нет расширенного назначения clientAuth"
    elif purpose == "signature":
        if not ku & {"digital_signature", "non_repudiation"}:
            return "нет использования ключа digitalSignature или nonRepudiation"
    return None


def _wrap(certs: Iterable[asn1_x509.Certificate],
          known: dict[bytes, QualifiedCertificate] | None = None) -> list[QualifiedCertificate]:
    known = known or {}
    return [known.get(c.contents) or QualifiedCertificate(c.dump(), c) for c in certs]


_KNOWN: OrderedDict[str, dict[bytes, QualifiedCertificate]] = OrderedDict()


def _known_certificates(store: TrustStore, extra: Sequence[QualifiedCertificate]
                        ) -> dict[bytes, QualifiedCertificate]:
    """The already-read certificates of the store (and the caller's) by their encoding."""
    with _CRL_INDEX_LOCK:
        base = _KNOWN.get(store.id)
    if base is None:
        base = {c.asn1.contents: c for c in (*store.roots, *store.intermediates)}
        with _CRL_INDEX_LOCK:
            _KNOWN[store.id] = base
            while len(_KNOWN) > 8:
                _KNOWN.popitem(last=False)
    if not extra:
        return base
    return {**base, **{c.asn1.contents: c for c in extra}}


# --- path checks ----------------------------------------------------------------------------
@dataclass
class PathOutcome:
    code: str
    chain: list[asn1_x509.Certificate] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: Exception | None = None
    fresh_until: datetime | None = None  # set when the decision rests on OCSP answers


_REVOCATION_POLICIES = {
    "none": RevocationCheckingPolicy(RevocationCheckingRule.NO_CHECK,
                                     RevocationCheckingRule.NO_CHECK),
}


def check_path(leaf: asn1_x509.Certificate, *, roots: Sequence[asn1_x509.Certificate],
               others: Sequence[asn1_x509.Certificate] = (), crls: Sequence[Any] = (),
               moment: datetime, revocation_mode: str = "require",
               params: PKIXValidationParams | None = None,
               algorithm_policy: Any = None,
               path: ValidationPath | None = None,
               ocsp_hook: Callable[[ValidationPath], list[asn1_ocsp.OCSPResponse]] | None = None,
               revinfo_tolerance: timedelta = timedelta(0), live: bool = False) -> PathOutcome:
    """Build and validate a path from ``leaf`` to one of ``roots``; map failures to codes.

    ``chain`` lists the certificates from the leaf's issuer up to the root. Time tolerance is
    zero; revocation uses the CRLs given and the OCSP answers ``ocsp_hook`` fetches for each
    candidate path. ``revinfo_tolerance`` (the CRL grace period) widens the time window of
    revocation data only: callers must then check the certificates' validity themselves.
    ``live`` says ``moment`` is "now": OCSP answers fetched since are not "too recent".
    """
    supplied = list(others)
    policy = algorithm_policy or DisallowWeakAlgorithmsPolicy(
        weak_hash_algos=frozenset({"md2", "md5"}), rsa_key_size_threshold=1024,
        dsa_key_size_threshold=1024)

    work = _name_constraint_work(leaf, [*roots, *supplied])
    if work > MAX_NAME_CONSTRAINT_WORK:
        return PathOutcome(R.PATH_CONSTRAINTS, [], {
            "detail": "слишком много ограничений имён и имён в сертификате для проверки"})
    anchors = [_anchor(r) for r in roots]
    if path is not None:
        paths = [path]
    else:
        useful = _useful_for(leaf, roots, supplied)
        if len(useful) > MAX_INTERMEDIATES:
            return PathOutcome(R.PATH_CONSTRAINTS, [], {"constraint": (
                f"цепочка допускает {len(useful)} промежуточных сертификатов при пределе "
                f"{MAX_INTERMEDIATES}")})
        try:
            builder = PathBuilder(trust_manager=SimpleTrustManager.build(trust_roots=anchors),
                                  registry=CertificateRegistry.build([*useful, *roots]))
            paths = list(_run(builder.async_build_paths(leaf)))
        except PathBuildingError as exc:
            return _diagnose_unbuildable(leaf, roots, supplied, exc)
    if revocation_mode in _REVOCATION_POLICIES:
        revinfo: dict[str, Any] = {
            "revinfo_policy": CertRevTrustPolicy(_REVOCATION_POLICIES[revocation_mode])}
    else:
        revinfo = {"revocation_mode": revocation_mode}
    first_failure: PathOutcome | None = None
    for candidate in paths:
        chain = list(candidate)[:-1][::-1]  # issuer first … root last, without the leaf
        ocsps = ocsp_hook(candidate) if ocsp_hook is not None else []
        path_crls = _crls_for_path(candidate, crls)
        at = _after_answers(moment, ocsps) if live and ocsps else moment
        # Every supplied certificate stays available to revocation checking (CRL issuers,
        # key rollover certificates); only path building is limited to the useful ones.
        context = ValidationContext(
            trust_roots=anchors, other_certs=supplied, crls=path_crls, ocsps=ocsps,
            moment=at, allow_fetching=False, time_tolerance=revinfo_tolerance,
            signature_validator=_PROFILE_VALIDATOR, algorithm_usage_policy=policy, **revinfo)
        _DSA_INHERITED.keys = _dsa_inherited_keys(candidate)
        try:
            _run(async_validate_path(context, candidate, parameters=params))
            fresh = _ocsp_fresh_until(ocsps, moment) if ocsps else None
            return PathOutcome(R.OK, chain, fresh_until=fresh)
        except (ValidationError, PathValidationError) as exc:
            outcome = _classify(exc, chain, crls)
        except InvalidSignature as exc:
            outcome = PathOutcome(R.BAD_SIGNATURE, chain, {}, exc)
        except NotImplementedError as exc:  # e.g. IP-address name constraints: fail closed
            outcome = PathOutcome(R.PATH_CONSTRAINTS, chain, {
                "detail": "ограничение имён такого вида не поддерживается", "where": ""}, exc)
        finally:
            _DSA_INHERITED.keys = {}
        if first_failure is None:
            first_failure = outcome
    assert first_failure is not None
    return first_failure


def _anchor(root: asn1_x509.Certificate):
    """A trust anchor that keeps the root's own name constraints (RFC 5937 style).

    RFC 5280 ignores a trust anchor's extensions; a root that limits the names below it
    should still be held to that, so the constraints become the path's initial subtrees.
    Policies are left alone: requiring the root's policies would refuse ordinary chains.
    """
    constraints = root.name_constraints_value
    if constraints is None:
        return root
    permitted, excluded = default_permitted_subtrees(), default_excluded_subtrees()
    # A name type the root does not mention stays unconstrained.
    if isinstance(constraints["permitted_subtrees"], asn1_x509.GeneralSubtrees):
        permitted.update(process_general_subtrees(constraints["permitted_subtrees"]))
    if isinstance(constraints["excluded_subtrees"], asn1_x509.GeneralSubtrees):
        excluded.update(process_general_subtrees(constraints["excluded_subtrees"]))
    params = PKIXValidationParams(initial_permitted_subtrees=permitted,
                                  initial_excluded_subtrees=excluded)
    return CertTrustAnchor(root, quals=TrustQualifiers(standard_parameters=params))


# Name-constraint checking compares every name with every subtree; real chains need a few
# dozen comparisons, crafted ones millions.
MAX_NAME_CONSTRAINT_WORK = 65536


def _name_constraint_work(leaf: asn1_x509.Certificate, issuers) -> int:
    subtrees = 0
    for cert in issuers:
        constraints = cert.name_constraints_value
        if constraints is not None:
            for part in ("permitted_subtrees", "excluded_subtrees"):
                value = constraints[part]
                subtrees += len(value) if isinstance(value, asn1_x509.GeneralSubtrees) else 0
    if not subtrees:
        return 0
    # The names checked (RFC 5280 §4.2.1.10): the subject, and the subjectAltName entries or,
    # without that extension, each e-mail address attribute of the subject.
    san = leaf.subject_alt_name_value
    if san is not None:
        names = len(san)
    else:
        names = sum(1 for rdn in leaf.subject.chosen for attr in rdn
                    if attr["type"].dotted == "1.2.840.113549.1.9.1")
    return subtrees * (1 + names)


# Real qualified chains have one to three intermediates; more candidates than this (after
# dropping those that cannot lie on a path) only come from crafted input.
MAX_INTERMEDIATES = 8


_LOOPS = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    loop = getattr(_LOOPS, "loop", None)
    if loop is None or loop.is_closed():
        loop = _LOOPS.loop = asyncio.new_event_loop()
    return loop


def _run(coroutine):
    """Run a coroutine on this thread's own event loop (asyncio.run builds a new one per call)."""
    return _thread_loop().run_until_complete(coroutine)


_USEFUL: OrderedDict[tuple, list[asn1_x509.Certificate]] = OrderedDict()
_USEFUL_LOCK = threading.Lock()


def _useful_for(leaf: asn1_x509.Certificate, roots: Sequence[asn1_x509.Certificate],
                others: Sequence[asn1_x509.Certificate]) -> list[asn1_x509.Certificate]:
    """:func:`_useful_intermediates`, remembered: it depends on the leaf only through its
    issuer name and authority key identifier, and the pool is the same for every sign-in."""
    key = (leaf.issuer.hashable, leaf.authority_key_identifier,
           tuple(c.contents for c in roots), tuple(c.contents for c in others))
    with _USEFUL_LOCK:
        hit = _USEFUL.get(key)
        if hit is not None:
            _USEFUL.move_to_end(key)
            return hit
    useful = _useful_intermediates(leaf, roots, others)
    with _USEFUL_LOCK:
        _USEFUL[key] = useful
        while len(_USEFUL) > 256:
            _USEFUL.popitem(last=False)
    return useful


def _useful_intermediates(leaf: asn1_x509.Certificate, roots: Sequence[asn1_x509.Certificate],
                          others: Sequence[asn1_x509.Certificate]) -> list[asn1_x509.Certificate]:
    """The intermediates that lie on some name chain from ``leaf`` to a root.

    The path builder enumerates every path, which is exponential when many certificates share
    a name; this linear-time pruning by names and key identifiers keeps crafted bundles (a
    hundred same-named CAs that lead nowhere) from stalling a worker.
    """
    facts: dict[int, tuple] = {}

    def links(child, parent) -> bool:
        for cert in (child, parent):
            if id(cert) not in facts:
                facts[id(cert)] = (cert.issuer.hashable, cert.subject.hashable,
                                   cert.authority_key_identifier, cert.key_identifier)
        issuer, _s, aki, _k = facts[id(child)]
        _i, subject, _a, ski = facts[id(parent)]
        return issuer == subject and (aki is None or ski is None or aki == ski)

    # Keyed by the encoded bytes as read: asn1crypto's ``sha256`` re-serialises a parsed
    # certificate, which alters some legacy encodings before their signatures are checked.
    skip = {leaf.contents, *(r.contents for r in roots)}
    pool = {c.contents: c for c in others if c.contents not in skip}
    reaches_root = {k for k, c in pool.items() if any(links(c, r) for r in roots)}
    changed = True
    while changed:  # backwards: whatever an already-useful certificate's subject issued
        changed = False
        for k, c in pool.items():
            if k not in reaches_root and any(links(c, pool[p]) for p in reaches_root):
                reaches_root.add(k)
                changed = True
    from_leaf: set[bytes] = set()
    frontier = [leaf]
    while frontier:  # forwards from the leaf, only through useful certificates
        child = frontier.pop()
        for k in reaches_root - from_leaf:
            if links(child, pool[k]):
                from_leaf.add(k)
                frontier.append(pool[k])
    return [pool[k] for k in pool if k in from_leaf]


class _Described:
    """A certificate's name for a message, formatted only if a message is made."""

    def __init__(self, cert: asn1_x509.Certificate):
        self.cert = cert

    def __str__(self) -> str:
        return _describe(self.cert)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _describe(cert: asn1_x509.Certificate) -> str:
    return format_name(parse_name(cert.subject)) or "(без имени)"


def _diagnose_unbuildable(leaf: asn1_x509.Certificate, roots, others, exc: Exception) -> PathOutcome:
    pool = list(roots) + list(others)
    chain: list[asn1_x509.Certificate] = []
    current, seen = leaf, {leaf.sha256}
    while True:
        if current.self_signed in ("yes", "maybe"):
            return PathOutcome(R.UNTRUSTED_ROOT, chain, {"root": _describe(current)}, exc)
        issuers = [c for c in pool if c.subject == current.issuer and c.sha256 not in seen]
        if not issuers:
            issuer = format_name(parse_name(current.issuer))
            return PathOutcome(R.INCOMPLETE_CHAIN, chain, {"issuer": issuer}, exc)
        current = issuers[0]
        seen.add(current.sha256)
        chain.append(current)


def _classify(exc: Exception, chain, crls) -> PathOutcome:
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
                return _describe(chain[position])
        except Exception:
            pass
    return _describe(chain[0]) if chain else "издатель сертификата"
