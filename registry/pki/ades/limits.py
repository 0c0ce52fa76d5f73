"""Bounds on the work one signature file may ask for (ETSI has none; a server needs them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Each bound is checked before the work it bounds; a file over one is refused with a message."""

    max_signature_bytes: int = 8 * 1024 * 1024  # CAdES-X Long with its CRLs: a few MB at most
    max_signers: int = 20
    max_counter_signatures: int = 10
    max_counter_depth: int = 2
    max_certificates: int = 50
    max_time_stamps: int = 4  # per signer and kind of time-stamp
    max_attribute_bytes: int = 4 * 1024 * 1024  # one unsigned attribute (revocation values)
    max_revocation_values: int = 64
    max_pdf_signatures: int = 10

    @classmethod
    def from_config(cls, config: dict | None) -> Limits:
        """Limits overridden by SIGNATURE_LIMITS = {"max_signers": ..., ...} in the configuration."""
        values = dict((config or {}).get("SIGNATURE_LIMITS") or {})
        return cls(**{k: int(v) for k, v in values.items() if k in cls.__dataclass_fields__})


class LimitExceeded(Exception):
    """A bound was hit; the message is Russian and names the bound."""
