"""Read a whole public set of Russian CA certificates and print what loads.

Usage: python -m bench.real_pki DIR [DIR …]

DIR holds PEM/DER/CER files, e.g. a checkout of github schors/gost-russian-ca (``certs/``,
about 2,400 files; not part of this repository). Prints the number of files, of certificates
read, of those with quirks read around, and every file that does not load, then exits 1 if any
did not.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from registry.pki import MalformedCertificate, load_certificate
from registry.pki.truststore import CERT_SUFFIXES, _split_pem


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    files = sorted(p for raw in argv for p in Path(raw).rglob("*")
                   if p.is_file() and p.suffix.lower() in CERT_SUFFIXES)
    loaded, failed, quirks = 0, [], Counter()
    for path in files:
        try:
            for der in _split_pem(path.read_bytes()):
                cert = load_certificate(der)
                cert.to_dict()
                cert.asn1.subject.hashable, cert.asn1.issuer.hashable
                quirks.update(cert.quirks)
                loaded += 1
        except (MalformedCertificate, ValueError) as exc:
            failed.append((path, str(exc)))
    print(f"files: {len(files)}  certificates read: {loaded}  files refused: {len(failed)}")
    for name, count in sorted(quirks.items()):
        print(f"  quirk {name}: {count}")
    for path, message in failed:
        print(f"  REFUSED {path}: {message}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
