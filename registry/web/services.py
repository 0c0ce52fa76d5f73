"""Health of the running instance: database, trust store, CRL freshness."""

from __future__ import annotations

from sqlalchemy import text

from ..extensions import db
from ..trust import holder
from ..trust.status import trust_status


def health() -> tuple[dict, bool]:
    """Return the health report and whether the instance can serve requests.

    Only an unreachable database makes the instance unhealthy (load balancers should take it
    out). A missing trust store or a stale CRL is reported as "degraded": the instance still
    serves pages explaining the refusal, which is better than no page.
    """
    report: dict = {"status": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        report["database"] = {"status": "ok", "dialect": db.engine.dialect.name}
    except Exception as exc:  # report, do not raise: this is the health check
        db.session.rollback()
        report["database"] = {"status": "fail", "error": exc.__class__.__name__}
        report["status"] = "fail"

    h = holder()
    store = h.get()
    trust = {"status": "ok", "path": str(h.path), "roots": len(store.roots),
             "intermediates": len(store.intermediates), "crls": len(store.crls)}
    if h.error or not store.roots:
        trust["status"] = "fail"
        trust["error"] = h.error or "no trusted root certificates"
    details = trust_status(h)
    trust["tsl"] = ({"version": details["tsl"]["version"], "date": details["tsl"]["date"],
                     "cas": details["tsl"]["cas"]} if details["tsl"] else None)
    trust["problems"] = details["problems"][:20]
    trust["last_refresh"] = (details["last_refresh"] or {}).get("finished_at")
    trust["crl_counts"] = details["counts"]
    report["trust_store"] = trust

    crls = []
    for item in store.crl_status():
        crls.append({key: (value.isoformat() if hasattr(value, "isoformat") else value)
                     for key, value in item.items()})
    stale = [c for c in crls if not c.get("fresh")]
    report["crls"] = {"status": "stale" if stale else "ok", "items": crls}

    if report["status"] == "ok" and (trust["status"] != "ok" or stale):
        report["status"] = "degraded"
    return report, report["status"] != "fail"
