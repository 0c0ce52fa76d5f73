"""RFC 5280 path validation with reasons a person can act on (spec §2).

pyhanko-certvalidator does the path building and validation; GOST signatures reach it through
its ``signature_validator`` hook. This module adds what a sign-in needs on top: purpose checks,
«CA used as a personal certificate», a precise reason for chains that cannot be built, a time
limit per validation, and a cache of results.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Sequence

from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from pyhanko_certvalidator import PKIXValidationParams
from pyhanko_certvalidator.authority import CertTrustAnchor, TrustQualifiers
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.name_trees import (
    default_excluded_subtrees, default_permitted_subtrees, process_general_subtrees)
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
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.registry import CertificateRegistry, PathBuilder
from pyhanko_certvalidator.policy_decl import DisallowWeakAlgorithmsPolicy
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    DefaultSignatureValidator,
    SignatureValidationContext,
)
from pyhanko_certvalidator.validate import async_validate_path

from . import oids
from . import reasons as R
from .certificate import MalformedCertificate, QualifiedCertificate, format_name, load_certificate, parse_name
from .truststore import TrustStore

# pyhanko logs every failed CRL-issuer path with a traceback; the reason reaches the caller anyway.
logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)

PURPOSES = ("login", "signature", "any")
DEFAULT_TIMEOUT = 5.0
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


@dataclass
class ValidationResult:
    """Outcome of a certificate check; ``message`` is Russian and says what to do."""

    valid: bool
    code: str
    message: str
    chain: list[QualifiedCertificate] = field(default_factory=list)
    certificate: QualifiedCertificate | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return R.reason_title(self.code)

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
        with self._lock:
            self._data.clear()


CACHE = _Cache()
_EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="certvalidate")
# Codes that may change on their own without the inputs changing; never cached.
_TRANSIENT = {R.REVOCATION_UNKNOWN, R.TIMEOUT}


def _cache_until(result: ValidationResult, store: TrustStore, now: datetime) -> datetime | None:
    if result.code in _TRANSIENT or result.certificate is None:
        return None
    if result.code == R.NOT_YET_VALID:
        return result.certificate.not_before
    deadlines = [c.not_after for c in result.chain] + [result.certificate.not_after]
    if store.earliest_crl_update:
        deadlines.append(store.earliest_crl_update)
    until = min(deadlines)
    if result.code == R.EXPIRED:
        until = store.earliest_crl_update or now + timedelta(days=1)
    return until if until > now else None


# --- public API ----------------------------------------------------------------------------
def validate(cert: QualifiedCertificate | bytes | str, *, trust_store: TrustStore,
             intermediates: Iterable[QualifiedCertificate | bytes | str] = (),
             at: datetime | None = None, purpose: str = "login",
             timeout: float = DEFAULT_TIMEOUT, revocation_mode: str = "require") -> ValidationResult:
    """Decide whether ``cert`` may be trusted for ``purpose`` at ``at`` (default: now).

    Never raises: unreadable input is a ``malformed`` result. Results for the current time are
    cached until the earliest CRL nextUpdate or certificate notAfter involved.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    intermediates = list(intermediates)
    now = datetime.now(timezone.utc)
    # Keyed by the input as given, so a repeated request is answered before any parsing.
    key = (_input_key(cert), trust_store.id, tuple(sorted(map(_input_key, intermediates))),
           purpose, revocation_mode)
    if at is None:
        cached = CACHE.get(key, now)
        if cached is not None:
            return cached
    try:
        leaf = cert if isinstance(cert, QualifiedCertificate) else load_certificate(cert)
        extra = [c if isinstance(c, QualifiedCertificate) else load_certificate(c) for c in intermediates]
    except MalformedCertificate as exc:
        return _result(R.MALFORMED, detail=str(exc))
    moment = at or now
    future = _EXECUTOR.submit(_validate_now, leaf, trust_store, extra, moment, purpose, revocation_mode)
    try:
        result = future.result(timeout=timeout)
    except FutureTimeout:
        future.cancel()
        return _result(R.TIMEOUT, leaf)
    except Exception as exc:  # a bug or an unforeseen encoding must not escape to a request
        result = _result(R.MALFORMED, leaf, detail=f"ошибка разбора ({type(exc).__name__})")
    if at is None:
        until = _cache_until(result, trust_store, now)
        if until is not None:
            CACHE.put(key, until, result)
    return result


def _input_key(item: QualifiedCertificate | bytes | str) -> bytes:
    if isinstance(item, QualifiedCertificate):
        return bytes.fromhex(item.fingerprint)  # SHA-256 of the DER: the same key as DER input
    raw = item.encode("utf-8", "surrogatepass") if isinstance(item, str) else bytes(item)
    return hashlib.sha256(raw).digest()


def _validate_now(leaf: QualifiedCertificate, store: TrustStore, extra: Sequence[QualifiedCertificate],
                  moment: datetime, purpose: str, revocation_mode: str) -> ValidationResult:
    problem = leaf_problem(leaf, purpose) or withdrawn_problem([leaf.asn1], moment)
    if problem is not None:
        return _result(problem[0], leaf, **problem[1])
    outcome = check_path(leaf.asn1, roots=[c.asn1 for c in store.roots],
                         others=[c.asn1 for c in (*store.intermediates, *extra)],
                         crls=store.crls, moment=moment, revocation_mode=revocation_mode)
    if outcome.code != R.OK:
        return _result(outcome.code, leaf, _wrap(outcome.chain), **outcome.details)
    chain = _wrap(outcome.chain)
    weak = (withdrawn_problem(outcome.chain, moment)
            or chain_problem([leaf.asn1, *outcome.chain], moment))
    if weak is not None:
        return _result(weak[0], leaf, chain, **weak[1])
    problem = purpose_problem(leaf, purpose)
    if problem:
        return _result(R.WRONG_PURPOSE, leaf, chain, purpose=R.PURPOSE_TEXT[purpose][0],
                       required=R.PURPOSE_TEXT[purpose][1], detail=problem)
    return _result(R.OK, leaf, chain)


def leaf_problem(leaf: QualifiedCertificate, purpose: str = "login") -> tuple[str, dict] | None:
    """Checks of the end-entity certificate itself that path validation leaves to the caller."""
    if leaf.signature_algorithm not in SUPPORTED_SIGNATURES:
        return R.UNSUPPORTED_ALGORITHM, {"algorithm": leaf.signature_algorithm}
    if purpose != "any" and (leaf.is_ca or "key_cert_sign" in leaf.key_usage):
        return R.CA_AS_LEAF, {}
    unknown = sorted(e for e in leaf.asn1.critical_extensions if e not in KNOWN_LEAF_EXTENSIONS)
    if unknown:
        return R.PATH_CONSTRAINTS, {"detail": f"неизвестное критическое расширение {', '.join(unknown)}"}
    return None


ALLOWED_EC_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})
MIN_RSA_BITS = 2048


def chain_problem(certs: Sequence[asn1_x509.Certificate], moment: datetime) -> tuple[str, dict] | None:
    """Profile rules for a built chain (leaf first, root last) that path validation leaves out.

    Path validation accepts any key it can compute with and treats the root as a bare name
    and key. A qualified chain must also not rest on a weak key (short or odd-sized RSA, DSA,
    small or explicit-parameter curves), on a version 1 certificate, on an expired root, or
    on certificates without the key identifiers and CA markings RFC 5280 requires of issuers.
    """
    for position, cert in enumerate(certs):
        who = _describe(cert)
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
            return R.UNSUPPORTED_ALGORITHM, {"algorithm": f"DSA («{who}»)"}
        if is_root:
            if moment > cert.not_valid_after:
                return R.EXPIRED, {"not_after": cert.not_valid_after.strftime("%d.%m.%Y"),
                                   "detail": f"истёк срок действия корневого сертификата «{who}»"}
            unknown = sorted(e for e in cert.critical_extensions if e not in KNOWN_LEAF_EXTENSIONS)
            if unknown:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"неизвестное критическое расширение {', '.join(unknown)} в «{who}»"}
        if not is_leaf:
            bc = cert.basic_constraints_value
            if bc is None or not bc["ca"].native or "basic_constraints" not in cert.critical_extensions:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"у издателя «{who}» нет критического расширения basicConstraints с cA"}
            if cert.key_identifier is None:
                return R.PATH_CONSTRAINTS, {"detail": f"у издателя «{who}» нет идентификатора ключа"}
            if not cert.subject.contents or len(cert.subject.chosen) == 0:
                return R.PATH_CONSTRAINTS, {"detail": "у издателя пустое имя"}
            usage = cert.key_usage_value
            if usage is not None and "key_cert_sign" not in usage.native:
                return R.PATH_CONSTRAINTS, {"detail": f"издателю «{who}» не разрешено подписывать сертификаты"}
            if cert.policy_constraints_value is not None and \
                    "policy_constraints" not in cert.critical_extensions:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"ограничения политик в «{who}» не отмечены критическими"}
        if "authority_information_access" in cert.critical_extensions:
            return R.MALFORMED, {"detail": f"в «{who}» расширение authorityInfoAccess отмечено критическим"}
        if not is_root:
            aki = cert.authority_key_identifier_value
            if aki is None or aki["key_identifier"].native is None:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"в сертификате «{who}» нет идентификатора ключа издателя"}
        if "authority_key_identifier" in cert.critical_extensions:
            return R.PATH_CONSTRAINTS, {
                "detail": f"идентификатор ключа издателя в «{who}» отмечен критическим"}
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


def _wrap(certs: Iterable[asn1_x509.Certificate]) -> list[QualifiedCertificate]:
    return [QualifiedCertificate(c.dump(), c) for c in certs]


# --- path checks ----------------------------------------------------------------------------
@dataclass
class PathOutcome:
    code: str
    chain: list[asn1_x509.Certificate] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: Exception | None = None


def check_path(leaf: asn1_x509.Certificate, *, roots: Sequence[asn1_x509.Certificate],
               others: Sequence[asn1_x509.Certificate] = (), crls: Sequence[Any] = (),
               moment: datetime, revocation_mode: str = "require",
               params: PKIXValidationParams | None = None,
               algorithm_policy: Any = None,
               path: ValidationPath | None = None) -> PathOutcome:
    """Build and validate a path from ``leaf`` to one of ``roots``; map failures to codes.

    ``chain`` lists the certificates from the leaf's issuer up to the root. Time tolerance is
    zero; revocation uses only the CRLs given (no network).
    """
    supplied = list(others)
    policy = algorithm_policy or DisallowWeakAlgorithmsPolicy(
        weak_hash_algos=frozenset({"md2", "md5"}), rsa_key_size_threshold=1024,
        dsa_key_size_threshold=1024)

    work = _name_constraint_work(leaf, [*roots, *supplied])
    if work > MAX_NAME_CONSTRAINT_WORK:
        return PathOutcome(R.PATH_CONSTRAINTS, [], {
            "detail": "слишком много ограничений имён и имён в сертификате для проверки"})
    # Every supplied certificate stays available to revocation checking (CRL issuers,
    # key rollover certificates); only path building is limited to the useful ones.
    context = ValidationContext(
        trust_roots=[_anchor(r) for r in roots], other_certs=supplied, crls=list(crls),
        moment=moment, allow_fetching=False, revocation_mode=revocation_mode,
        time_tolerance=timedelta(0), signature_validator=SIGNATURE_VALIDATOR,
        algorithm_usage_policy=policy)
    if path is not None:
        paths = [path]
    else:
        useful = _useful_intermediates(leaf, roots, supplied)
        if len(useful) > MAX_INTERMEDIATES:
            return PathOutcome(R.PATH_CONSTRAINTS, [], {"constraint": (
                f"цепочка допускает {len(useful)} промежуточных сертификатов при пределе "
                f"{MAX_INTERMEDIATES}")})
        try:
            builder = PathBuilder(trust_manager=context.path_builder.trust_manager,
                                  registry=CertificateRegistry.build([*useful, *roots]))
            paths = list(_run(builder.async_build_paths(leaf)))
        except PathBuildingError as exc:
            return _diagnose_unbuildable(leaf, roots, supplied, exc)
    first_failure: PathOutcome | None = None
    for candidate in paths:
        chain = list(candidate)[:-1][::-1]  # issuer first … root last, without the leaf
        try:
            _run(async_validate_path(context, candidate, parameters=params))
            return PathOutcome(R.OK, chain)
        except (ValidationError, PathValidationError) as exc:
            outcome = _classify(exc, chain, crls)
        except InvalidSignature as exc:
            outcome = PathOutcome(R.BAD_SIGNATURE, chain, {}, exc)
        except NotImplementedError as exc:  # e.g. IP-address name constraints: fail closed
            outcome = PathOutcome(R.PATH_CONSTRAINTS, chain, {
                "detail": "ограничение имён такого вида не поддерживается", "where": ""}, exc)
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
    san = leaf.subject_alt_name_value
    return subtrees * (1 + (len(san) if san is not None else 0))


# Real qualified chains have one to three intermediates; more candidates than this (after
# dropping those that cannot lie on a path) only come from crafted input.
MAX_INTERMEDIATES = 8


_LOOPS = threading.local()


def _run(coroutine):
    """Run a coroutine on this thread's own event loop (asyncio.run builds a new one per call)."""
    loop = getattr(_LOOPS, "loop", None)
    if loop is None or loop.is_closed():
        loop = _LOOPS.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine)


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
    from_leaf, frontier = set(), [leaf]
    while frontier:  # forwards from the leaf, only through useful certificates
        child = frontier.pop()
        for k in reaches_root - from_leaf:
            if links(child, pool[k]):
                from_leaf.add(k)
                frontier.append(pool[k])
    return [pool[k] for k in pool if k in from_leaf]


def _describe(cert: asn1_x509.Certificate) -> str:
    return format_name(parse_name(cert.subject)) or "(без имени)"


def _diagnose_unbuildable(leaf: asn1_x509.Certificate, roots, others, exc: Exception) -> PathOutcome:
    pool = list(roots) + list(others)
    current, chain, seen = leaf, [], {leaf.sha256}
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
