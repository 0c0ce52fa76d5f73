"""The trust store's description of itself: which official list built it, and its CAs.

``tsl.json`` in the store directory is written by ``registry trust import-tsl``::

    {"format": 1, "version": 1234, "date": "2026-11-30T12:00:00+03:00", "imported_at": …,
     "source": "https://…/TSL.xml", "head_roots": [{"subject", "sha256", "file"}],
     "cas": [{"name", "short_name", "inn", "ogrn", "status", "periods": [{"status", "from",
              "to"}], "crl_urls": [...], "certificates": [{"sha256", "sha1", "subject",
              "issuer", "serial", "not_before", "not_after", "key_id", "file"}]}],
     "skipped": [{"ca", "reason"}]}
"""

from __future__ import annotations

import json
import os
from pathlib import Path

METADATA_FILE = "tsl.json"
METADATA_FORMAT = 1
# Past this a metadata file is not something import-tsl wrote.
MAX_METADATA_BYTES = 256 * 1024 * 1024


def read_metadata(store: str | os.PathLike) -> dict | None:
    """The metadata of a trust-store directory, or None for a store not built from a list."""
    path = Path(store) / METADATA_FILE
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"{path} is too large ({size} bytes)")
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != METADATA_FORMAT:
        raise ValueError(f"{path} is not trust-store metadata of format {METADATA_FORMAT}")
    return data


def write_json_atomic(path: Path, data: object) -> None:
    """Write JSON to ``path`` through a temporary file renamed over it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(json.dumps(data, ensure_ascii=False, indent=1, default=str).encode())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
