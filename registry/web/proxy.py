"""Trust what a reverse proxy says only when the request really comes from that proxy.

nginx terminates TLS and passes the client certificate in ``X-SSL-Client-Cert`` and the client
address in ``X-Forwarded-For``. Anyone can send those headers, so they are honoured only when
the TCP peer is one of ``REGISTRY_TRUSTED_PROXIES``; from anyone else they are dropped (the
certificate header with a warning in the log). The certificate ends up in the environ key
``SSL_CLIENT_CERT``, the same key the built-in HTTPS server fills from its own TLS connection.
"""

from __future__ import annotations

import ipaddress
import logging

from ..core.web import CERT_ENVIRON_KEY  # noqa: F401  (the environ key of the certificate)

log = logging.getLogger("registry.proxy")

CERT_HEADER_KEY = "HTTP_X_SSL_CLIENT_CERT"
# Set by the built-in HTTPS server: the certificate came from its own TLS handshake, so no
# header may replace it.
DIRECT_TLS_KEY = "registry.direct_tls"
PEER_ADDR_KEY = "registry.peer_addr"


class TrustedProxyMiddleware:
    """WSGI middleware applying the proxy headers of trusted peers and dropping all others."""

    def __init__(self, app, networks):
        self.app = app
        self.networks = tuple(networks)

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

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR")
        environ[PEER_ADDR_KEY] = peer
        header_cert = environ.pop(CERT_HEADER_KEY, None)
        forwarded_for = environ.pop("HTTP_X_FORWARDED_FOR", None)
        forwarded_proto = environ.pop("HTTP_X_FORWARDED_PROTO", None)

        if environ.get(DIRECT_TLS_KEY):
            if header_cert:
                log.warning("ignored X-SSL-Client-Cert sent by the client %s over direct TLS",
                            peer)
        elif self.is_trusted(peer):
            environ.pop(CERT_ENVIRON_KEY, None)
            if header_cert:
                environ[CERT_ENVIRON_KEY] = header_cert
            if forwarded_for:
                client = self._client_addr(forwarded_for)
                if client:
                    environ["REMOTE_ADDR"] = client
            if forwarded_proto in ("http", "https"):
                environ["wsgi.url_scheme"] = forwarded_proto
        elif header_cert:
            log.warning("ignored X-SSL-Client-Cert from %s: not in REGISTRY_TRUSTED_PROXIES", peer)
        return self.app(environ, start_response)


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
