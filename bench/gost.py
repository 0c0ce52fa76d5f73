"""Speed of the GOST backends: Streebog-256 throughput and GOST R 34.10-2012 verification.

    .venv/bin/python bench/gost.py [--full]

Hash throughput is compared with `openssl dgst -engine gost -md_gost12_256` on the same 10 MB
file, the CLI's start-up time (measured on an empty file) subtracted. The pure backend hashes
about 0.2 MB/s, so it is timed on a 256 KB prefix unless --full is given (then ~1 minute).
Per-call verification has no meaningful CLI counterpart, so the two backends are compared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

# Run as a script, sys.path[0] is bench/, whose modules may shadow the standard library
# (bench/http.py); the repository root is what this script needs there.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from registry.pki import gost  # noqa: E402

MB = 1_000_000
DATA_SIZE = 10 * MB
PURE_SAMPLE = 256 * 1024
T = TypeVar("T")


def timed(runs: int, fn: Callable[[], T]) -> tuple[float, T]:
    """Fastest wall time of ``runs`` calls (the least disturbed by other load) and a result."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def best_of(runs: int, fn: Callable[[], object]) -> float:
    return timed(runs, fn)[0]


def cli_hash_seconds(openssl: str, path: Path, empty: Path) -> float:
    def run(target: Path) -> Callable[[], object]:
        cmd = [openssl, "dgst", "-engine", "gost", "-md_gost12_256", str(target)]
        return lambda: subprocess.run(cmd, check=True, capture_output=True)

    startup = best_of(5, run(empty))
    return max(best_of(3, run(path)) - startup, 1e-9)


def per_call(calls: int, fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="hash all 10 MB with the pure backend too")
    args = parser.parse_args()

    backends = {b.name: b for b in gost.available_backends()}
    for b in backends.values():
        print(f"{b.name:8} {b.description}")
    openssl = shutil.which("openssl")
    data = os.urandom(DATA_SIZE)

    with tempfile.TemporaryDirectory() as tmp:
        path, empty = Path(tmp, "data.bin"), Path(tmp, "empty.bin")
        path.write_bytes(data)
        empty.write_bytes(b"")
        cli = cli_hash_seconds(openssl, path, empty) if openssl else None
        if cli is not None:
            expected = subprocess.run([openssl, "dgst", "-engine", "gost", "-md_gost12_256", "-r", str(path)],
                                      check=True, capture_output=True, text=True).stdout.split()[0]

    print(f"\nStreebog-256 over {DATA_SIZE // MB} MB")
    print(f"{'':22} {'MB/s':>9} {'vs openssl CLI':>15}")
    cli_rate = DATA_SIZE / MB / cli if cli else None
    if cli_rate:
        print(f"{'openssl dgst (CLI)':22} {cli_rate:9.2f} {1.0:15.3g}")
    for name, b in backends.items():
        sample = data if (name != "pure" or args.full) else data[:PURE_SAMPLE]
        seconds, digest = timed(3 if name != "pure" else 1, lambda b=b, sample=sample: b.streebog256(sample))
        if cli and sample is data and digest.hex() != expected:
            print(f"!! {name} digest differs from the CLI's")
        rate = len(sample) / MB / seconds
        note = "" if sample is data else f"  (timed on {len(sample) // 1024} KB)"
        ratio = f"{rate / cli_rate:15.3g}" if cli_rate else f"{'n/a':>15}"
        print(f"{name + ' backend':22} {rate:9.2f} {ratio}{note}")

    print("\nGOST R 34.10-2012 verify, 1 KB message (per call)")
    print(f"{'':14} {'openssl':>11} {'pure':>11} {'pure/openssl':>13}")
    message = os.urandom(1000)
    for paramset, pure_calls in (("tc26-256-A", 10), ("tc26-512-A", 3)):
        key = gost.generate_private_key(paramset)
        spki = key.public_key_info()
        times = {}
        for name, b in backends.items():
            sig = b.sign(key, message)
            assert b.verify(spki, message, sig)
            calls = pure_calls if name == "pure" else 1000
            times[name] = per_call(calls, lambda b=b, sig=sig, spki=spki: b.verify(spki, message, sig))
        cells = [f"{times[n] * 1e3:8.3f} ms" if n in times else f"{'n/a':>11}" for n in ("openssl", "pure")]
        ratio = f"{times['pure'] / times['openssl']:12.0f}x" if len(times) == 2 else f"{'n/a':>13}"
        print(f"{paramset:14} {cells[0]} {cells[1]} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
