"""CRLs as revocation data: which conform to RFC 5280 §5, which speak for a path, until when
a decision taken on them holds, and which stale ones the grace period lets count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator.path import ValidationPath

from ..store import TrustStore
from .cache import Caches
from .result import ValidationResult, describe

CrlIndex = dict[Any, list[tuple[asn1_crl.CertificateList, datetime | None]]]


def crl_problem(item: asn1_crl.CertificateList) -> str | None:
    """Why a CRL does not conform to RFC 5280 §5 and so cannot serve as revocation data."""
    try:
        if item["tbs_cert_list"]["version"].native != "v2":
            return "CRL version 1"
        if item.crl_number_value is None:
            return "no cRLNumber (RFC 5280 §5.2.3)"
        if "crl_number" in item.critical_extensions:
            return "critical cRLNumber (RFC 5280 §5.2.3)"
        if item["tbs_cert_list"]["next_update"].native is None:
            return "no nextUpdate (RFC 5280 §5.1.2.5)"
    except Exception as exc:  # an unreadable extension: unusable as revocation data
        return f"unreadable CRL ({type(exc).__name__})"
    return None


def crl_index(store: TrustStore, caches: Caches) -> CrlIndex:
    """The store's profile-conforming CRLs by issuer name, computed once per store content."""
    def build() -> CrlIndex:
        index: CrlIndex = {}
        for item in store.crls:
            if crl_problem(item) is None:
                tbs = item["tbs_cert_list"]
                index.setdefault(tbs["issuer"].hashable, []).append(
                    (item, tbs["next_update"].native))
        return index

    return caches.crl_index.get_or_make(store.id, build)


def usable_crls(store: TrustStore, caches: Caches) -> list[asn1_crl.CertificateList]:
    """The store's CRLs that can serve as revocation data."""
    return [item for items in crl_index(store, caches).values() for item, _d in items]


def crl_deadline(store: TrustStore, result: ValidationResult, now: datetime,
                 caches: Caches) -> datetime | None:
    """Earliest nextUpdate of the current CRLs issued by the CAs of this chain.

    Other CAs' CRLs do not matter, and neither do stale ones: a decision cached here did not
    rest on them (a status taken from OCSP instead is bounded by ``fresh_until``).
    """
    if not result.chain:  # a decision without a chain still depends on the store's CRLs
        return store.earliest_crl_update
    by_issuer = crl_index(store, caches)
    names = {c.asn1.subject.hashable for c in result.chain}
    dates = [d for name in names for _crl, d in by_issuer.get(name, ())
             if d is not None and d > now]
    return min(dates) if dates else None


def stale_within_grace(store: TrustStore, chain: Sequence[asn1_x509.Certificate],
                       moment: datetime, grace: timedelta, caches: Caches) -> list[dict[str, str]]:
    """CRLs of this chain's CAs past nextUpdate by no more than ``grace`` (issuer, nextUpdate)."""
    index = crl_index(store, caches)
    stale = []
    for ca in chain:
        entries = index.get(ca.subject.hashable, ())
        if any(d is not None and d >= moment for _c, d in entries):
            continue  # this CA has a fresh CRL
        recent = [d for _c, d in entries if d is not None and d < moment <= d + grace]
        if recent:
            stale.append({"issuer": describe(ca), "next_update": max(recent).isoformat()})
    return stale


def _crl_facts(item: Any, caches: Caches) -> tuple[Any, bool]:
    """A CRL's issuer name (comparable form) and whether it is an indirect CRL, remembered."""
    hit = caches.crl_facts.get(id(item))
    if hit is not None and hit[0] is item:
        return hit[1], hit[2]
    try:
        issuer = item["tbs_cert_list"]["issuer"].hashable
        idp = item.issuing_distribution_point_value
        indirect = bool(idp is not None and idp["indirect_crl"].native)
    except Exception:  # unreadable: let path validation see it and decide
        issuer, indirect = None, True
    caches.crl_facts.put(id(item), (item, issuer, indirect))
    return issuer, indirect


def crls_for_path(path: ValidationPath, crls: Sequence[Any], caches: Caches) -> list[Any]:
    """The CRLs that can speak for a certificate of ``path``: issued under the name of one of
    its issuers, named as cRLIssuer in a distribution point, or indirect. Path validation
    otherwise examines every CRL of the store for every certificate."""
    if len(crls) <= 2:
        return list(crls)
    names = set()
    for cert in path.iter_certs(include_root=False):
        names.add(cert.issuer.hashable)
        for point in cert.crl_distribution_points_value or ():
            for issuer in point["crl_issuer"] or ():
                if issuer.name == "directory_name":
                    names.add(issuer.chosen.hashable)
    kept = []
    for item in crls:
        issuer, indirect = _crl_facts(item, caches)
        if indirect or issuer is None or issuer in names:
            kept.append(item)
    return kept
