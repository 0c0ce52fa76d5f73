"""The GOST server certificate nginx offers beside the ECDSA one (demo and tests).

A browser with CryptoPro CSP (Chromium-GOST, Яндекс Браузер) negotiates a TLS 1.2 GOST suite
only with a server holding a GOST R 34.10-2012 key. In production the certificate comes from an
accredited CA (deploy/README.md); the demo makes one here, from a small GOST TLS CA of its own,
next to the demo's ECDSA server certificate.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from asn1crypto import pem

from ..pki.builder import build_certificate, generate_key, utcnow


def gost_server_paths(tls_dir: Path) -> tuple[Path, Path, Path]:
    """(certificate chain, key, CA certificate) of the GOST server certificate in ``tls_dir``."""
    return tls_dir / "server-gost.crt", tls_dir / "server-gost.key", tls_dir / "ca-gost.crt"


def ensure_gost_server_certificate(tls_dir: Path, *, host: str = "localhost",
                                   algorithm: str = "gost256") -> tuple[Path, Path]:
    """Create (once) a GOST server certificate for ``host`` in ``tls_dir``; return (cert, key)."""
    cert_path, key_path, ca_path = gost_server_paths(tls_dir)
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    now = utcnow()
    ca_key = generate_key(algorithm)
    ca = build_certificate(subject=[("C", "RU"), ("CN", "Демо TLS CA (ГОСТ)")], subject_key=ca_key,
                           issuer_key=ca_key, issuer=None, not_before=now - timedelta(days=1),
                           not_after=now + timedelta(days=3650), ca=True, path_len=0,
                           key_usage={"key_cert_sign", "crl_sign"})
    key = generate_key(algorithm)
    server = build_certificate(subject=[("C", "RU"), ("CN", host)], subject_key=key,
                               issuer_key=ca_key, issuer=ca, not_before=now - timedelta(days=1),
                               not_after=now + timedelta(days=825),
                               key_usage={"digital_signature", "key_encipherment",
                                          "key_agreement"},
                               extended_key_usage=("server_auth",), dns_names=(host,))
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca_path.write_bytes(pem.armor("CERTIFICATE", ca.dump()))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_pem())
    cert_path.write_bytes(pem.armor("CERTIFICATE", server.dump())
                          + pem.armor("CERTIFICATE", ca.dump()))
    return cert_path, key_path
