"""A 10 MB detached CAdES-X Long Type 1 (GOST R 34.10-2012, Streebog-256) verified by the
product's verifier (registry.pki.ades.verify) and by `openssl cms -verify` with the GOST engine,
in the same run, on the same files; prints both times and their ratio.

    .venv/bin/python bench/cades.py [--runs N]

The verifier's time includes the time-stamp, its TSA's certificate and the signer's certificate
judged at the proven time; openssl checks the signature value and the signer's chain only, so
the ratio is an upper bound of what the extra checks cost.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from registry.pki import TrustStore  # noqa: E402
from registry.pki.ades.verify import PASSED, verify_cms  # noqa: E402
from registry.pki.demo_pki import build_demo_pki  # noqa: E402
from registry.pki.validation import CACHE  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OPENSSL_CONF = ROOT / "deploy" / "nginx" / "openssl-gost.cnf"
SIZE = 10 * 1_000_000


def best_of(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from tests import cades

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        pki = build_demo_pki(directory / "pki", algorithms=("gost256",))
        store = TrustStore.from_paths(pki.trust_dir)
        content = os.urandom(SIZE)
        tsa = cades.issue(pki, "gost256", not_before=cades.ago(days=29), not_after=cades.ago(days=-300), tsa=True)
        signer = cades.party(pki, "person", "head", "gost256")
        stamped = cades.add_time_stamp(cades.sign(content, signer), tsa, cades.ago(minutes=3))
        signature = cades.to_x_long(stamped, pki, tsa, cades.ago(minutes=2))
        (directory / "content").write_bytes(content)
        (directory / "sig.der").write_bytes(signature)
        (directory / "ca.pem").write_bytes(b"".join(p.read_bytes() for p in sorted(pki.trust_dir.glob("*.crt"))))

        def ours() -> None:
            CACHE.clear()  # every run decides the certificates afresh
            [verdict] = verify_cms(signature, content, trust_store=store)
            assert verdict.indication == PASSED, verdict.checks

        command = ["openssl", "cms", "-verify", "-engine", "gost", "-binary", "-inform", "DER",
                   "-in", str(directory / "sig.der"), "-content", str(directory / "content"),
                   "-CAfile", str(directory / "ca.pem"), "-purpose", "any", "-out", os.devnull]
        env = dict(os.environ, OPENSSL_CONF=str(OPENSSL_CONF))

        def theirs() -> None:
            subprocess.run(command, check=True, capture_output=True, env=env)

        ours()
        theirs()
        mine, openssl = best_of(args.runs, ours), best_of(args.runs, theirs)
    print(f"signature: {len(signature)} bytes over {SIZE // 1_000_000} MB (CAdES-X Long Type 1, GOST)")
    print(f"registry verifier : {mine * 1000:8.1f} ms")
    print(f"openssl cms       : {openssl * 1000:8.1f} ms")
    print(f"ratio             : {mine / openssl:8.2f}x")


if __name__ == "__main__":
    main()
