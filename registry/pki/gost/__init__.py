"""GOST R 34.11-2012 (Streebog) hashing and GOST R 34.10-2012 signatures, two backends.

Used by X.509 path validation, the demo PKI builder and CMS verification::

    PARAMSETS: dict[str, ParamSet]        # short name -> ParamSet(name, oid, size)
        "tc26-256-A" (1.2.643.7.1.2.1.1.1),
        "tc26-256-B", "tc26-256-C", "tc26-256-D" (= CryptoPro A/B/C, 1.2.643.2.2.35.1/2/3),
        "cp-xch-A", "cp-xch-B" (1.2.643.2.2.36.0/1; curves of CryptoPro A and C),
        "test-256" (1.2.643.2.2.35.0),
        "tc26-512-A", "tc26-512-B", "tc26-512-C" (1.2.643.7.1.2.1.2.1/2/3),
        "test-512" (1.2.643.7.1.2.1.2.0),
        "tc26-256-B-tc26oid", "tc26-256-C-tc26oid", "tc26-256-D-tc26oid"
            (1.2.643.7.1.2.1.1.2/3/4: the TC26 OIDs of the CryptoPro A/B/C curves).
        Both backends support all of them (``GostBackend.paramsets`` says so at run time).
    SIGN_OID_256 = "1.2.643.7.1.1.3.2"; SIGN_OID_512 = "1.2.643.7.1.1.3.3"
    KEY_OID_256  = "1.2.643.7.1.1.1.1"; KEY_OID_512  = "1.2.643.7.1.1.1.2"
    DIGEST_OID_256 = "1.2.643.7.1.1.2.2"; DIGEST_OID_512 = "1.2.643.7.1.1.2.3"

    backend() -> GostBackend              # the active one: OpenSSL engine if loadable, else pure;
                                          # REGISTRY_GOST_BACKEND=openssl|pure forces one
    available_backends() -> list[GostBackend]   # loadable ones, preferred first
    get_backend(name) -> GostBackend      # "openssl" | "pure"; raises GostUnavailable

    class GostBackend:
        name: str                          # "openssl" or "pure"
        description: str                   # e.g. "OpenSSL 3.0.19 + gost engine (libcrypto.so.3)"
        paramsets: frozenset[str]          # PARAMSETS names it can use
        def streebog256(data: bytes) -> bytes
        def streebog512(data: bytes) -> bytes
        def verify(spki_der: bytes, data: bytes, signature: bytes) -> bool
            # spki_der: DER SubjectPublicKeyInfo of a GOST R 34.10-2012 256/512 key (as in a cert);
            # data: the signed bytes (e.g. TBSCertificate DER); hash = Streebog of the key size;
            # signature: as carried in X.509 / CMS (s || r, big-endian, 64 or 128 bytes).
            # Returns False for a wrong signature (also for a wrong length);
            # raises GostError for an unusable key (malformed, unknown curve, point off the curve).
        def sign(key: GostPrivateKey, data: bytes) -> bytes    # same format as verify takes
        def verify_digest(spki_der, digest, signature) -> bool  # for a precomputed Streebog digest
        def sign_digest(key, digest) -> bytes
        def public_key_info(key: GostPrivateKey) -> bytes       # Q = dG computed by this backend

    generate_private_key(paramset="tc26-256-A") -> GostPrivateKey   # name, OID or ParamSet
    class GostPrivateKey(paramset, d):
        paramset: ParamSet; size: int (256|512); d: int
        def public_key_info() -> bytes     # DER SPKI, as RFC 9215 (params SEQ{paramset OID[, digest OID]})
        def to_pkcs8_der() -> bytes        # loadable by `openssl pkey -engine gost`
        @classmethod from_pkcs8_der(data) -> GostPrivateKey
    load_public_key(spki_der) -> GostPublicKey(paramset, x, y)   # parse + validate only
    GostError (a ValueError), GostUnavailable (a GostError)

Byte orders: digests are the bytes the hash outputs (as `openssl dgst` prints them); the
signing math reads a digest as a little-endian integer; SPKI carries an OCTET STRING of X||Y,
each little-endian; signatures are s||r big-endian; PKCS#8 wraps an OCTET STRING of d
little-endian (RFC 9548), and reading also accepts the engine's other layouts (bare, masked,
INTEGER). The SPKI digest parameter is written for the 1.2.643.2.2 (CryptoPro/test) sets only.

Backends: "openssl" = system libcrypto 3 + gost engine via ctypes (fast; see ``_openssl``;
$REGISTRY_LIBCRYPTO overrides the library, default libcrypto.so.3, and $OPENSSL_ENGINES is
searched for gost.so when the engine is not in OpenSSL's ENGINESDIR);
"pure" = the gostcrypto package (about 0.2 MB/s hashing and tens of milliseconds per 256-bit
verification; a fallback for machines without the engine).
"""

from __future__ import annotations

import os
import threading

from ._base import GostBackend
from ._errors import GostError, GostUnavailable
from ._keys import GostPrivateKey, GostPublicKey, generate_private_key, load_public_key
from ._params import (
    DIGEST_OID_256,
    DIGEST_OID_512,
    KEY_OID_256,
    KEY_OID_512,
    PARAMSETS,
    SIGN_OID_256,
    SIGN_OID_512,
    ParamSet,
    get_paramset,
)

BACKEND_NAMES = ("openssl", "pure")  # preference order
_ENV = "REGISTRY_GOST_BACKEND"

_lock = threading.Lock()
_loaded: dict[str, GostBackend | GostUnavailable] = {}


def _create(name: str) -> GostBackend:
    if name == "openssl":
        from ._openssl import OpenSSLBackend

        return OpenSSLBackend()
    from ._pure import PureBackend

    return PureBackend()


def get_backend(name: str) -> GostBackend:
    """The backend called ``name``, loaded once per process; GostUnavailable if it cannot load."""
    if name not in BACKEND_NAMES:
        raise GostUnavailable(f"unknown GOST backend {name!r} (expected one of {', '.join(BACKEND_NAMES)})")
    result = _loaded.get(name)
    if result is None:
        with _lock:
            result = _loaded.get(name)
            if result is None:
                try:
                    result = _create(name)
                except GostUnavailable as exc:
                    result = exc  # remembered: retrying a missing engine on every call is pointless
                _loaded[name] = result
    if isinstance(result, GostUnavailable):
        raise GostUnavailable(str(result))
    return result


def available_backends() -> list[GostBackend]:
    """All backends that load on this machine, preferred first."""
    found = []
    for name in BACKEND_NAMES:
        try:
            found.append(get_backend(name))
        except GostUnavailable:
            pass
    return found


def backend() -> GostBackend:
    """The active backend: $REGISTRY_GOST_BACKEND if set, else OpenSSL if loadable, else pure."""
    forced = os.environ.get(_ENV, "").strip().lower()
    if forced:
        return get_backend(forced)
    reasons = []
    for name in BACKEND_NAMES:
        try:
            return get_backend(name)
        except GostUnavailable as exc:
            reasons.append(f"{name}: {exc}")
    raise GostUnavailable("no GOST backend available (" + "; ".join(reasons) + ")")

__all__ = [
    "PARAMSETS", "ParamSet", "get_paramset",
    "SIGN_OID_256", "SIGN_OID_512", "KEY_OID_256", "KEY_OID_512", "DIGEST_OID_256", "DIGEST_OID_512",
    "GostBackend", "backend", "available_backends", "get_backend", "BACKEND_NAMES",
    "GostPrivateKey", "GostPublicKey", "generate_private_key", "load_public_key",
    "GostError", "GostUnavailable",
]
