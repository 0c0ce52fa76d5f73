"""Verification of a detached GOST signature over a 10 MB file, against `openssl cms -verify`.

    .venv/bin/python bench/documents.py

Both sides do the same work: hash 10 MB with Streebog-256, check the signed attributes and
the GOST R 34.10-2012 signature, and validate the signer's chain (ours also checks the CRLs;
our result cache is emptied before every run). The openssl command's process start-up,
measured on `openssl version`, is subtracted. Target (issue 6): ratio at least 0.5.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Run as a script, sys.path[0] is bench/, whose modules may shadow the standard library
# (bench/http.py); the repository root is what this script needs there.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.timing import median_of  # noqa: E402
from registry.documents.signatures import OK, verify_detached  # noqa: E402
from registry.pki import TrustStore, gost  # noqa: E402
from registry.pki.demo_pki import build_demo_pki  # noqa: E402
from registry.pki.validation import clear_all  # noqa: E402

RUNS = 7


def main() -> int:
    openssl = shutil.which("openssl")
    if not openssl:
        print("openssl not found: no baseline")
        return 1
    print(f"GOST backend: {gost.backend().name} — {gost.backend().description}\n")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pki = build_demo_pki(tmp / "pki", algorithms=("gost256",))
        store = TrustStore.from_paths(pki.trust_dir)
        content, signature = tmp / "document.bin", tmp / "document.bin.sig"
        content.write_bytes(os.urandom(10 * 1_000_000))
        head = pki.person("head", "gost256")
        subprocess.run([openssl, "cms", "-sign", "-binary", "-engine", "gost", "-md", "md_gost12_256",
                        "-in", content, "-signer", head.cert_path, "-inkey", head.key_path,
                        "-outform", "DER", "-out", signature], check=True, capture_output=True)
        chain = tmp / "chain.pem"  # `openssl cms` takes the intermediate only beside the root
        chain.write_bytes(pki.ca("gost256", "root").cert_path.read_bytes() + pki.ca("gost256").cert_path.read_bytes())
        verify_cmd = [openssl, "cms", "-verify", "-binary", "-engine", "gost", "-inform", "DER",
                      "-in", signature, "-content", content, "-CAfile", chain,
                      "-purpose", "any", "-out", os.devnull]
        subprocess.run(verify_cmd, check=True, capture_output=True)
        startup = median_of(RUNS, lambda: subprocess.run([openssl, "version"], capture_output=True))
        baseline = max(median_of(RUNS, lambda: subprocess.run(verify_cmd, check=True, capture_output=True))
                       - startup, 1e-6)
        sig_bytes, data = signature.read_bytes(), content.read_bytes()

        def ours():
            clear_all()
            check = verify_detached(sig_bytes, data, trust_store=store)
            assert check.code == OK, check.message

        ours()
        measured = median_of(RUNS, ours)
    print(f"openssl cms -verify (engine):  {baseline * 1e3:8.1f} ms  (start-up {startup * 1e3:.1f} ms subtracted)")
    print(f"registry verify_detached:      {measured * 1e3:8.1f} ms")
    ratio = baseline / measured
    print(f"ratio {ratio:.2f} (openssl time / ours; target ≥ 0.5: {'yes' if ratio >= 0.5 else 'NO'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
