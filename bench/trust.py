"""CRL refresh time for many CAs served locally, beside a raw download of the same files.

    .venv/bin/python bench/trust.py [--cas 500] [--alg ecdsa|rsa|gost256] [--workers 8]

1. A root and ``--cas`` CAs under it are issued with ``registry.pki.builder``; each CA signs a
   CRL. A list in Минцифры's TSL.xml format names every CA with its CRL address on one local
   HTTP server (127.0.0.1), and ``registry.trust.import_tsl`` checks its GOST XML signature and
   builds the trust store from it.
2. Baseline: the same CRL files downloaded with the same client (``registry.trust.fetch``)
   and the same number of threads, without parsing or verifying anything.
3. ``registry.trust.refresh_crls``: the first run downloads, verifies and installs every CRL;
   the second (steady state: the same CRLs again) downloads and verifies, writes nothing.

Printed: total seconds and milliseconds per CA of each, and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from pathlib import Path

# Run as a script, sys.path[0] is bench/, whose modules may shadow the standard library
# (bench/http.py); the repository root is what this script needs there.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

from asn1crypto import pem  # noqa: E402

from registry.pki.builder import build_certificate, build_crl, generate_key, utcnow  # noqa: E402


class _Quiet(SimpleHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def log_message(self, *args):
        pass


def _serve(directory: Path) -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(directory)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def _build(work: Path, count: int, alg: str, port: int) -> bytes:
    """Issue the PKI and CRLs into ``work``; return the TSL.xml naming every CA."""
    now = utcnow()
    published, heads = work / "www", work / "head"
    published.mkdir()
    heads.mkdir()
    base = f"http://127.0.0.1:{port}"
    root_key = generate_key(alg)
    root = build_certificate(
        subject=[("C", "RU"), ("CN", "Бенч головной УЦ")],
        subject_key=root_key,
        issuer_key=root_key,
        issuer=None,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=3650),
        ca=True,
        path_len=1,
        key_usage={"key_cert_sign", "crl_sign"},
    )
    (heads / "root.crt").write_bytes(pem.armor("CERTIFICATE", root.dump()))
    (published / "root.crl").write_bytes(
        build_crl(
            issuer=root,
            issuer_key=root_key,
            this_update=now - timedelta(minutes=5),
            next_update=now + timedelta(days=7),
            number=1,
        ).dump()
    )
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<АккредитованныеУдостоверяющиеЦентры>",
        "<Версия>1</Версия>",
        f"<Дата>{now.isoformat()}</Дата>",
    ]
    for n in range(count):
        key = generate_key(alg)
        cert = build_certificate(
            subject=[("C", "RU"), ("O", f"УЦ {n}"), ("CN", f"Бенч УЦ {n}")],
            subject_key=key,
            issuer_key=root_key,
            issuer=root,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=1000),
            ca=True,
            path_len=0,
            key_usage={"key_cert_sign", "crl_sign"},
            crl_url=f"{base}/root.crl",
        )
        crl = build_crl(
            issuer=cert,
            issuer_key=key,
            this_update=now - timedelta(minutes=5),
            next_update=now + timedelta(days=1),
            number=1,
            revoked=[(1000 + i, now - timedelta(days=1)) for i in range(n % 4)],
        )
        (published / f"ca-{n}.crl").write_bytes(crl.dump())
        der = cert.dump()
        parts += [
            "<УдостоверяющийЦентр>",
            f"<Название>Бенч УЦ {n}</Название>",
            f"<КраткоеНазвание>Бенч УЦ {n}</КраткоеНазвание>",
            "<ИНН>7700000000</ИНН>",
            "<ОГРН>1027700000000</ОГРН>",
            "<ПрограммноАппаратныеКомплексы><ПрограммноАппаратныйКомплекс>"
            "<КлючиУполномоченныхЛиц><Ключ>",
            f"<ИдентификаторКлюча>{cert.key_identifier.hex()}</ИдентификаторКлюча>",
            f"<АдресаСписковОтзыва><Адрес>{base}/ca-{n}.crl</Адрес></АдресаСписковОтзыва>",
            "<Сертификаты><ДанныеСертификата>",
            f"<Отпечаток>{hashlib.sha1(der).hexdigest().upper()}</Отпечаток>",
            f"<Данные>{base64.b64encode(der).decode()}</Данные>",
            "</ДанныеСертификата></Сертификаты></Ключ></КлючиУполномоченныхЛиц>"
            "</ПрограммноАппаратныйКомплекс></ПрограммноАппаратныеКомплексы>",
            "<СтатусАккредитации><Статус>Действует</Статус>"
            "<ДействуетС>2021-07-01T00:00:00+03:00</ДействуетС></СтатусАккредитации>",
            "</УдостоверяющийЦентр>",
        ]
    parts.append("</АккредитованныеУдостоверяющиеЦентры>")
    return _sign("\n".join(parts).encode(), work, now)


def _sign(data: bytes, work: Path, now) -> bytes:
    """The list signed as Минцифры signs it; the certificate goes to ``work/signer.crt``."""
    from registry.pki.xmldsig import sign_enveloped

    key = generate_key("gost256")
    cert = build_certificate(
        subject=[("C", "RU"), ("CN", "Бенч Минцифры")],
        subject_key=key,
        issuer_key=key,
        issuer=None,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
        key_usage={"digital_signature"},
    )
    (work / "signer.crt").write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    return sign_enveloped(data, key.private, cert.dump())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cas", type=int, default=500)
    parser.add_argument("--alg", default="ecdsa", choices=["ecdsa", "rsa", "gost256"])
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    import logging

    from registry import create_app
    from registry.trust import import_tsl, refresh_crls
    from registry.trust.fetch import http_get
    from registry.trust.refresh import refresh_limits

    logging.disable(logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="bench-trust-"))
    try:
        server, port = _serve(work / "www")
        started = time.perf_counter()
        tsl = _build(work, args.cas, args.alg, port)
        print(
            f"issued 1 root + {args.cas} {args.alg} CAs and their CRLs in "
            f"{time.perf_counter() - started:.1f} s"
        )
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}",
                "SECRET_KEY": "bench",
                "REGISTRY_INSTANCE_PATH": str(work / "instance"),
                "REGISTRY_TRUST_STORE": str(work / "trust"),
                "REGISTRY_TRUST_HEAD_ROOTS": str(work / "head"),
                "REGISTRY_TSL_SIGNER_CERT": str(work / "signer.crt"),
                "REGISTRY_CRL_FETCH_WORKERS": args.workers,
                "REGISTRY_LOG_LEVEL": "ERROR",
            }
        )
        started = time.perf_counter()
        result = import_tsl(app, tsl)
        print(f"import-tsl: {result.cas} CAs in {time.perf_counter() - started:.2f} s")

        files = [f"http://127.0.0.1:{port}/root.crl"] + [
            f"http://127.0.0.1:{port}/ca-{n}.crl" for n in range(args.cas)
        ]
        limits = refresh_limits(app.config)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            sizes = list(pool.map(lambda u: len(http_get(u, limits)), files))
        baseline = time.perf_counter() - started
        cas = len(files)
        print(
            f"\nbaseline, download only ({cas} files, {sum(sizes) // 1024} KiB, "
            f"{args.workers} threads): {baseline:.2f} s, {baseline / cas * 1000:.2f} ms per CA"
        )

        for label in (
            "refresh, first run (download, verify, install)",
            "refresh, steady state (download, verify, nothing newer)",
        ):
            started = time.perf_counter()
            reports = refresh_crls(app)
            elapsed = time.perf_counter() - started
            states: dict[str, int] = {}
            for r in reports:
                states[r.status] = states.get(r.status, 0) + 1
            updated = sum(r.updated for r in reports)
            print(
                f"{label}: {elapsed:.2f} s, {elapsed / len(reports) * 1000:.2f} ms per CA, "
                f"{elapsed / baseline:.1f}x baseline; {len(reports)} CAs {states}, "
                f"{updated} written"
            )
        server.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
