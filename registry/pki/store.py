"""The trust store as data: trusted roots, known intermediates and CRLs, read from files.

What validation judges against. The application's copy, reloaded when its files change, is
:mod:`registry.trust.store`; building one from the official CA list is :mod:`registry.trust.install`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import pem

from .certificate import (
    MalformedCertificate,
    QualifiedCertificate,
    format_name,
    load_certificate,
    parse_name,
    unreadable_subject,
)

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


@dataclass(frozen=True)
class LoadProblem:
    """A file of a trust folder that could not be read (the rest of the folder still loads)."""

    path: str
    message: str
    # The subject of the certificate in the file when it could still be made out (so that a
    # chain needing it can name the CA), else None.
    subject: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _expand(paths: Iterable[str | Path], suffixes: set[str]) -> list[tuple[Path, bool]]:
    """Files to read, each with whether it was named itself (True) or found in a folder."""
    found: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend((p, False) for p in sorted(path.rglob("*"))
                         if p.is_file() and p.suffix.lower() in suffixes)
        elif path.is_file():
            found.append((path, True))
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
    # Files of the trust folders that could not be read and were left out (for doctor/console).
    problems: tuple[LoadProblem, ...] = field(default=(), compare=False)

    @classmethod
    def build(cls, roots: Iterable[QualifiedCertificate] = (),
              intermediates: Iterable[QualifiedCertificate] = (),
              crls: Iterable[asn1_crl.CertificateList] = (),
              problems: Iterable[LoadProblem] = ()) -> TrustStore:
        roots, intermediates, crls = tuple(roots), tuple(intermediates), tuple(crls)
        digest = hashlib.sha256()
        for label, items in ((b"r", [c.der for c in roots]), (b"i", [c.der for c in intermediates]),
                             (b"c", [c.dump() for c in crls])):
            for der in sorted(items):
                digest.update(label + hashlib.sha256(der).digest())
        return cls(roots, intermediates, crls, digest.hexdigest(), tuple(problems))

    @classmethod
    def from_paths(cls, *paths: str | Path, crls: Iterable[str | Path | bytes] = ()) -> TrustStore:
        """Load certificates and CRLs from files or directories.

        Self-signed certificates become trust anchors, others intermediates; ``*.crl`` files
        found in the directories are loaded as CRLs, as are the extra ``crls``. A file found in
        a directory that cannot be read is left out and listed in ``problems``; a file named
        itself that cannot be read raises TrustStoreError.
        """
        roots: list[QualifiedCertificate] = []
        intermediates: list[QualifiedCertificate] = []
        crl_list: list[asn1_crl.CertificateList] = []
        problems: list[LoadProblem] = []
        for path, named in _expand(paths, CERT_SUFFIXES | CRL_SUFFIXES):
            try:
                loaded = _read_file(path)
            except TrustStoreError as exc:
                if named:
                    raise TrustStoreError(f"{path}: {exc}") from exc
                problems.append(LoadProblem(str(path), str(exc), _subject_of_unreadable(path)))
                continue
            for item in loaded:
                if isinstance(item, QualifiedCertificate):
                    (roots if item.is_self_signed else intermediates).append(item)
                else:
                    crl_list.append(item)
        for extra in crls:
            raw = extra if isinstance(extra, bytes) else Path(extra).read_bytes()
            crl_list.append(load_crl(raw))
        return cls.build(roots, intermediates, crl_list, problems)

    def unreadable_ca(self, name: str) -> LoadProblem | None:
        """The left-out file whose certificate has subject ``name`` (as format_name renders it).

        Lets a chain that cannot be built because its CA's certificate is in the store but
        unreadable be refused as ``ca_certificate_unreadable`` instead of «chain incomplete».
        """
        for problem in self.problems:
            if problem.subject is not None and problem.subject == name:
                return problem
        return None

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


MAX_TRUST_FILE_SIZE = 64 * 1024 * 1024


def _read_file(path: Path) -> list[QualifiedCertificate | asn1_crl.CertificateList]:
    """The certificates or the CRL of one file; TrustStoreError names what is wrong."""
    try:
        if path.stat().st_size > MAX_TRUST_FILE_SIZE:
            raise TrustStoreError("файл слишком большой")
        data = path.read_bytes()
    except OSError as exc:
        raise TrustStoreError(f"файл не читается ({exc.strerror or type(exc).__name__})") from exc
    if path.suffix.lower() in CRL_SUFFIXES or b"BEGIN X509 CRL" in data[:64]:
        return [load_crl(data)]
    try:
        return [load_certificate(der) for der in _split_pem(data)]
    except MalformedCertificate as exc:
        raise TrustStoreError(str(exc)) from exc
    except Exception as exc:  # e.g. broken PEM armour
        raise TrustStoreError(f"файл не читается ({type(exc).__name__})") from exc


def _subject_of_unreadable(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_TRUST_FILE_SIZE:
            return None
        return unreadable_subject(path.read_bytes())
    except OSError:
        return None


def _split_pem(data: bytes) -> list[bytes]:
    if not pem.detect(data):
        return [data]
    return [der for _label, _h, der in pem.unarmor(data, multiple=True)]
