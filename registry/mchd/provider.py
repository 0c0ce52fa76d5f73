"""Looking up an МЧД in a registry of powers of attorney (``REGISTRY_MCHD_PROVIDER_URL``).

The protocol (JSON over HTTP)::

    GET {URL}/mchd/{number}?inn={principal ИНН}
    Accept: application/json
    Authorization: Bearer {REGISTRY_MCHD_PROVIDER_TOKEN}      (when configured)

    200 {"status": "active", "number": "…", "file_name": "….xml",
         "xml": "<base64 of the XML>", "signature": "<base64 of the detached CMS>"}
    200 {"status": "revoked", "number": "…", "revoked_at": "2026-11-30T10:00:00Z",
         "reason": "…", "xml": …, "signature": …}                (xml and signature optional)
    404 {"status": "not_found"}

Anything else — a network error, a timeout, a 5xx, an answer that is not this JSON — means the
registry is *unavailable*: that is never taken for "revoked".
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from . import messages

FOUND = "found"
REVOKED = "revoked"
NOT_FOUND = "not_found"
UNAVAILABLE = "unavailable"
NOT_CONFIGURED = "not_configured"
MAX_ANSWER_BYTES = 4 * 1024 * 1024


@dataclass
class Lookup:
    """The registry's answer about one МЧД."""

    status: str
    xml: bytes | None = None
    signature: bytes | None = None
    file_name: str | None = None
    revoked_at: datetime | None = None
    reason: str | None = None
    error: str | None = None  # why unavailable, in Russian

    @property
    def revoked_text(self) -> str:
        """«revoked: <local date>» for :class:`registry.mchd.verify.Context`."""
        if self.revoked_at is None:
            return "revoked"
        from ..core import clock

        return f"revoked: {clock.local(self.revoked_at):%d.%m.%Y}"


def configured() -> bool:
    return bool(current_app.config.get("REGISTRY_MCHD_PROVIDER_URL"))


def _b64(value) -> bytes | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("not base64")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc


def _moment(value) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def lookup(number: str, principal_inn: str) -> Lookup:
    """Ask the configured registry about МЧД ``number`` of the principal ``principal_inn``."""
    base = str(current_app.config.get("REGISTRY_MCHD_PROVIDER_URL") or "")
    if not base:
        return Lookup(NOT_CONFIGURED, error="реестр доверенностей не настроен")
    url = (f"{base.rstrip('/')}/mchd/{urllib.parse.quote(number.strip(), safe='')}"
           f"?{urllib.parse.urlencode({'inn': principal_inn.strip()})}")
    return _ask(url, str(current_app.config.get("REGISTRY_MCHD_PROVIDER_TOKEN") or ""))


def _ask(url: str, token: str = "", *, need_files: bool = True) -> Lookup:
    timeout = float(current_app.config.get("REGISTRY_MCHD_PROVIDER_TIMEOUT") or 5)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            return Lookup(NOT_FOUND)
        return Lookup(UNAVAILABLE, error=f"реестр доверенностей ответил ошибкой {exc.code}")
    except TimeoutError:
        return Lookup(UNAVAILABLE, error=f"реестр доверенностей не ответил за {timeout:g} с")
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            return Lookup(UNAVAILABLE, error=f"реестр доверенностей не ответил за {timeout:g} с")
        return Lookup(UNAVAILABLE, error=f"реестр доверенностей недоступен ({exc.reason})")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Lookup(UNAVAILABLE, error=f"реестр доверенностей недоступен ({exc})")
    if len(raw) > MAX_ANSWER_BYTES:
        return Lookup(UNAVAILABLE, error="ответ реестра доверенностей слишком большой")
    return _answer(raw, need_files)


def status_hosts() -> set[str]:
    """Hosts whose addresses in ``СведСист`` may be asked (``REGISTRY_MCHD_STATUS_HOSTS``)."""
    value = current_app.config.get("REGISTRY_MCHD_STATUS_HOSTS") or ""
    items = value if isinstance(value, (list, tuple, set)) else str(value).split(",")
    return {str(h).strip().lower() for h in items if str(h).strip()}


def status_refusal(address: str) -> str | None:
    """Why the address a document names is not asked (None: it may be). Only allowed hosts
    over HTTPS (or any scheme for a host of the list given with its port) are asked: the
    address comes from an uploaded file, and must not make the server call anywhere it says."""
    hosts = status_hosts()
    if not hosts:
        return messages.STATUS_OFF
    try:
        parts = urllib.parse.urlsplit(address)
        host = (parts.hostname or "").lower()
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "адрес проверки статуса в доверенности не является адресом"
    if parts.scheme not in ("https", "http") or not host:
        return "адрес проверки статуса в доверенности не является адресом HTTPS"
    if netloc not in hosts and not (parts.scheme == "https" and host in hosts):
        return f"адрес «{host}» не входит в список систем, которые разрешено спрашивать " \
               "(REGISTRY_MCHD_STATUS_HOSTS)"
    return None


def status_at(address: str, number: str, principal_inn: str) -> str | None:
    """For :class:`registry.mchd.verify.Context`: the status at the document's own check
    address (its ``СведСист``), in the protocol above: "revoked: …", None or "unknown: <why>"."""
    refusal = status_refusal(address)
    if refusal is not None:
        return f"unknown: {refusal}"
    parts = urllib.parse.urlsplit(address)
    query = urllib.parse.parse_qsl(parts.query)
    if not any(v == number for _k, v in query) and number not in parts.path:
        query.append(("number", number))
    query.append(("inn", principal_inn))
    found = _ask(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query))),
                 need_files=False)
    return _status_text(found)


def _status_text(found: Lookup) -> str | None:
    if found.status == REVOKED:
        return found.revoked_text
    if found.status == UNAVAILABLE:
        return f"unknown: {found.error}"
    if found.status == NOT_FOUND:
        return "unknown: доверенность не найдена в реестре доверенностей"
    return None


def _answer(raw: bytes, need_files: bool = True) -> Lookup:
    unreadable = Lookup(UNAVAILABLE, error="ответ реестра доверенностей не удалось прочитать")
    try:
        body = json.loads(raw.decode("utf-8"))
    except ValueError:
        return unreadable
    if not isinstance(body, dict):
        return unreadable
    status = body.get("status")
    try:
        xml, signature = _b64(body.get("xml")), _b64(body.get("signature"))
    except ValueError:
        return unreadable
    name = body.get("file_name") if isinstance(body.get("file_name"), str) else None
    if status == "active":
        if need_files and (xml is None or signature is None):
            return unreadable
        return Lookup(FOUND, xml=xml, signature=signature, file_name=name)
    if status == "revoked":
        reason = body.get("reason") if isinstance(body.get("reason"), str) else None
        return Lookup(REVOKED, xml=xml, signature=signature, file_name=name,
                      revoked_at=_moment(body.get("revoked_at")), reason=reason)
    if status == "not_found":
        return Lookup(NOT_FOUND)
    return unreadable


# -- what a check asks of the registry ---------------------------------------------------------
def parent_source(number: str, principal_inn: str) -> tuple[bytes, bytes] | None:
    """A parent power of attorney (XML, signature) from the registry, or None."""
    found = lookup(number, principal_inn)
    if found.xml is None or found.signature is None:
        return None
    return found.xml, found.signature


def revocation_status(number: str, principal_inn: str) -> str | None:
    """For :class:`registry.mchd.verify.Context`: "revoked: …", None (not revoked) or
    "unknown: <why>" — unavailable is not revoked."""
    return _status_text(lookup(number, principal_inn))


def check_context(parent_files=(), trust_store=None):
    """The :class:`registry.mchd.verify.Context` of the application: its trust store, the local
    ЕГРЮЛ, parents from ``parent_files`` ((XML, signature) pairs) then from the registry, and
    revocation through the registry when one is configured."""
    from . import document
    from .model import DocumentError
    from .verify import Context

    given: dict[str, tuple[bytes, bytes]] = {}
    for xml, signature in parent_files:
        try:
            given[document.read(xml).number] = (xml, signature)
        except DocumentError:
            continue  # an unreadable parent is reported as missing

    def parents(number: str, inn: str) -> tuple[bytes, bytes] | None:
        if number in given:
            return given[number]
        return parent_source(number, inn) if configured() else None

    return Context(trust_store=trust_store, parents=parents,
                   revocation=revocation_status if configured() else None,
                   status=status_at if status_hosts() else None,
                   status_off=messages.STATUS_OFF)
