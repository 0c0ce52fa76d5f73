"""The trust store: trusted roots, known intermediates and CRLs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from asn1crypto import crl as asn1_crl
from asn1crypto import pem

from .certificate import MalformedCertificate, QualifiedCertificate, load_certificate, format_name, parse_name

CERT_SUFFIXES = {".crt", ".cer", ".pem", ".der"}
CRL_SUFFIXES = {".crl"}


class TrustStoreError(ValueError):
    """A trust-store file could not be read."""


def load_crl(data: bytes) -> asn1_crl.CertificateList:
    """Parse a CRL in PEM or DER."""
    if pem.detect(data):
        _label, _h, data = pem.unarmor(data)
    try:
        value = asn1_crl.CertificateList.load(data, strict=True)
        value["tbs_cert_list"]["this_update"].native
        return value
    except Exception as exc:
        raise TrustStoreError(f"CRL повреждён ({type(exc).__name__})") from exc


def _expand(paths: Iterable[str | Path], suffixes: set[str]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        elif path.is_file():
            found.append(path)
        else:
            raise TrustStoreError(f"нет такого файла или каталога: {path}")
    return found


@dataclass(frozen=True)
class TrustStore:
    """Immutable set of trust anchors, intermediates and CRLs; ``id`` names its content."""

    roots: tuple[QualifiedCertificate, ...] = ()
    intermediates: tuple[QualifiedCertificate, ...] = ()
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    id: str = field(default="")

    @classmethod
    def build(cls, roots: Iterable[QualifiedCertificate] = (), intermediates: Iterable[QualifiedCertificate] = (),
              crls: Iterable[asn1_crl.CertificateList] = ()) -> "TrustStore":
        roots, intermediates, crls = tuple(roots), tuple(intermediates), tuple(crls)
        digest = hashlib.sha256()
        for label, items in ((b"r", [c.der for c in roots]), (b"i", [c.der for c in intermediates]),
                             (b"c", [c.dump() for c in crls])):
            for der in sorted(items):
                digest.update(label + hashlib.sha256(der).digest())
        return cls(roots, intermediates, crls, digest.hexdigest())

    @classmethod
    def from_paths(cls, *paths: str | Path, crls: Iterable[str | Path | bytes] = ()) -> "TrustStore":
        """Load certificates and CRLs from files or directories.

        Self-signed certificates become trust anchors, others intermediates; ``*.crl`` files
        found in the directories are loaded as CRLs, as are the extra ``crls``.
        """
        roots, intermediates, crl_list = [], [], []
        for path in _expand(paths, CERT_SUFFIXES | CRL_SUFFIXES):
            data = path.read_bytes()
            if path.suffix.lower() in CRL_SUFFIXES or b"BEGIN X509 CRL" in data[:64]:
                crl_list.append(load_crl(data))
                continue
            for der in _split_pem(data):
                try:
                    cert = load_certificate(der)
                except MalformedCertificate as exc:
                    raise TrustStoreError(f"{path}: {exc}") from exc
                (roots if cert.is_self_signed else intermediates).append(cert)
        for item in crls:
            crl_list.append(load_crl(item if isinstance(item, bytes) else Path(item).read_bytes()))
        return cls.build(roots, intermediates, crl_list)

    def crl_status(self, now: datetime | None = None) -> list[dict]:
        """Freshness of each CRL: issuer, thisUpdate, nextUpdate and whether it is current."""
        now = now or datetime.now(timezone.utc)
        status = []
        for item in self.crls:
            tbs = item["tbs_cert_list"]
            next_update = tbs["next_update"].native
            status.append({
                "issuer": format_name(parse_name(tbs["issuer"])),
                "this_update": tbs["this_update"].native,
                "next_update": next_update,
                "revoked": len(tbs["revoked_certificates"]) if tbs["revoked_certificates"] else 0,
                "fresh": next_update is not None and next_update > now,
            })
        return status

    @property
    def earliest_crl_update(self) -> datetime | None:
        dates = [c["tbs_cert_list"]["next_update"].native for c in self.crls]
        dates = [d for d in dates if d is not None]
        return min(dates) if dates else None


def _split_pem(data: bytes) -> list[bytes]:
    if not pem.detect(data):
        return [data]
    return [der for _label, _h, der in pem.unarmor(data, multiple=True)]
