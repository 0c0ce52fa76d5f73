"""What the operator sees about trust: the list, every CA's accreditation and CRL, problems.

Built from the trust store already in memory (no file is re-read but the last refresh's
small state file) and cached per store content, so the console and /healthz stay cheap with
hundreds of CAs.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from cachetools import LRUCache

from ..pki import TrustStore
from ..pki.validation import Memo
from .accreditation import ACTIVE
from .crl import issued_by
from .refresh import last_refresh, state_path
from .store import display_name

WARN_BEFORE = timedelta(hours=24)
MOSCOW = timezone(timedelta(hours=3))
# The last report: recomputed when the store, the refresh state or the minute changes.
_CACHE: Memo[dict] = Memo(LRUCache(maxsize=1))


def _msk(value: datetime | None) -> str:
    return value.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M МСК") if value else "—"


def trust_status(holder=None, now: datetime | None = None) -> dict:
    """The trust report of the current application (or of ``holder``)."""
    if holder is None:
        from .store import holder as current_holder

        holder = current_holder()
    store: TrustStore = holder.get()
    try:
        state_mtime = os.stat(state_path(holder.path)).st_mtime_ns
    except OSError:
        state_mtime = 0
    moment = now or datetime.now(timezone.utc)
    # Recomputed at least every minute, so "expires soon" follows the clock.
    key = (store.id, state_mtime, id(holder), int(moment.timestamp() // 60))
    report = _CACHE.get(key)
    if report is None:
        from .decision import revocation_options

        report = _build(holder, store, moment, revocation_options()[1])
        _CACHE.put(key, report)
    return {**report, "gost_engine": _engine()}


def _engine() -> dict:
    """The GOST engine's state (outside the cache: the environment may change it)."""
    from ..pki.gost_engine import engine_status

    status = engine_status()
    return {"loaded": status.loaded, "backend": status.backend,
            "description": status.description, "warning": status.warning}


def _build(holder, store: TrustStore, moment: datetime, grace: timedelta | None) -> dict:
    metadata = holder.metadata
    index = holder.accreditation
    refresh = last_refresh(holder.path) or {}
    by_key = {(r.get("subject"), r.get("key_id")): r for r in refresh.get("reports", [])}
    groups: dict[tuple, list] = {}
    for cert in (*store.roots, *store.intermediates):
        if cert.is_ca:
            groups.setdefault((cert.asn1.subject.dump(), cert.asn1.key_identifier), []).append(cert)
    cas = []
    for certs in groups.values():
        first = certs[0]
        # Looked up as the trust decision looks a chain's CA up (fingerprint, else key id), so
        # the console says «accredited» exactly when a sign-in through this CA is allowed.
        listed = next((ca for ca in map(index.lookup, certs) if ca is not None), None)
        crl = None
        for item in store.crls:
            if issued_by(item, first):
                this = item["tbs_cert_list"]["this_update"].native
                if crl is None or this > crl["tbs_cert_list"]["this_update"].native:
                    crl = item
        this_update = crl["tbs_cert_list"]["this_update"].native if crl is not None else None
        next_update = crl["tbs_cert_list"]["next_update"].native if crl is not None else None
        if crl is None:
            state = "none"
        elif next_update is None or next_update <= moment:
            overdue = moment - next_update if next_update is not None else None
            state = "grace" if grace and overdue is not None and overdue <= grace else "stale"
        elif next_update - moment < WARN_BEFORE:
            state = "expiring"
        else:
            state = "fresh"
        key_id = (first.asn1.key_identifier or b"").hex()
        last = by_key.get((first.subject, key_id))
        name = listed.title if listed else display_name(first)
        cas.append(
            {
                "name": name,
                "subject": first.subject,
                "key_id": key_id,
                "root": first.is_self_signed,
                "listed": listed is not None,
                "accreditation": (listed.status_at(moment) or "нет сведений") if listed else None,
                "accredited": (listed.status_at(moment) == ACTIVE) if listed else None,
                "inn": listed.inn if listed else None,
                "ogrn": listed.ogrn if listed else None,
                "crl_state": state,
                "this_update": this_update.isoformat() if this_update else None,
                "next_update": next_update.isoformat() if next_update else None,
                "next_update_text": _msk(next_update),
                "this_update_text": _msk(this_update),
                "crl_age_hours": round((moment - this_update).total_seconds() / 3600, 1)
                if this_update
                else None,
                "last_refresh": last.get("status") if last else None,
                "last_refresh_errors": (last.get("errors") or [])[:3] if last else [],
            }
        )
    cas.sort(key=lambda c: (c["crl_state"] == "fresh", not c["root"], c["name"].lower()))
    tsl = None
    if metadata:
        tsl = {
            "version": metadata.get("version"),
            "date": metadata.get("date"),
            "imported_at": metadata.get("imported_at"),
            "source": metadata.get("source"),
            "cas": len(metadata.get("cas", [])),
            "signer": (metadata.get("signature") or {}).get("subject"),
            "date_text": _msk(datetime.fromisoformat(metadata["date"]))
            if metadata.get("date")
            else "—",
        }
    return {
        "tsl": tsl,
        "cas": cas,
        "problems": [{"path": p.path, "error": p.message} for p in holder.problems],
        "last_refresh": {
            "started_at": refresh.get("started_at"),
            "finished_at": refresh.get("finished_at"),
            "finished_text": _msk(datetime.fromisoformat(refresh["finished_at"]))
            if refresh.get("finished_at")
            else "—",
        }
        if refresh
        else None,
        "counts": {
            state: sum(1 for c in cas if c["crl_state"] == state)
            for state in ("fresh", "expiring", "grace", "stale", "none")
        },
    }
