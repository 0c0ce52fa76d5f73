"""A registry of powers of attorney speaking the protocol of registry/mchd/provider.py, on
127.0.0.1 in a thread of the test process."""

from __future__ import annotations

import base64
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Registry:
    """What the server knows: number -> (status, xml, sig, extra); ``down`` answers 503,
    ``slow`` sleeps that many seconds first. ``requests`` lists (path, query, headers)."""

    def __init__(self):
        self.entries: dict[str, dict] = {}
        self.down = False
        self.slow = 0.0
        self.requests: list[tuple[str, dict, dict]] = []

    def add(self, number: str, xml: bytes, sig: bytes, *, inn: str, status: str = "active",
            **extra) -> None:
        self.entries[number] = {"status": status, "inn": inn, "number": number,
                                "xml": base64.b64encode(xml).decode(),
                                "signature": base64.b64encode(sig).decode(), **extra}


@contextmanager
def registry_server():
    registry = Registry()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, body: dict | None = None) -> None:
            data = json.dumps(body or {}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout case)

        def do_GET(self):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            registry.requests.append((url.path, query, dict(self.headers)))
            if registry.slow:
                time.sleep(registry.slow)
            if registry.down:
                return self._send(503, {"error": "maintenance"})
            number = url.path.rsplit("/", 1)[-1]
            if url.path == "/emchd/check-status":  # the address an МЧД names in СведСист
                number = query.get("guid") or query.get("number") or ""
            entry = registry.entries.get(number)
            if not url.path.startswith(("/mchd/", "/emchd/check-status")) or entry is None \
                    or entry["inn"] != query.get("inn"):
                return self._send(404, {"status": "not_found"})
            body = {k: v for k, v in entry.items() if k != "inn"}
            return self._send(200, body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        registry.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
        yield registry
    finally:
        server.shutdown()
        server.server_close()
