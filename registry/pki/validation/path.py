"""RFC 5280 path building and validation by pyhanko-certvalidator, bounded and explained.

Candidate intermediates are pruned by names before building (crafted bundles), the root's
own name constraints are kept (RFC 5937 style), revocation uses the CRLs that can speak for
the path and the OCSP answers a hook fetches, and failures become reason codes (:mod:`.diagnose`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from pyhanko_certvalidator import PKIXValidationParams
from pyhanko_certvalidator.authority import CertTrustAnchor, TrustQualifiers
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError
from pyhanko_certvalidator.name_trees import (
    default_excluded_subtrees,
    default_permitted_subtrees,
    process_general_subtrees,
)
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import CertificateRegistry, PathBuilder, SimpleTrustManager
from pyhanko_certvalidator.validate import async_validate_path

from .. import reasons as R
from . import _pyhanko_compat
from .cache import CACHES, Caches
from .crl import crls_for_path
from .diagnose import classify, diagnose_unbuildable
from .ocsp import after_answers, fresh_until, run
from .policy import MAX_INTERMEDIATES, MAX_NAME_CONSTRAINT_WORK, algorithm_policy
from .profile import name_constraint_work
from .result import PathOutcome
from .signatures import ProfileSignatureValidator, inherited_keys

_pyhanko_compat.install()

_NO_REVOCATION_CHECK = RevocationCheckingPolicy(RevocationCheckingRule.NO_CHECK,
                                                RevocationCheckingRule.NO_CHECK)


def check_path(leaf: asn1_x509.Certificate, *, roots: Sequence[asn1_x509.Certificate],
               others: Sequence[asn1_x509.Certificate] = (), crls: Sequence[Any] = (),
               moment: datetime, revocation_mode: str = "require",
               params: PKIXValidationParams | None = None,
               algorithm_usage_policy: Any = None,
               path: ValidationPath | None = None,
               ocsp_hook: Callable[[ValidationPath], list[asn1_ocsp.OCSPResponse]] | None = None,
               revinfo_tolerance: timedelta = timedelta(0), live: bool = False,
               caches: Caches = CACHES, deadline: float | None = None) -> PathOutcome:
    """Build and validate a path from ``leaf`` to one of ``roots``; map failures to codes.

    ``chain`` lists the certificates from the leaf's issuer up to the root. Time tolerance is
    zero; revocation uses the CRLs given and the OCSP answers ``ocsp_hook`` fetches for each
    candidate path. ``revinfo_tolerance`` (the CRL grace period) widens the time window of
    revocation data only: callers must then check the certificates' validity themselves.
    ``live`` says ``moment`` is "now": OCSP answers fetched since are not "too recent".
    Past ``deadline`` (``time.monotonic()``) no further candidate path is tried.
    """
    supplied = list(others)
    usage_policy = algorithm_usage_policy or algorithm_policy()

    work = name_constraint_work(leaf, [*roots, *supplied])
    if work > MAX_NAME_CONSTRAINT_WORK:
        return PathOutcome(R.PATH_CONSTRAINTS, [], {
            "detail": "слишком много ограничений имён и имён в сертификате для проверки"})
    anchors = [_anchor(r) for r in roots]
    if path is not None:
        paths = [path]
    else:
        useful = _useful_for(leaf, roots, supplied, caches)
        if len(useful) > MAX_INTERMEDIATES:
            return PathOutcome(R.PATH_CONSTRAINTS, [], {"constraint": (
                f"цепочка допускает {len(useful)} промежуточных сертификатов при пределе "
                f"{MAX_INTERMEDIATES}")})
        try:
            builder = PathBuilder(trust_manager=SimpleTrustManager.build(trust_roots=anchors),
                                  registry=CertificateRegistry.build([*useful, *roots]))
            paths = list(run(builder.async_build_paths(leaf)))
        except PathBuildingError as exc:
            return diagnose_unbuildable(leaf, roots, supplied, exc)
    if revocation_mode == "none":
        revinfo: dict[str, Any] = {"revinfo_policy": CertRevTrustPolicy(_NO_REVOCATION_CHECK)}
    else:
        revinfo = {"revocation_mode": revocation_mode}
    first_failure: PathOutcome | None = None
    for candidate in paths:
        if first_failure is not None and deadline is not None and time.monotonic() > deadline:
            break
        chain = list(candidate)[:-1][::-1]  # issuer first … root last, without the leaf
        ocsps = ocsp_hook(candidate) if ocsp_hook is not None else []
        path_crls = crls_for_path(candidate, crls, caches)
        at = after_answers(moment, ocsps) if live and ocsps else moment
        # Every supplied certificate stays available to revocation checking (CRL issuers,
        # key rollover certificates); only path building is limited to the useful ones.
        validator = ProfileSignatureValidator(caches.verified, inherited_keys(candidate))
        context = ValidationContext(
            trust_roots=anchors, other_certs=supplied, crls=path_crls, ocsps=ocsps,
            moment=at, allow_fetching=False, time_tolerance=revinfo_tolerance,
            signature_validator=validator, algorithm_usage_policy=usage_policy, **revinfo)
        try:
            run(async_validate_path(context, candidate, parameters=params))
            fresh = fresh_until(ocsps, moment) if ocsps else None
            return PathOutcome(R.OK, chain, fresh_until=fresh)
        except (ValidationError, PathValidationError) as exc:
            outcome = classify(exc, chain, crls)
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


def _useful_for(leaf: asn1_x509.Certificate, roots: Sequence[asn1_x509.Certificate],
                others: Sequence[asn1_x509.Certificate], caches: Caches
                ) -> list[asn1_x509.Certificate]:
    """:func:`_useful_intermediates`, remembered: it depends on the leaf only through its
    issuer name and authority key identifier, and the pool is the same for every sign-in."""
    key = (leaf.issuer.hashable, leaf.authority_key_identifier,
           tuple(c.contents for c in roots), tuple(c.contents for c in others))
    return caches.useful.get_or_make(key, lambda: _useful_intermediates(leaf, roots, others))


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
