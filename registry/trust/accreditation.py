"""Accreditation periods of the CAs of the official list, checked against a validation time.

A CA is trusted for a decision at time ``t`` only if the list says its accreditation was in
force («Действует») at ``t``: sign-in uses now, a document signature the time of signing.
Certificates that are not in the list (the head roots) are not judged here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from cachetools import LRUCache

from ..pki.validation import Memo

ACTIVE = "Действует"
STATUSES = ("Действует", "Приостановлена", "Прекращена", "Аннулирована")


@dataclass(frozen=True)
class Period:
    status: str
    start: datetime | None
    end: datetime | None  # exclusive; None = still in force

    def covers(self, moment: datetime) -> bool:
        return (self.start is None or self.start <= moment) and (
            self.end is None or moment < self.end
        )


@dataclass(frozen=True)
class AccreditedCa:
    name: str
    short_name: str
    inn: str
    ogrn: str
    status: str
    periods: tuple[Period, ...]

    @property
    def title(self) -> str:
        return self.short_name or self.name

    def status_at(self, moment: datetime) -> str | None:
        """The accreditation status at ``moment``; None when the list says nothing about it."""
        for period in self.periods:
            if period.covers(moment):
                return period.status
        return None


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def ca_from_metadata(item: dict) -> AccreditedCa:
    periods = tuple(
        Period(p["status"], parse_time(p.get("from")), parse_time(p.get("to")))
        for p in item.get("periods", [])
    )
    return AccreditedCa(
        item.get("name", ""),
        item.get("short_name", ""),
        item.get("inn", ""),
        item.get("ogrn", ""),
        item.get("status", ""),
        periods,
    )


class AccreditationIndex:
    """CA certificates of the list by SHA-256 fingerprint, with their CA's accreditation."""

    def __init__(
        self,
        by_fingerprint: dict[str, AccreditedCa],
        version: str | None = None,
        date: str | None = None,
    ):
        self.by_fingerprint = by_fingerprint
        # Key identifiers of the listed certificates: another certificate of the same CA key
        # (re-issued, or sent along with a signature) is judged like the listed one.
        self.by_key_id: dict[str, AccreditedCa] = {}
        self.version = version
        self.date = date

    @classmethod
    def empty(cls) -> AccreditationIndex:
        return cls({})

    @classmethod
    def from_metadata(cls, metadata: dict | None) -> AccreditationIndex:
        if not metadata:
            return cls.empty()
        index: dict[str, AccreditedCa] = {}
        keys: dict[str, AccreditedCa] = {}
        for item in metadata.get("cas", []):
            ca = ca_from_metadata(item)
            for cert in item.get("certificates", []):
                index[cert["sha256"].lower()] = ca
                if cert.get("key_id"):
                    keys[cert["key_id"].lower()] = ca
        made = cls(index, str(metadata.get("version")), metadata.get("date"))
        made.by_key_id = keys
        return made

    def __bool__(self) -> bool:
        return bool(self.by_fingerprint)

    def lookup(self, cert) -> AccreditedCa | None:
        """The listed CA of a certificate: by fingerprint, else by its key identifier."""
        ca = self.by_fingerprint.get(cert.fingerprint.lower())
        if ca is None and not cert.is_self_signed:
            key_id = cert.asn1.key_identifier
            ca = self.by_key_id.get(key_id.hex()) if key_id else None
        return ca

    def problem(self, certs, moment: datetime) -> tuple[AccreditedCa, str | None] | None:
        """The first CA of the path (issuer first) not accredited at ``moment``, with its status."""
        for cert in certs:
            ca = self.lookup(cert)
            if ca is None:
                continue
            status = ca.status_at(moment)
            if status != ACTIVE:
                return ca, status
        return None


# Indexes by trust-store id, so that code given only a TrustStore (document signatures) finds
# the accreditation of the store it was given.
_INDEXES: Memo[AccreditationIndex] = Memo(LRUCache(maxsize=16))


def register_index(store_id: str, index: AccreditationIndex) -> None:
    _INDEXES.put(store_id, index)


def index_for(store_id: str) -> AccreditationIndex | None:
    return _INDEXES.get(store_id)
