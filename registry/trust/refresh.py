"""``registry trust refresh``: download every CA's CRL, verify it, keep the newest valid one.

For each CA key of the trust store (certificates with the same subject and key identifier
share one CRL) the addresses are the list's «АдресаСписковОтзыва» for that key and the CRL
distribution points of the store's certificates that the key issued. Each address is
downloaded with a deadline, a size limit and retries; a download counts only if it is a CRL
of that key with a valid signature, and it replaces the stored CRL only if it is newer (CRL
number, then thisUpdate). The file is written to a temporary name and renamed over the old
one, so every instance (see :class:`~registry.trust.store.TrustStoreHolder`) reloads a whole
CRL at its next check.

Only one refresh runs at a time: a file lock beside the store, plus a PostgreSQL advisory lock
when the database is PostgreSQL (several nodes). A refresh that finds the lock taken does
nothing and returns an empty list.

Each CA gets a report: ``fresh`` (a valid CRL was downloaded and the CRL in force is current),
``stale`` (downloaded, but even the newest one is past its nextUpdate), ``unreachable`` (no
address answered with a CRL), ``invalid`` (answers were not a valid CRL of this CA).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from asn1crypto import crl as asn1_crl

from ..pki import QualifiedCertificate, TrustStore, TrustStoreError, load_crl
from .crl import CrlInfo, CrlInvalid, check_crl
from .fetch import FetchError, FetchLimits, http_get
from .locking import database_lock, store_lock
from .metadata import read_metadata, write_json_atomic
from .store import CRL_SUFFIXES, display_name, load_store

log = logging.getLogger(__name__)

FRESH, STALE, UNREACHABLE, INVALID = "fresh", "stale", "unreachable", "invalid"
STATUS_TITLES = {
    FRESH: "актуален",
    STALE: "устарел",
    UNREACHABLE: "недоступен",
    INVALID: "неверный",
}


@dataclass
class CaRefreshReport:
    """What one refresh did for one CA key."""

    ca: str  # the CA's name (from the list, else the certificate's)
    subject: str
    key_id: str
    status: str  # fresh / stale / unreachable / invalid
    urls: list[str] = field(default_factory=list)
    this_update: datetime | None = None  # of the CRL in force after the refresh
    next_update: datetime | None = None
    updated: bool = False  # a newer CRL was written
    errors: list[str] = field(default_factory=list)
    file: str | None = None

    @property
    def status_title(self) -> str:
        return STATUS_TITLES.get(self.status, self.status)

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("this_update", "next_update"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass
class _Ca:
    key: tuple
    certs: list[QualifiedCertificate]
    name: str
    urls: list[str]
    current: CrlInfo | None = None
    current_file: Path | None = None


def refresh_limits(config) -> FetchLimits:
    return FetchLimits(
        timeout=float(config.get("REGISTRY_CRL_TIMEOUT", 10)),
        max_bytes=int(float(config.get("REGISTRY_CRL_MAX_MB", 50)) * 1024 * 1024),
        retries=int(config.get("REGISTRY_CRL_RETRIES", 2)),
        backoff=float(config.get("REGISTRY_CRL_RETRY_DELAY", 0.5)),
    )


def refresh_crls(app, *, wait: bool = False, now: datetime | None = None) -> list[CaRefreshReport]:
    """Run one CRL refresh of ``app``'s trust store; [] if another refresh holds the lock."""
    reports = run_refresh(app, wait=wait, now=now)
    return reports if reports is not None else []


def run_refresh(
    app, *, wait: bool = False, now: datetime | None = None
) -> list[CaRefreshReport] | None:
    """Like :func:`refresh_crls`, but None (not []) when the lock was taken by someone else."""
    store = Path(app.config["REGISTRY_TRUST_STORE"])
    with store_lock(store, blocking=wait) as got:
        if not got:
            log.info("CRL refresh of %s skipped: another refresh is running", store)
            return None
        with app.app_context():
            from ..extensions import db

            engine = db.engine
        with database_lock(engine, blocking=wait) as got_db:
            if not got_db:
                log.info("CRL refresh skipped: another node is refreshing")
                return None
            started = datetime.now(timezone.utc)
            holder = app.extensions.get("registry.trust")
            # The running app has parsed the store already; reuse it rather than parse again.
            same = holder is not None and os.path.realpath(holder.path) == os.path.realpath(store)
            reports = _refresh(store, app.config, now, holder.reload() if same else None)
            state_path(store).parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(
                state_path(store),
                {
                    "started_at": started.isoformat(),
                    "finished_at": datetime.now(timezone.utc).isoformat(),
                    "pid": os.getpid(),
                    "reports": [r.to_dict() for r in reports],
                },
            )
    if holder is not None and any(r.updated for r in reports):
        holder.reload()
    return reports


def state_path(store: Path) -> Path:
    """Where the last refresh's reports are kept (beside the store, shared by all instances)."""
    return store.parent / f".{store.name}.refresh.json"


def last_refresh(store: str | os.PathLike) -> dict | None:
    import json

    path = state_path(Path(store))
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _refresh(
    store: Path, config, now: datetime | None, loaded: TrustStore | None = None
) -> list[CaRefreshReport]:
    if not store.exists():
        return []
    real = Path(os.path.realpath(store))
    cas = collect_cas(real, loaded)
    limits = refresh_limits(config)
    workers = max(1, int(config.get("REGISTRY_CRL_FETCH_WORKERS", 8)))
    urls = sorted({u for ca in cas for u in ca.urls})
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crl-fetch") as pool:
        downloads = dict(zip(urls, pool.map(lambda u: _download(u, limits), urls), strict=True))
        moment = now or datetime.now(timezone.utc)
        # Verifying is CPU-bound, writing waits for fsync: the pool overlaps the two.
        return list(pool.map(lambda ca: _settle(ca, downloads, real, moment), cas))


def _download(url: str, limits: FetchLimits) -> bytes | FetchError:
    try:
        return http_get(url, limits)
    except FetchError as exc:
        return exc


def _group_key(cert: QualifiedCertificate) -> tuple:
    return (cert.asn1.subject.dump(), cert.asn1.key_identifier or cert.asn1.public_key.dump())


def collect_cas(store: Path, loaded: TrustStore | None = None) -> list[_Ca]:
    """The CA keys of a store directory with their CRL addresses and current CRLs.

    ``loaded`` is the store's content already parsed (by a running instance's holder).
    """
    trust = loaded if loaded is not None else load_store(store)[0]
    try:
        metadata = read_metadata(store)
    except ValueError:
        metadata = None
    listed: dict[str, tuple[str, list[str]]] = {}
    for item in (metadata or {}).get("cas", []):
        for cert in item.get("certificates", []):
            listed[cert["sha256"]] = (
                item.get("short_name") or item.get("name") or "",
                list(cert.get("crl_urls") or item.get("crl_urls") or []),
            )
    groups: dict[tuple, _Ca] = {}
    everything = [*trust.roots, *trust.intermediates]
    for cert in everything:
        if not cert.is_ca:
            continue
        key = _group_key(cert)
        ca = groups.get(key)
        if ca is None:
            ca = groups[key] = _Ca(key, [], "", [])
        ca.certs.append(cert)
        name, urls = listed.get(cert.fingerprint, ("", []))
        ca.name = ca.name or name
        for url in urls:
            if url not in ca.urls:
                ca.urls.append(url)
    # CRL distribution points of certificates a key issued point to that key's CRL.
    by_subject: dict[bytes, list[_Ca]] = {}
    for ca in groups.values():
        by_subject.setdefault(ca.key[0], []).append(ca)
    for cert in everything:
        if cert.is_self_signed:
            continue
        aki = cert.asn1.authority_key_identifier
        for ca in by_subject.get(cert.asn1.issuer.dump(), []):
            if aki is None or ca.certs[0].asn1.key_identifier is None or ca.key[1] == aki:
                for url in _cdp_urls(cert):
                    if url not in ca.urls:
                        ca.urls.append(url)
    for ca in groups.values():
        if not ca.name:
            ca.name = _short_name(ca.certs[0])
    _attach_current(store, list(groups.values()))
    return sorted(groups.values(), key=lambda c: (c.name.lower(), c.key))


def _cdp_urls(cert: QualifiedCertificate) -> list[str]:
    urls = []
    try:
        points = cert.asn1.crl_distribution_points
    except Exception:  # an undecodable extension: nothing to learn from it
        return []
    for point in points:
        name = point["distribution_point"]
        if name.name != "full_name":
            continue
        for general in name.chosen:
            if general.name == "uniform_resource_identifier":
                url = general.native
                if url.lower().startswith(("http://", "https://")):
                    urls.append(url)
    return urls


def _short_name(cert: QualifiedCertificate) -> str:
    return display_name(cert)


def _attach_current(store: Path, cas: list[_Ca]) -> None:
    by_name: dict[bytes, list[_Ca]] = {}
    for ca in cas:
        by_name.setdefault(ca.key[0], []).append(ca)
    for path in sorted(store.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in CRL_SUFFIXES:
            continue
        if any(p.startswith(".") for p in path.relative_to(store).parts):
            continue
        try:
            crl = load_crl(path.read_bytes())
        except (OSError, TrustStoreError):
            continue
        for ca in by_name.get(crl["tbs_cert_list"]["issuer"].dump(), []):
            try:
                info = check_crl(crl, ca.certs)
            except CrlInvalid:
                continue
            if ca.current is None or info.newer_than(ca.current):
                ca.current, ca.current_file = info, path
            break


def _settle(
    ca: _Ca, downloads: dict[str, bytes | FetchError], store: Path, moment: datetime
) -> CaRefreshReport:
    report = CaRefreshReport(
        ca=ca.name,
        subject=ca.certs[0].subject,
        key_id=(ca.certs[0].asn1.key_identifier or b"").hex(),
        status=UNREACHABLE,
        urls=list(ca.urls),
    )
    if not ca.urls:
        report.errors.append("адрес списка отзыва неизвестен")
    best: CrlInfo | None = None
    invalid = False
    for url in ca.urls:
        data = downloads.get(url)
        if isinstance(data, FetchError):
            invalid = invalid or data.kind == "too_large"
            report.errors.append(data.message)
            continue
        if data is None:
            continue
        try:
            info = check_crl(data, ca.certs)
        except CrlInvalid as exc:
            invalid = True
            report.errors.append(f"{url}: {exc}")
            continue
        if best is None or info.newer_than(best):
            best = info
    in_force = ca.current
    if best is not None:
        if in_force is None or best.newer_than(in_force):
            report.file = str(_write_crl(store, ca, best.crl))
            report.updated = True
            in_force = best
        elif in_force.newer_than(best):
            report.errors.append("загруженный CRL старше установленного — оставлен установленный")
        report.status = FRESH if in_force.next_update and in_force.next_update > moment else STALE
    elif invalid:
        report.status = INVALID
    if in_force is not None:
        report.this_update, report.next_update = in_force.this_update, in_force.next_update
        report.file = report.file or (str(ca.current_file) if ca.current_file else None)
    if report.status != FRESH:
        log.warning("CRL of %s: %s (%s)", ca.name, report.status, "; ".join(report.errors[:3]))
    return report


def _write_crl(store: Path, ca: _Ca, crl: asn1_crl.CertificateList) -> Path:
    if ca.current_file is not None:
        target = ca.current_file
    else:
        digest = hashlib.sha1(ca.key[0] + ca.key[1]).hexdigest()[:20]
        (store / "crl").mkdir(exist_ok=True)
        target = store / "crl" / f"{digest}.crl"
    data = crl.dump()
    if target.exists() and target.read_bytes()[:5] == b"-----":  # keep an operator's PEM as PEM
        from asn1crypto import pem

        data = pem.armor("X509 CRL", data)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)
    return target
