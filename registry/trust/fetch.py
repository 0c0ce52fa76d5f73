"""HTTP downloads of lists and CRLs: a total deadline, a size limit and a few retries."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

USER_AGENT = "registry-trust/1"
CHUNK = 64 * 1024


class FetchError(Exception):
    """A download failed; ``kind`` is "unreachable" (no answer, HTTP error) or "too_large"."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class FetchLimits:
    timeout: float = 10.0  # seconds for one attempt, connecting and reading included
    max_bytes: int = 50 * 1024 * 1024
    retries: int = 2  # extra attempts after a failure worth retrying
    backoff: float = 0.5  # seconds before the first retry, doubled each time


_OPENER = urllib.request.build_opener()


def http_get(url: str, limits: FetchLimits = FetchLimits()) -> bytes:
    """The body of ``url`` (http or https only); raises :class:`FetchError`."""
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError("unreachable", f"адрес не HTTP: {url[:200]}")
    delay = limits.backoff
    last: FetchError | None = None
    for attempt in range(limits.retries + 1):
        try:
            return _get_once(url, limits)
        except FetchError as exc:
            last = exc
            if exc.kind == "too_large" or getattr(exc, "final", False):
                raise
        if attempt < limits.retries:
            time.sleep(delay)
            delay *= 2
    assert last is not None
    raise last


def _get_once(url: str, limits: FetchLimits) -> bytes:
    deadline = time.monotonic() + limits.timeout
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with _OPENER.open(request, timeout=limits.timeout) as response:
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > limits.max_bytes:
                raise FetchError("too_large", f"{url}: {length} байт, предел {limits.max_bytes}")
            parts, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise FetchError("unreachable", f"{url}: время ожидания истекло")
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limits.max_bytes:
                    raise FetchError("too_large", f"{url}: больше {limits.max_bytes} байт")
                parts.append(chunk)
            return b"".join(parts)
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        error = FetchError("unreachable", f"{url}: HTTP {exc.code}")
        # A client error will not change on retry; a server error may.
        error.final = 400 <= exc.code < 500  # type: ignore[attr-defined]
        raise error from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError("unreachable", f"{url}: {reason}") from None
