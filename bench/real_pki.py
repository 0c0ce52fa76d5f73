"""Read a whole public set of Russian CA certificates and print what loads.

Usage: python -m bench.real_pki [--chains] DIR [DIR …]

DIR holds PEM/DER/CER files, e.g. a checkout of github schors/gost-russian-ca (``certs/``,
about 2,400 files; not part of this repository). Prints the number of files, of certificates
read, of those with quirks read around, and every file that does not load, then exits 1 if any
did not. With ``--chains`` it also builds each certificate's chain by key identifiers up to a
self-signed root of the set and validates it at a moment inside every certificate's validity
(before 2020 for GOST R 34.10-2001), without revocation checking, printing the outcomes.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from registry.pki import MalformedCertificate, TrustStore, load_certificate, validate
from registry.pki.certificate import QualifiedCertificate
from registry.pki.store import CERT_SUFFIXES, _split_pem
from registry.pki.validation import GOST_2001_WITHDRAWN


def _chain(cert: QualifiedCertificate, by_key: dict) -> list[QualifiedCertificate] | None:
    chain = [cert]
    while not chain[-1].is_self_signed:
        current = chain[-1].asn1
        issuers = [c for c in by_key.get(current.authority_key_identifier, [])
                   if c.asn1.subject == current.issuer and c not in chain]
        if not issuers:
            return None
        chain.append(issuers[0])
    return chain


def check_chains(certs: list[QualifiedCertificate]) -> Counter:
    by_key: dict = {}
    for cert in certs:
        by_key.setdefault(cert.asn1.key_identifier, []).append(cert)
    off = {"revocation": "none"}
    outcomes: Counter = Counter()
    for cert in certs:
        if cert.is_self_signed:
            outcomes["root"] += 1
            continue
        chain = _chain(cert, by_key)
        if chain is None:
            outcomes["issuer not in the set"] += 1
            continue
        start, end = max(c.not_before for c in chain), min(c.not_after for c in chain)
        if start >= end:
            outcomes["no common validity"] += 1
            continue
        at = start + (end - start) / 2
        if any(c.signature_algorithm == "gost2001_gost94" for c in chain):
            at = min(start + timedelta(days=1), end, GOST_2001_WITHDRAWN - timedelta(seconds=1))
        store = TrustStore.build([chain[-1]], chain[1:-1])
        result = validate(cert, trust_store=store, at=at, purpose="any", **off)
        outcomes[f"{cert.signature_algorithm}: {result.code}"] += 1
        if not result.valid:
            print(f"  {result.code}: {cert.subject[:90]} — {result.message[:160]}")
    return outcomes


def main(argv: list[str]) -> int:
    chains = "--chains" in argv
    argv = [a for a in argv if a != "--chains"]
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    files = sorted(p for raw in argv for p in Path(raw).rglob("*")
                   if p.is_file() and p.suffix.lower() in CERT_SUFFIXES)
    loaded, failed, quirks = 0, [], Counter()
    certs: list[QualifiedCertificate] = []
    for path in files:
        try:
            for der in _split_pem(path.read_bytes()):
                cert = load_certificate(der)
                cert.to_dict()
                _ = cert.asn1.subject.hashable, cert.asn1.issuer.hashable  # the path builder's keys
                quirks.update(cert.quirks)
                certs.append(cert)
                loaded += 1
        except (MalformedCertificate, ValueError) as exc:
            failed.append((path, str(exc)))
    print(f"files: {len(files)}  certificates read: {loaded}  files refused: {len(failed)}")
    for name, count in sorted(quirks.items()):
        print(f"  quirk {name}: {count}")
    for path, message in failed:
        print(f"  REFUSED {path}: {message}")
    if chains:
        for outcome, count in sorted(check_chains(certs).items()):
            print(f"chains {outcome}: {count}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
