"""Public conformance suites through the public ``registry.pki.validate()``.

NIST PKITS: every one of the 247 case variants (the policy cases with the PKIX policy inputs
PKITS gives them, as ``PolicyInputs``) must give the expected result. x509-limbo: no case that
RFC 5280 refuses may be accepted; the cases only the web-PKI (CA/Browser Forum) profile refuses,
and the valid cases this product refuses, are listed with a reason in
``limbo_known_failures.json``. Pass counts are printed (``pytest -s`` or the summary).
"""

from __future__ import annotations

import ast
import json
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timezone
from pathlib import Path

import pytest
from asn1crypto import pem

from registry.pki import PolicyInputs, TrustStore, load_certificate, load_crl, validate
from registry.pki import reasons as R
from registry.pki.certificate import MalformedCertificate
from registry.pki.store import TrustStoreError

from .conftest import conformance_dir

PKITS_MOMENT = datetime(2022, 5, 1, tzinfo=timezone.utc)
EXPECTED_CODES = {
    "RevokedError": {R.REVOKED},
    "InsufficientRevinfoError": {R.REVOCATION_UNKNOWN},
    "StaleRevinfoError": {R.REVOCATION_UNKNOWN},
}
# PKITS 4.4.15 (negative serial, revoked): the certificate is not accepted either way; reading
# refuses the negative serial (RFC 5280 §4.1.2.2) before revocation is looked at.
PKITS_ALSO_ACCEPTED = {"40415": {R.MALFORMED}}
LIMBO_KNOWN_FAILURES_FILE = Path(__file__).parent / "limbo_known_failures.json"


def _pkits_cases() -> list[dict]:
    return json.loads((conformance_dir() / "pkits" / "pkits.json").read_text())


def pkits_policy(raw: dict | None) -> PolicyInputs | None:
    """The PKITS user-supplied inputs of a case (PKITS §4.8–4.12 settings) as PolicyInputs."""
    if not raw:
        return None
    return PolicyInputs(
        initial_policy_set=frozenset(raw.get("user_initial_policy_set", ["any_policy"])),
        initial_explicit_policy=bool(raw.get("initial_explicit_policy", False)),
        initial_policy_mapping_inhibit=bool(raw.get("initial_policy_mapping_inhibit", False)),
        initial_any_policy_inhibit=bool(raw.get("initial_any_policy_inhibit", False)))


def pkits_decide(case: dict) -> object:
    """One PKITS case through validate(): the trust anchor and CRLs form the trust store."""
    base = conformance_dir() / "pkits"
    root = load_certificate((base / "certs" / "TrustAnchorRootCertificate.crt").read_bytes())
    crls = [load_crl((base / "crls" / n).read_bytes())
            for n in ["TrustAnchorRootCRL.crl", *case.get("crls", [])]]
    store = TrustStore.build([root], (), crls)
    # Cases that pin a path (name-chaining tests) list its intermediates there.
    names = [*case.get("other_certs", []), *case.get("path_intermediates", [])]
    intermediates = [(base / "certs" / n).read_bytes() for n in dict.fromkeys(names)]
    return validate((base / "certs" / case["cert"]).read_bytes(), trust_store=store,
                    intermediates=intermediates, at=PKITS_MOMENT, purpose="any",
                    revocation="crl", policy=pkits_policy(case.get("params")))


@pytest.fixture(scope="module")
def pkits_results():
    results = {}
    for case in _pkits_cases():
        results[(case["id"], case["name"])] = (case, pkits_decide(case))
    passed = sum(_pkits_ok(case, result) for case, result in results.values())
    with_params = sum(1 for case in _pkits_cases() if case.get("params"))
    print(f"\nNIST PKITS through validate(): {passed}/{len(results)} case variants give the "
          f"expected result ({with_params} of them with PKIX policy inputs)")
    return results


def _pkits_ok(case: dict, result) -> bool:
    error = case.get("error")
    if error is None:
        return result.code == R.OK
    if result.code == R.OK:
        return False
    expected = EXPECTED_CODES.get(error["class"])
    if expected is not None:
        return result.code in expected | PKITS_ALSO_ACCEPTED.get(case["id"], set())
    # A plain path error must not be reported as a revocation problem.
    return result.code not in {R.REVOKED, R.REVOCATION_UNKNOWN}


def test_pkits_has_all_cases():
    cases = _pkits_cases()
    assert len(cases) == 247
    assert sum(1 for c in cases if c.get("params")) == 33


@pytest.mark.parametrize("case_id", [(c["id"], c["name"]) for c in _pkits_cases()],
                         ids=lambda k: f"{k[0]}-{k[1]}")
def test_pkits(pkits_results, case_id):
    case, result = pkits_results[case_id]
    assert _pkits_ok(case, result), \
        f"{case_id}: expected {case.get('error', 'valid')}, got {result.code} ({result.details})"


def test_pkits_policy_inputs_decide():
    """The same chain is valid or not depending on the initial policy set given."""
    name = "all_certs_same_policy_test1_with_constraints1"
    case = next(c for c in _pkits_cases() if c["name"] == name)
    assert pkits_decide(case).code == R.OK
    wrong = dict(case, params={"user_initial_policy_set": ["2.16.840.1.101.3.2.1.48.2"],
                               "initial_explicit_policy": True})
    assert pkits_decide(wrong).code == R.PATH_CONSTRAINTS
    # Without explicit policy required, an unmatched initial set still leaves the path valid.
    loose = dict(case, params={"user_initial_policy_set": ["2.16.840.1.101.3.2.1.48.2"]})
    assert pkits_decide(loose).code == R.OK


def test_policy_inputs_reject_an_empty_set():
    with pytest.raises(ValueError):
        PolicyInputs(initial_policy_set=frozenset())


# --- x509-limbo --------------------------------------------------------------------------------
def _pems(value) -> list[bytes]:
    if isinstance(value, str):
        value = ast.literal_eval(value) if value.startswith("[") else [value]
    return [der for item in value for _l, _h, der in pem.unarmor(item.encode(), multiple=True)]


HOSTNAME_ONLY = {
    "webpki::san::no-san", "webpki::san::public-suffix-wildcard-san",
    "webpki::san::public-suffix-multi-label-wildcard-san",
    "webpki::san::public-suffix-private-namespace-wildcard-san",
    "webpki::san::wildcard-embedded-leftmost-san", "webpki::san::wildcard-not-in-leftmost-san",
    "webpki::san::wildcard-match-across-labels-san", "webpki::san::wildcard-embedded-ulabel-san",
    "webpki::cn::punycode-not-in-san", "webpki::cn::not-in-san", "webpki::cn::case-mismatch",
    # A CA certificate in leaf position is valid under RFC 5280 (rfc5280::ca-as-leaf); this
    # variant differs from it only by the SAN not matching the expected peer name.
    "rfc5280::ca-as-leaf-wrong-san",
}


def _hostname_only(case: dict) -> bool:
    """Cases decided only by matching expected_peer_name against the certificate's names."""
    cid = case["id"]
    mismatch = cid.startswith(("webpki::san::", "webpki::cn::")) and "mismatch" in cid
    return mismatch or cid in HOSTNAME_ONLY


_EKU_NAMES = {"serverAuth": "server_auth", "clientAuth": "client_auth"}


def limbo_decide(case: dict) -> str:
    """Our decision for one limbo case, through validate(): a reason code.

    The trusted certificates and CRLs form the trust store (an unreadable trusted certificate
    is refused as the trust store would refuse it). validate() runs with purpose "any"; the
    caller's side of a TLS check, the extended key usage the case asks for (RFC 5280
    §4.2.1.12: when the extension is present it must list the usage or anyExtendedKeyUsage)
    and the maximum chain depth, is applied here.
    """
    try:
        roots = [load_certificate(d) for d in _pems(case["trusted_certs"])]
        crls = [load_crl(d) for d in _pems(case.get("crls") or [])]
    except (MalformedCertificate, TrustStoreError):
        return R.MALFORMED
    store = TrustStore.build(roots, (), crls)
    at = datetime.fromisoformat(case["validation_time"]) if case.get("validation_time") else None
    result = validate(_pems(case["peer_certificate"])[0], trust_store=store,
                      intermediates=_pems(case["untrusted_intermediates"]), at=at, purpose="any",
                      revocation="crl" if crls else "none")
    if not result.valid:
        return result.code
    eku = set(result.certificate.extended_key_usage)
    usages = case.get("extended_key_usage") or (
        ["serverAuth"] if case["validation_kind"] == "SERVER" else ["clientAuth"])
    if eku and "any_extended_key_usage" not in eku and \
            not all(_EKU_NAMES.get(u, u) in eku for u in usages):
        return R.WRONG_PURPOSE
    depth = case.get("max_chain_depth")
    if depth is not None:
        # Self-issued intermediates (key rollover) are not counted (RFC 5280 §6.1.4 (l)).
        intermediates = [c for c in result.chain[:-1] if c.asn1.subject != c.asn1.issuer]
        if len(intermediates) > depth:
            return R.PATH_CONSTRAINTS
    return R.OK


def _known() -> dict[str, dict[str, str]]:
    data = json.loads(LIMBO_KNOWN_FAILURES_FILE.read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


@pytest.fixture(scope="module")
def limbo_results():
    cases = json.loads((conformance_dir() / "limbo" / "limbo.json").read_text())["testcases"]
    results, excluded = {}, []
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        for case in cases:
            if _hostname_only(case):
                excluded.append(case["id"])
                continue
            future = pool.submit(limbo_decide, case)
            try:
                code = future.result(timeout=10)
            except FutureTimeout:
                code = R.TIMEOUT
            except Exception as exc:  # validate() must never raise for a certificate
                code = f"error ({type(exc).__name__}: {exc})"
            results[case["id"]] = (case, code)
    finally:  # a stuck case must not keep the run waiting here; its test reports it
        pool.shutdown(wait=False, cancel_futures=True)
    accepted_bad = sorted(cid for cid, (c, code) in results.items()
                          if code == R.OK and c["expected_result"] == "FAILURE")
    refused_good = sorted(cid for cid, (c, code) in results.items()
                          if code != R.OK and c["expected_result"] == "SUCCESS")
    agree = len(results) - len(accepted_bad) - len(refused_good)
    known = _known()
    print(f"\nx509-limbo through validate(): {agree}/{len(results)} agree "
          f"({len(excluded)} of {len(cases)} excluded: outcome depends only on hostname matching); "
          f"accepted but expected refused: {len(accepted_bad)} "
          f"(web-PKI only: {len(known['accepted_web_pki_only'])}, "
          f"PKITS conflict: {len(known['accepted_pkits_conflict'])}); "
          f"refused but expected valid: {len(refused_good)}")
    for cid in accepted_bad + refused_good:
        why = known["accepted_web_pki_only"].get(cid) or known["accepted_pkits_conflict"].get(cid) \
            or known["refused"].get(cid) or "NOT EXPLAINED"
        expected = results[cid][0]["expected_result"]
        print(f"  {cid}: expected {expected}, got {results[cid][1]} — {why}")
    return results, accepted_bad, refused_good


def test_limbo_accepts_nothing_rfc5280_refuses(limbo_results):
    results, accepted_bad, _ = limbo_results
    known = _known()
    allowed = set(known["accepted_web_pki_only"]) | set(known["accepted_pkits_conflict"])
    unexpected, stale = sorted(set(accepted_bad) - allowed), sorted(allowed - set(accepted_bad))
    assert not unexpected, f"accepted, must be refused: {unexpected}"
    assert not stale, f"no longer accepted, remove from the list: {stale}"
    # Only web-PKI cases may be listed as web-PKI-only.
    assert all(cid.startswith("webpki::") for cid in known["accepted_web_pki_only"])


def test_limbo_refusals_of_valid_chains_are_explained(limbo_results):
    _results, _, refused_good = limbo_results
    known = set(_known()["refused"])
    assert not set(refused_good) - known, f"newly refused: {sorted(set(refused_good) - known)}"
    # A listed case that is now accepted (tolerant reading, say) is an improvement: reported only.
    for cid in sorted(known - set(refused_good)):
        print(f"  now accepted, can be removed from the list: {cid}")


def test_limbo_known_failures_all_have_reasons():
    for section in _known().values():
        assert all(isinstance(why, str) and len(why) > 20 for why in section.values())


def test_limbo_pathological_cases_finish_in_time(limbo_results):
    results, _, _ = limbo_results
    slow = [cid for cid, (_case, code) in results.items() if code == R.TIMEOUT]
    assert not slow, f"validation did not finish within the limit: {slow}"
    crashed = [cid for cid, (_case, code) in results.items() if code.startswith("error")]
    assert not crashed, f"validate() raised: {crashed}"
