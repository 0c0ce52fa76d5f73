"""Flask's signed cookie session, without re-verifying the same cookie on every request.

A signed-in browser sends the same cookie with every page; verifying it (key derivation, HMAC,
base64, JSON) was a measurable part of a page's CPU. A cookie that verified once is remembered
in a bounded LRU keyed by its exact text together with the keys it verified with; its age is
still checked against the session lifetime on every request, exactly as itsdangerous does. Only
sessions whose values are immutable scalars are remembered (each request gets its own copy of
the dict, so nothing a request changes can leak into the next). What the cookie names is still
checked on the server on every request (``registry.auth``: the server-side session row).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

_IMMUTABLE = (str, int, float, bool, type(None))


class CachedCookieSessionInterface(SecureCookieSessionInterface):
    """The standard cookie session; a cookie already verified is not verified again."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._verified: OrderedDict[tuple, tuple[dict, float]] = OrderedDict()
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def _keys(self, app: Flask) -> tuple:
        return (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = self._keys(app)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            assert serializer is not None
            with self._lock:
                if len(self._serializers) > 8:  # keys rotated many times: start over
                    self._serializers.clear()
                self._serializers[keys] = serializer
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (val, self._keys(app))
        with self._lock:
            hit = self._verified.get(key)
            if hit is not None:
                self._verified.move_to_end(key)
        if hit is not None:
            data, signed_at = hit
            age = time.time() - signed_at
            if 0 <= age <= max_age:
                return self.session_class(data)
            with self._lock:
                self._verified.pop(key, None)
        try:
            data, stamp = serializer.loads(val, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(isinstance(v, _IMMUTABLE) for v in data.values()):
            with self._lock:
                self._verified[key] = (dict(data), stamp.timestamp())
                while len(self._verified) > self.size:
                    self._verified.popitem(last=False)
        return self.session_class(data)
