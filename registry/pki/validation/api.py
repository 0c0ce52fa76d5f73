"""``validate``: whether a certificate may be trusted for a purpose at a moment (spec §2, §7).

The top of the package. pyhanko-certvalidator builds and validates the path (:mod:`.path`);
this adds what a sign-in needs on top: the profile's checks of the leaf and the chain
(:mod:`.profile`), purpose checks, revocation by CRL and/or OCSP with an optional grace period
for stale CRLs, a time limit per validation, and remembered results (:mod:`.cache`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .. import reasons as R
from ..certificate import MalformedCertificate, QualifiedCertificate, load_certificate
from ..store import TrustStore
from .cache import CACHES, Caches
from .crl import crl_deadline, stale_within_grace, usable_crls
from .diagnose import validity_problem
from .ocsp import RUNNER, Runner, prefetch
from .path import check_path
from .policy import DEFAULT_TIMEOUT, PURPOSES, REVOCATION_MODES, PolicyInputs
from .profile import chain_problem, leaf_problem, purpose_problem, withdrawn_problem
from .result import ValidationResult, make_result, wrap

# Codes that may change on their own without the inputs changing; never cached.
# Not remembered: they depend on what a store holds besides its readable content (its id).
_TRANSIENT = frozenset({R.REVOCATION_UNKNOWN, R.TIMEOUT, R.CA_CERTIFICATE_UNREADABLE})


def validate(cert: QualifiedCertificate | bytes | str, *, trust_store: TrustStore,
             intermediates: Iterable[QualifiedCertificate | bytes | str] = (),
             at: datetime | None = None, purpose: str = "login", revocation: str = "crl",
             crl_grace: timedelta | None = None, policy: PolicyInputs | None = None,
             timeout: float = DEFAULT_TIMEOUT, caches: Caches = CACHES,
             runner: Runner = RUNNER) -> ValidationResult:
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
        cached = caches.results.get(key)
        if cached is not None:
            return cached[1]
    try:
        leaf = cert if isinstance(cert, QualifiedCertificate) else load_certificate(cert)
    except MalformedCertificate as exc:
        return make_result(R.MALFORMED, detail=str(exc))
    extra, unreadable = _load_intermediates(intermediates, caches)
    # Validity is encoded to the second (RFC 5280 §4.1.2.5): compare at that granularity.
    moment = (at or now).replace(microsecond=0)
    options = _Options(purpose, revocation, crl_grace, policy, live=at is None,
                       deadline=time.monotonic() + timeout)
    future = runner.submit(_validate_now, leaf, trust_store, extra, moment, options, caches)
    if future is None:  # every worker busy and the queue full: answer now, as a timeout
        return make_result(R.TIMEOUT, leaf)
    try:
        result = future.result(timeout=timeout)
    except FutureTimeout:
        future.cancel()
        return make_result(R.TIMEOUT, leaf)
    except Exception as exc:  # a bug or an unforeseen encoding must not escape to a request
        result = make_result(R.MALFORMED, leaf, detail=f"ошибка разбора ({type(exc).__name__})")
    if unreadable and not result.valid:
        result.details.setdefault("unreadable_intermediates", unreadable)
    if at is None:
        until = _cache_until(result, trust_store, now, caches)
        if until is not None:
            caches.results.put(key, (until, result))
    return result


@dataclass(frozen=True)
class _Options:
    purpose: str = "login"
    revocation: str = "crl"
    crl_grace: timedelta | None = None
    policy: PolicyInputs | None = None
    live: bool = False  # validation at the current time (not at a given ``at``)
    deadline: float | None = None  # time.monotonic() after which the answer is no longer awaited


def _cache_until(result: ValidationResult, store: TrustStore, now: datetime,
                 caches: Caches) -> datetime | None:
    if result.code in _TRANSIENT or result.certificate is None or \
            result.details.get("stale_crl_grace"):
        return None
    if result.code == R.NOT_YET_VALID:
        return result.certificate.not_before
    deadlines = [c.not_after for c in result.chain] + [result.certificate.not_after]
    deadline = crl_deadline(store, result, now, caches)
    if deadline is not None:
        deadlines.append(deadline)
    if result.fresh_until is not None:
        deadlines.append(result.fresh_until)
    until = min(deadlines)
    if result.code == R.EXPIRED:
        until = deadline or now + timedelta(days=1)
    return until if until > now else None


def _load_intermediates(items: Sequence[QualifiedCertificate | bytes | str], caches: Caches
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
        cert = caches.parsed.get(digest)
        if cert is None:
            try:
                cert = load_certificate(item)
            except MalformedCertificate as exc:
                unreadable.append(str(exc))
                continue
            caches.parsed.put(digest, cert)
        found.append(cert)
    return found, unreadable


def _input_key(item: QualifiedCertificate | bytes | str) -> bytes:
    if isinstance(item, QualifiedCertificate):
        return bytes.fromhex(item.fingerprint)  # SHA-256 of the DER: the same key as DER input
    raw = item.encode("utf-8", "surrogatepass") if isinstance(item, str) else bytes(item)
    return hashlib.sha256(raw).digest()


def _validate_now(leaf: QualifiedCertificate, store: TrustStore,
                  extra: Sequence[QualifiedCertificate], moment: datetime,
                  options: _Options, caches: Caches) -> ValidationResult:
    purpose = options.purpose
    problem = leaf_problem(leaf, purpose) or withdrawn_problem([leaf.asn1], moment)
    if problem is not None:
        return make_result(problem[0], leaf, **problem[1])
    crls = usable_crls(store, caches) if options.revocation != "none" else []
    mode = "none" if options.revocation == "none" else "require"
    params = options.policy.pkix_params() if options.policy is not None else None
    roots = [c.asn1 for c in store.roots]
    others = [c.asn1 for c in (*store.intermediates, *extra)]
    ocsp_hook = None
    # An OCSP answer tells the status now: a check at a given past moment uses CRLs only.
    if options.revocation in ("ocsp", "crl+ocsp") and options.live:
        ocsp_hook = prefetch(store, moment, caches, deadline=options.deadline,
                             only_without_fresh_crl=options.revocation == "crl+ocsp")
    outcome = check_path(leaf.asn1, roots=roots, others=others, crls=crls, moment=moment,
                         revocation_mode=mode, params=params, ocsp_hook=ocsp_hook,
                         live=options.live, caches=caches, deadline=options.deadline)
    if outcome.code == R.INCOMPLETE_CHAIN and store.problems:
        # The missing CA is in the trust store but its file could not be read: the CA's
        # fault (or the operator's), not the person's.
        unreadable = store.unreadable_ca(str(outcome.details.get("issuer") or ""))
        if unreadable is not None:
            return make_result(R.CA_CERTIFICATE_UNREADABLE, leaf, wrap(outcome.chain),
                               ca_name=unreadable.subject, file=unreadable.path)
    stale: list[dict[str, str]] = []
    if outcome.code == R.REVOCATION_UNKNOWN and options.crl_grace:
        stale = stale_within_grace(store, outcome.chain, moment, options.crl_grace, caches)
        if stale:
            retry = check_path(leaf.asn1, roots=roots, others=others, crls=crls, moment=moment,
                               revocation_mode=mode, params=params, ocsp_hook=ocsp_hook,
                               revinfo_tolerance=options.crl_grace, live=options.live,
                               caches=caches, deadline=options.deadline)
            if retry.code == R.OK:
                dated = validity_problem([leaf.asn1, *retry.chain[:-1]], moment)
                outcome = dated or retry
            elif retry.code == R.REVOKED:  # a revocation stays a fact on a stale CRL
                outcome, stale = retry, []
    known = _known_certificates(store, extra, caches)
    if outcome.code != R.OK:
        return make_result(outcome.code, leaf, wrap(outcome.chain, known), **outcome.details)
    chain = wrap(outcome.chain, known)
    weak = (withdrawn_problem(outcome.chain, moment)
            or chain_problem([leaf.asn1, *outcome.chain], moment))
    if weak is not None:
        return make_result(weak[0], leaf, chain, **weak[1])
    misuse = purpose_problem(leaf, purpose)
    if misuse:
        return make_result(R.WRONG_PURPOSE, leaf, chain, purpose=R.PURPOSE_TEXT[purpose][0],
                           required=R.PURPOSE_TEXT[purpose][1], detail=misuse)
    result = make_result(R.OK, leaf, chain)
    if stale:
        result.details["stale_crl_grace"] = stale
    result.fresh_until = outcome.fresh_until
    return result


def _known_certificates(store: TrustStore, extra: Sequence[QualifiedCertificate], caches: Caches
                        ) -> dict[bytes, QualifiedCertificate]:
    """The already-read certificates of the store (and the caller's) by their encoding."""
    base = caches.known.get_or_make(
        store.id, lambda: {c.asn1.contents: c for c in (*store.roots, *store.intermediates)})
    if not extra:
        return base
    return {**base, **{c.asn1.contents: c for c in extra}}
