"""Built-in HTTPS server for development and the demo: asks every client for a certificate.

Python's ``ssl`` module cannot request a client certificate without also verifying it against
CA files, which would turn an untrusted or expired certificate into a TLS error instead of the
application's explanation page. pyOpenSSL can: the verify callback accepts anything, and the
application (``registry.pki``) decides. The certificate reaches the application in the WSGI
environ (``SSL_CLIENT_CERT``, PEM), never through a header.
"""

from __future__ import annotations

import io
import logging
import socket
import struct
import threading

from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from .proxy import DIRECT_TLS_KEY

log = logging.getLogger("registry.server")

# A connection idle this long is closed, so keep-alive clients cannot pin threads forever.
IDLE_SECONDS = 60


def make_tls_context(cert_file: str, key_file: str) -> SSL.Context:
    """A server TLS context that requests a client certificate and accepts whatever comes."""
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    ctx.use_certificate_chain_file(cert_file)
    ctx.use_privatekey_file(key_file)
    ctx.check_privatekey()
    # Accept any certificate at the TLS layer; possession of the key is still proven by the
    # handshake (CertificateVerify). Whether it is trusted is the application's decision.
    ctx.set_verify(SSL.VERIFY_PEER, lambda conn, cert, errno, depth, ok: True)
    # Required for session resumption once peer verification is on.
    ctx.set_session_id(b"registry")
    return ctx


class _TLSReader(io.RawIOBase):
    def __init__(self, conn: _TLSSocket):
        self._conn = conn

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._conn.recv_into(buffer)


class _TLSWriter(io.RawIOBase):
    def __init__(self, conn: _TLSSocket):
        self._conn = conn

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._conn.sendall(bytes(data))
        return len(data)


class _TLSSocket:
    """The socket-like surface socketserver and werkzeug need, over a pyOpenSSL connection."""

    def __init__(self, conn: SSL.Connection, sock: socket.socket):
        self._conn = conn
        self._sock = sock

    def fileno(self) -> int:
        return self._sock.fileno()

    def settimeout(self, value) -> None:
        # pyOpenSSL needs a blocking socket; a receive timeout gives the same protection.
        secs = int(value or 0)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", secs, 0))

    def setsockopt(self, *args) -> None:
        self._sock.setsockopt(*args)

    def getsockname(self):
        return self._sock.getsockname()

    def recv_into(self, buffer) -> int:
        try:
            return self._conn.recv_into(buffer)
        except (SSL.ZeroReturnError, SSL.SysCallError):
            return 0  # the client closed the connection or timed out
        except SSL.Error as exc:
            raise ConnectionResetError(f"TLS error: {exc}") from None

    def sendall(self, data: bytes) -> None:
        try:
            self._conn.sendall(data)
        except SSL.Error as exc:
            raise ConnectionResetError(f"TLS error: {exc}") from None

    def makefile(self, mode: str = "rb", buffering: int = -1):
        if "r" in mode:
            return io.BufferedReader(_TLSReader(self))
        return io.BufferedWriter(_TLSWriter(self))

    def getpeercert(self, binary_form: bool = False):
        cert = self._conn.get_peer_certificate(as_cryptography=True)
        if cert is None:
            return None
        return cert.public_bytes(Encoding.DER)

    def shutdown(self, how) -> None:
        try:
            self._conn.shutdown()
        except SSL.Error:
            pass
        try:
            self._sock.shutdown(how)
        except OSError:
            pass

    def close(self) -> None:
        self._sock.close()


class CertificateRequestHandler(WSGIRequestHandler):
    timeout = IDLE_SECONDS

    def make_environ(self):
        # werkzeug fills SSL_CLIENT_CERT (core.web.CERT_ENVIRON_KEY) from getpeercert().
        environ = super().make_environ()
        environ[DIRECT_TLS_KEY] = True
        return environ

    def log_request(self, code="-", size="-"):
        log.info('%s "%s" %s', self.address_string(), self.requestline, code)

    def log_error(self, format, *args):
        log.debug("%s " + format, self.address_string(), *args)


class HTTPSServer(ThreadedWSGIServer):
    """Threaded WSGI server doing its own TLS with pyOpenSSL (handshake in the worker thread)."""

    def __init__(self, host: str, port: int, app, tls_context: SSL.Context):
        super().__init__(host, port, app, handler=CertificateRequestHandler)
        # werkzeug only checks this for "is it HTTPS" (wsgi.url_scheme, startup banner).
        self.ssl_context = tls_context
        self.tls_context = tls_context

    def get_request(self):
        sock, addr = self.socket.accept()
        conn = SSL.Connection(self.tls_context, sock)
        conn.set_accept_state()
        return _TLSSocket(conn, sock), addr

    def handle_error(self, request, client_address):
        log.debug("connection from %s failed", client_address, exc_info=True)


def make_server(app, host: str, port: int, cert_file: str, key_file: str) -> HTTPSServer:
    """Create (bind) the built-in HTTPS server; call ``serve_forever()`` or use ``start()``."""
    return HTTPSServer(host, port, app, make_tls_context(cert_file, key_file))


def start(server: HTTPSServer) -> threading.Thread:
    """Serve in a daemon thread (tests); stop with ``server.shutdown()``."""
    thread = threading.Thread(target=server.serve_forever, name="registry-https", daemon=True)
    thread.start()
    return thread

