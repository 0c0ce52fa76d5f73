"""Installing a trust store built from the official list: a new directory, swapped in atomically.

What :mod:`registry.trust.store` then loads (and reloads) for the application.

Layout of a built store (``REGISTRY_TRUST_STORE``)::

    roots/   the head roots (self-signed certificates of REGISTRY_TRUST_HEAD_ROOTS)
    ca/      every certificate of every CA of the list (accredited or not: a signature made
             while a CA was accredited is still judged against it)
    crl/     CRLs, carried over from the previous store and kept fresh by ``trust refresh``
    tsl.json the list's version and date, its signer, each CA's accreditation periods and CRL
             addresses

The list is accepted only with a valid signature of the configured Минцифры certificate
(:mod:`registry.trust.signature`); only its signed content is read.

The store path is a symlink to a directory in ``.<name>.d/`` beside it; an import writes a
new directory there and replaces the symlink with one rename, so a running instance sees
either the old store or the new one. A store path that is a real directory is exchanged with
the new one (``renameat2(RENAME_EXCHANGE)``) where the system allows it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from asn1crypto import pem

from ..pki import QualifiedCertificate
from .fetch import FetchError, FetchLimits, http_get
from .locking import store_lock
from .metadata import METADATA_FILE, METADATA_FORMAT, read_metadata, write_json_atomic
from .signature import ListSignature, check_signed_at, verify_list_signature
from .store import CERT_SUFFIXES, CRL_SUFFIXES, load_store
from .tsl import DEFAULT_MAX_BYTES, TrustList, TslError, parse_tsl

log = logging.getLogger(__name__)
KEEP_OLD_VERSIONS = 1


@dataclass
class ImportResult:
    version: int
    date: datetime
    cas: int
    active_cas: int
    certificates: int
    head_roots: int
    path: str
    previous_version: int | None
    problems: list[str] = field(default_factory=list)
    signer: str = ""  # subject of the certificate whose signature was verified


def versions_dir(store: Path) -> Path:
    return store.parent / f".{store.name}.d"


def read_source(
    source: str | os.PathLike | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = 60.0
) -> bytes:
    """The bytes of a list given as bytes, a file path or an http(s) URL."""
    if isinstance(source, bytes):
        return source
    text = str(source)
    if text.lower().startswith(("http://", "https://")):
        try:
            return http_get(text, FetchLimits(timeout=timeout, max_bytes=max_bytes, retries=2))
        except FetchError as exc:
            kind = "больше допустимого размера" if exc.kind == "too_large" else "недоступен"
            raise TslError(f"список {kind}: {exc.message}") from None
    path = Path(text)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TslError(f"список больше {max_bytes // (1024 * 1024)} МБ")
        return path.read_bytes()
    except OSError as exc:
        raise TslError(f"не удалось прочитать {path}: {exc.strerror or exc}") from None


def import_tsl(
    app, source: str | os.PathLike | bytes, *, now: datetime | None = None
) -> ImportResult:
    """Import a list into the app's trust store; :class:`TslError` (store kept) if refused.

    Refused also when the list is not signed by the configured Минцифры certificate.
    """
    config = app.config
    store = Path(config["REGISTRY_TRUST_STORE"])
    from ..config import PROJECT_ROOT

    if os.path.realpath(store) == os.path.realpath(PROJECT_ROOT / "certs"):
        raise TslError(
            "хранилище — поставляемый каталог certs/ с головными корневыми сертификатами; "
            "задайте REGISTRY_TRUST_STORE (например, /var/lib/registry/trust) — головные "
            "корневые будут взяты из certs/"
        )
    max_bytes = int(config.get("REGISTRY_TSL_MAX_MB", 200)) * 1024 * 1024
    data = read_source(source, max_bytes=max_bytes)
    signature = verify_list_signature(config, data)
    trust_list = parse_tsl(signature.signed_data, max_bytes=max_bytes)
    check_signed_at(signature, trust_list.date)
    head = Path(config.get("REGISTRY_TRUST_HEAD_ROOTS") or store)
    with store_lock(store):
        result = _install(
            store,
            trust_list,
            head,
            str(source) if not isinstance(source, bytes) else "(bytes)",
            now or datetime.now(timezone.utc),
            signature,
        )
    holder = app.extensions.get("registry.trust")
    if holder is not None:
        holder.reload()
    return result


def _install(
    store: Path,
    trust_list: TrustList,
    head: Path,
    source: str,
    now: datetime,
    signature: ListSignature,
) -> ImportResult:
    try:
        current = read_metadata(store) if store.is_dir() else None
    except ValueError:
        current = None  # a broken current description does not block a good list
    previous = (
        int(current["version"]) if current and str(current.get("version", "")).isdigit() else None
    )
    if previous is not None and trust_list.version <= previous:
        raise TslError(
            f"список версии {trust_list.version} от {trust_list.date:%d.%m.%Y} не новее "
            f"установленного (версия {previous} от {current.get('date', '—')[:10]}); "
            f"хранилище не изменено"
        )
    roots = _head_roots(head)
    problems = list(trust_list.problems)
    if not roots:
        problems.append(f"в {head} нет головных корневых сертификатов")
    base = versions_dir(store)
    base.mkdir(parents=True, exist_ok=True)
    target = base / f"v{trust_list.version}-{int(time.time() * 1000)}"
    work = base / f".{target.name}.tmp"
    try:
        metadata = _write_store(work, trust_list, roots, store, source, now)
        metadata["problems"] = problems
        metadata["signature"] = signature.describe()
        write_json_atomic(work / METADATA_FILE, metadata)
        _fsync_tree(work)
        os.rename(work, target)
        _swap(store, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _prune(base, keep={target.name, os.path.basename(os.path.realpath(store))})
    log.info(
        "trust list version %s (%s) installed into %s: %d CAs, %d certificates",
        trust_list.version,
        trust_list.date.isoformat(),
        store,
        len(trust_list.cas),
        trust_list.certificate_count,
    )
    return ImportResult(
        trust_list.version,
        trust_list.date,
        len(trust_list.cas),
        sum(1 for ca in trust_list.cas if ca.active),
        trust_list.certificate_count,
        len(roots),
        str(store),
        previous,
        problems,
        signature.signer.subject,
    )


def _head_roots(head: Path) -> list[QualifiedCertificate]:
    if not head.exists():
        return []
    store, _problems = load_store(head)
    return list(store.roots)


def _cert_pem(cert: QualifiedCertificate) -> bytes:
    return pem.armor("CERTIFICATE", cert.der)


def _write_store(
    work: Path,
    trust_list: TrustList,
    roots: list[QualifiedCertificate],
    store: Path,
    source: str,
    now: datetime,
) -> dict:
    for sub in ("roots", "ca", "crl"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    head_info = []
    for cert in roots:
        name = f"roots/{cert.fingerprint[:20]}.crt"
        (work / name).write_bytes(_cert_pem(cert))
        head_info.append({"subject": cert.subject, "sha256": cert.fingerprint, "file": name})
    written: set[str] = set()
    cas = []
    for number, ca in enumerate(trust_list.cas, 1):
        certs = []
        for key, item in ((k, c) for k in ca.keys for c in k.certificates):
            cert = item.certificate
            name = f"ca/{number:04d}-{cert.fingerprint[:20]}.crt"
            if cert.fingerprint not in written:
                (work / name).write_bytes(_cert_pem(cert))
                written.add(cert.fingerprint)
            certs.append(
                {
                    "sha256": cert.fingerprint,
                    "sha1": item.thumbprint,
                    "subject": cert.subject,
                    "issuer": cert.issuer,
                    "serial": cert.serial,
                    "not_before": cert.not_before.isoformat(),
                    "not_after": cert.not_after.isoformat(),
                    "key_id": (cert.asn1.key_identifier or b"").hex(),
                    "file": name,
                    "crl_urls": key.crl_urls,
                }
            )
        cas.append(
            {
                "name": ca.name,
                "short_name": ca.short_name,
                "inn": ca.inn,
                "ogrn": ca.ogrn,
                "status": ca.status,
                "periods": [
                    {
                        "status": p.status,
                        "from": p.start.isoformat() if p.start else None,
                        "to": p.end.isoformat() if p.end else None,
                    }
                    for p in ca.periods
                ],
                "crl_urls": ca.crl_urls,
                "certificates": certs,
            }
        )
    _carry_crls(store, work / "crl")
    return {
        "format": METADATA_FORMAT,
        "version": trust_list.version,
        "date": trust_list.date.isoformat(),
        "imported_at": now.isoformat(),
        "source": source,
        "head_roots": head_info,
        "cas": cas,
    }


def _carry_crls(store: Path, target: Path) -> None:
    """Copy the current store's CRLs, so revocation keeps working until the next refresh."""
    if not store.is_dir():
        return
    for path in sorted(store.rglob("*")):
        if (
            path.is_file()
            and path.suffix.lower() in CRL_SUFFIXES
            and not any(p.startswith(".") for p in path.relative_to(store).parts)
        ):
            data = path.read_bytes()
            name = hashlib.sha256(data).hexdigest()[:20] + ".crl"
            if path.parent.name == "crl":
                name = path.name
            (target / name).write_bytes(data)


def _fsync_tree(path: Path) -> None:
    for root, _dirs, files in os.walk(path):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                os.fsync(f.fileno())
        fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _swap(store: Path, target: Path) -> None:
    """Make ``store`` point to ``target`` in one step."""
    if store.is_symlink() or not store.exists():
        link = store.parent / f".{store.name}.link-{os.getpid()}"
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(os.path.relpath(target, store.parent), link)
        os.replace(link, store)
        return
    if not store.is_dir():
        raise TslError(f"{store} — файл, а не каталог хранилища")
    # A real directory (e.g. the shipped certs/): exchange it with the new one, then keep the
    # old content under the versions directory.
    if _exchange(target, store):
        # ``target`` now holds the old content.
        os.rename(target, target.with_name(target.name + ".previous"))
        return
    aside = target.with_name(target.name + ".previous")
    os.rename(store, aside)
    os.rename(target, store)


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(
        at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), _RENAME_EXCHANGE
    )
    return result == 0


def _prune(base: Path, keep: set[str]) -> None:
    """Remove store versions no longer in use, but the newest few (for an operator's rollback)."""
    candidates = sorted(
        (p for p in base.iterdir() if p.is_dir() and p.name not in keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in candidates[KEEP_OLD_VERSIONS:]:
        shutil.rmtree(path, ignore_errors=True)


def store_files(store: Path) -> list[Path]:
    """Certificate and CRL files of a store (for reports)."""
    return sorted(
        p
        for p in store.rglob("*")
        if p.is_file() and p.suffix.lower() in CERT_SUFFIXES | CRL_SUFFIXES
    )
