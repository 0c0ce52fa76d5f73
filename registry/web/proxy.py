"""Trust what a reverse proxy says only when the request really comes from that proxy.

nginx terminates TLS and passes the client certificate in ``X-SSL-Client-Cert`` and the client
address in ``X-Forwarded-For``. Anyone who can reach the application can send those headers, so
they are honoured only on a channel that only nginx can use (``REGISTRY_TRUSTED_PROXIES``):

* ``unix`` — the request arrived on gunicorn's unix socket, whose directory and file permissions
  let only nginx connect (deploy/gunicorn.conf.py). This is the shipped set-up.
* addresses/CIDRs — a TCP peer among them, and only if the request also carries
  ``X-Registry-Proxy-Secret`` equal to ``REGISTRY_PROXY_SECRET``, which nginx adds from a file
  only it can read. A listed address alone proves nothing: every process on the host can
  connect from 127.0.0.1. Across hosts the TCP hop is also mutual TLS (deploy/README.md).

From anywhere else the headers are dropped, the certificate header with a warning in the log.
The certificate ends up in the environ key ``SSL_CLIENT_CERT``, the same key the built-in HTTPS
server fills from its own TLS connection.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import socket

from ..core.web import CERT_ENVIRON_KEY

log = logging.getLogger("registry.proxy")

CERT_HEADER_KEY = "HTTP_X_SSL_CLIENT_CERT"
SECRET_HEADER_KEY = "HTTP_X_REGISTRY_PROXY_SECRET"
# Set by the built-in HTTPS server: the certificate came from its own TLS connection, so no
# header may replace it.
DIRECT_TLS_KEY = "registry.direct_tls"
PEER_ADDR_KEY = "registry.peer_addr"
UNIX_CHANNEL = "unix"


def wants_unix_channel(value: str) -> bool:
    """Whether ``REGISTRY_TRUSTED_PROXIES`` names the unix-socket channel."""
    return UNIX_CHANNEL in [v.lower() for v in value.replace(",", " ").split()]


def on_unix_socket(environ) -> bool:
    """Whether the request came over a unix socket (gunicorn's socket, or a server that leaves
    REMOTE_ADDR empty for one)."""
    sock = environ.get("gunicorn.socket")
    family = getattr(sock, "family", None)
    if family is not None:
        return family == socket.AF_UNIX
    return environ.get("REMOTE_ADDR", None) == "" and not environ.get("REMOTE_PORT")


class TrustedProxyMiddleware:
    """WSGI middleware applying the proxy headers of the sealed channel and dropping all others."""

    def __init__(self, app, networks, *, unix: bool = False, secret: str = ""):
        self.app = app
        self.networks = tuple(networks)
        self.unix = unix
        self.secret = secret.encode() if secret else b""
        if self.networks and not self.secret:
            log.warning("REGISTRY_TRUSTED_PROXIES lists addresses but REGISTRY_PROXY_SECRET is "
                        "empty: X-SSL-Client-Cert over TCP will be ignored")

    def is_trusted(self, addr: str | None) -> bool:
        if not addr or not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(addr.split("%", 1)[0])
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def _client_addr(self, forwarded_for: str) -> str | None:
        # Walk from the right: the last address not belonging to a trusted proxy is the client;
        # anything left of it was written by the client itself.
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.is_trusted(hop):
                return hop if _valid_ip(hop) else None
        return hops[0] if hops and _valid_ip(hops[0]) else None

    def _channel(self, environ, peer: str | None, secret: str | None) -> str | None:
        """Why this request may be believed ("unix", "secret"), or None."""
        if on_unix_socket(environ):
            return UNIX_CHANNEL if self.unix else None
        if self.is_trusted(peer) and self.secret and secret is not None \
                and hmac.compare_digest(secret.encode("utf-8", "surrogateescape"), self.secret):
            return "secret"
        return None

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR")
        environ[PEER_ADDR_KEY] = peer
        header_cert = environ.pop(CERT_HEADER_KEY, None)
        secret = environ.pop(SECRET_HEADER_KEY, None)
        forwarded_for = environ.pop("HTTP_X_FORWARDED_FOR", None)
        forwarded_proto = environ.pop("HTTP_X_FORWARDED_PROTO", None)

        if environ.get(DIRECT_TLS_KEY):
            if header_cert:
                log.warning("ignored X-SSL-Client-Cert sent by the client %s over direct TLS",
                            peer)
        elif self._channel(environ, peer, secret):
            environ.pop(CERT_ENVIRON_KEY, None)
            if header_cert:
                environ[CERT_ENVIRON_KEY] = header_cert
            if forwarded_for:
                client = self._client_addr(forwarded_for)
                if client:
                    environ["REMOTE_ADDR"] = client
            if forwarded_proto in ("http", "https"):
                environ["wsgi.url_scheme"] = forwarded_proto
        else:
            environ.pop(CERT_ENVIRON_KEY, None)
            if header_cert:
                where = "the unix socket" if on_unix_socket(environ) else peer
                why = ("not a trusted channel" if not self.is_trusted(peer)
                       else "no valid X-Registry-Proxy-Secret")
                log.warning("ignored X-SSL-Client-Cert from %s: %s (REGISTRY_TRUSTED_PROXIES)",
                            where, why)
        return self.app(environ, start_response)


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
