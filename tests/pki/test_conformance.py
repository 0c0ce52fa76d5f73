"""Public conformance suites: NIST PKITS (all 247 cases) and x509-limbo.

Both run through ``registry.pki.validation`` — the same GOST-aware path validation the product
uses — and print their pass counts (visible with ``pytest -s`` or in the terminal summary).
"""

from __future__ import annotations

import ast
import json
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timezone
from pathlib import Path

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import pem, x509
from pyhanko_certvalidator import PKIXValidationParams
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.path import ValidationPath

from registry.pki import reasons as R
from registry.pki.certificate import MalformedCertificate, load_certificate
from registry.pki.validation import chain_problem, check_path, leaf_problem

from .conftest import conformance_dir

PKITS_MOMENT = datetime(2022, 5, 1, tzinfo=timezone.utc)
EXPECTED_CODES = {
    "RevokedError": {R.REVOKED},
    "InsufficientRevinfoError": {R.REVOCATION_UNKNOWN},
    "StaleRevinfoError": {R.REVOCATION_UNKNOWN},
}
# Cases this product currently decides differently from x509-limbo's expectation. The test
# fails if one of them starts passing (update the list) or another case starts failing.
LIMBO_KNOWN_FAILURES_FILE = "limbo_known_failures.json"


def _pkits_cases():
    return json.loads((conformance_dir() / "pkits" / "pkits.json").read_text())


def _pkits_params(raw: dict | None) -> PKIXValidationParams | None:
    if not raw:
        return None
    return PKIXValidationParams(
        user_initial_policy_set=frozenset(raw.get("user_initial_policy_set", ["any_policy"])),
        initial_policy_mapping_inhibit=bool(raw.get("initial_policy_mapping_inhibit", False)),
        initial_explicit_policy=bool(raw.get("initial_explicit_policy", False)),
        initial_any_policy_inhibit=bool(raw.get("initial_any_policy_inhibit", False)))


@pytest.fixture(scope="module")
def pkits_results():
    base = conformance_dir() / "pkits"
    load = lambda name: x509.Certificate.load((base / "certs" / name).read_bytes())  # noqa: E731
    load_crl = lambda name: asn1_crl.CertificateList.load((base / "crls" / name).read_bytes())  # noqa: E731
    results = {}
    for case in _pkits_cases():
        root = load("TrustAnchorRootCertificate.crt")
        leaf = load(case["cert"])
        path = None
        if "path_intermediates" in case:
            path = ValidationPath(trust_anchor=CertTrustAnchor(root),
                                  interm=[load(n) for n in case["path_intermediates"]], leaf=leaf)
        outcome = check_path(
            leaf, roots=[root], others=[load(n) for n in case.get("other_certs", [])],
            crls=[load_crl("TrustAnchorRootCRL.crl")] + [load_crl(n) for n in case.get("crls", [])],
            moment=PKITS_MOMENT, revocation_mode="require" if case.get("revocation", True) else "hard-fail",
            params=_pkits_params(case.get("params")), path=path)
        results[(case["id"], case["name"])] = (case, outcome)
    passed = sum(_pkits_ok(case, outcome) for case, outcome in results.values())
    print(f"\nNIST PKITS: {passed}/{len(results)} cases give the expected result")
    return results


def _pkits_ok(case: dict, outcome) -> bool:
    error = case.get("error")
    if error is None:
        return outcome.code == R.OK
    if outcome.code == R.OK:
        return False
    expected = EXPECTED_CODES.get(error["class"])
    if expected is not None:
        return outcome.code in expected
    # A plain path error must not be reported as a revocation problem.
    return outcome.code not in {R.REVOKED, R.REVOCATION_UNKNOWN}


def test_pkits_has_all_cases():
    assert len(_pkits_cases()) == 247


@pytest.mark.parametrize("case_id", [(c["id"], c["name"]) for c in _pkits_cases()], ids=lambda k: f"{k[0]}-{k[1]}")
def test_pkits(pkits_results, case_id):
    case, outcome = pkits_results[case_id]
    assert _pkits_ok(case, outcome), \
        f"{case_id}: expected {case.get('error', 'valid')}, got {outcome.code} ({outcome.error})"


# --- x509-limbo --------------------------------------------------------------------------------
def _pems(value) -> list[bytes]:
    if isinstance(value, str):
        value = ast.literal_eval(value) if value.startswith("[") else [value]
    return [der for item in value for _l, _h, der in pem.unarmor(item.encode(), multiple=True)]


def _hostname_only(case: dict) -> bool:
    """Cases decided only by matching expected_peer_name against the certificate's names."""
    cid = case["id"]
    return cid.startswith(("webpki::san::", "webpki::cn::")) and "mismatch" in cid or \
        cid in {"webpki::san::no-san", "webpki::san::public-suffix-wildcard-san",
                "webpki::san::public-suffix-multi-label-wildcard-san",
                "webpki::san::public-suffix-private-namespace-wildcard-san",
                "webpki::san::wildcard-embedded-leftmost-san",
                "webpki::san::wildcard-not-in-leftmost-san", "webpki::san::wildcard-match-across-labels-san",
                "webpki::san::wildcard-embedded-ulabel-san", "webpki::cn::punycode-not-in-san",
                "webpki::cn::not-in-san", "webpki::cn::case-mismatch"}


def limbo_decide(case: dict) -> str:
    """Our decision for one limbo case: a reason code."""
    try:
        leaf_der = _pems(case["peer_certificate"])[0]
        leaf = load_certificate(leaf_der)
        roots = [x509.Certificate.load(d) for d in _pems(case["trusted_certs"])]
        others = [x509.Certificate.load(d) for d in _pems(case["untrusted_intermediates"])]
        crls = [asn1_crl.CertificateList.load(d) for d in _pems(case.get("crls") or [])]
    except (MalformedCertificate, ValueError) as exc:
        return R.MALFORMED if isinstance(exc, MalformedCertificate) else R.MALFORMED
    problem = leaf_problem(leaf, "signature")
    if problem is not None:
        return problem[0]
    moment = (datetime.fromisoformat(case["validation_time"]) if case.get("validation_time")
              else datetime.now(timezone.utc))
    outcome = check_path(leaf.asn1, roots=roots, others=others, crls=crls, moment=moment,
                         revocation_mode="require" if crls else "soft-fail")
    if outcome.code != R.OK:
        return outcome.code
    weak = chain_problem([leaf.asn1, *outcome.chain], moment)
    if weak is not None:
        return weak[0]
    wanted = {"serverAuth": "server_auth", "clientAuth": "client_auth"}
    eku = leaf.extended_key_usage
    # With none named, the profile's own usage is required (webpki: serverAuth for servers).
    usages = case.get("extended_key_usage") or (
        ["serverAuth"] if case["validation_kind"] == "SERVER" else ["clientAuth"])
    for usage in usages:
        if wanted.get(usage, usage) not in eku:  # like purpose_problem: the usage itself, listed
            return R.WRONG_PURPOSE
    depth = case.get("max_chain_depth")
    if depth is not None and len(outcome.chain) - 1 > depth:
        return R.PATH_CONSTRAINTS
    return R.OK


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
            except (ValueError, RecursionError):  # unreadable input: validate() calls it malformed
                code = R.MALFORMED
            except Exception as exc:  # validate() turns these into a refusal; list them here
                code = f"error ({type(exc).__name__}: {exc})"
            results[case["id"]] = (case, code)
    finally:  # a stuck case must not keep the run waiting here; its test reports it
        pool.shutdown(wait=False, cancel_futures=True)
    passed = [cid for cid, (case, code) in results.items() if (code == R.OK) == (case["expected_result"] == "SUCCESS")]
    print(f"\nx509-limbo: {len(passed)}/{len(results)} passed "
          f"({len(excluded)} of {len(cases)} excluded: outcome depends only on hostname matching)")
    known = json.loads((Path(__file__).parent / LIMBO_KNOWN_FAILURES_FILE).read_text())
    for cid, (case, code) in sorted(results.items()):
        if cid not in passed:
            why = known.get(cid, "not yet explained")
            print(f"  FAIL {cid}: expected {case['expected_result']}, got {code} — {why}")
    return results, set(passed)


def test_limbo_no_regressions(limbo_results):
    results, passed = limbo_results
    known = set(json.loads((Path(__file__).parent / LIMBO_KNOWN_FAILURES_FILE).read_text()))
    # Each known failure has a stated reason; an unexplained one is a regression.
    failing = set(results) - passed
    assert not failing - known, f"new limbo failures: {sorted(failing - known)}"
    assert not known & passed, f"now passing, remove from {LIMBO_KNOWN_FAILURES_FILE}: {sorted(known & passed)}"


def test_limbo_pathological_cases_finish_in_time(limbo_results):
    results, _ = limbo_results
    slow = [cid for cid, (_case, code) in results.items() if code == R.TIMEOUT]
    assert not slow, f"validation did not finish within the limit: {slow}"
