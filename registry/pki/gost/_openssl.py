"""Backend on the system libcrypto (OpenSSL 3) with the gost engine, driven through ctypes.

The ``cryptography`` wheel carries its own OpenSSL without engine support, hence ctypes.
Engine digests are not providers, so they are found with EVP_get_digestbyname rather than
EVP_MD_fetch, and keys go through the legacy EVP_PKEY paths the engine implements.

Thread safety: the engine is loaded once under a lock; afterwards every call allocates its own
EVP objects, OpenSSL's error queue is per thread, and ctypes drops the GIL during each call.
The engine caches one EC_GROUP per parameter set on first use without locking, so loading
decodes a key of every parameter set before any concurrent use.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from ctypes import POINTER, byref, c_char_p, c_int, c_long, c_size_t, c_uint, c_ulong, c_void_p
from typing import Any

from cachetools import LRUCache

from ._base import GostBackend
from ._errors import GostError, GostUnavailable
from ._keys import GostPrivateKey, GostPublicKey, load_public_key
from ._params import KEY_OID_256, KEY_OID_512, PARAMSETS, curve_of

_LIBCRYPTO = "libcrypto.so.3"
_KEY_CACHE_SIZE = 256


class _PkeyCache(LRUCache):
    """Decoded public keys (EVP_PKEY handles) by DER; an evicted handle's reference is freed."""

    def __init__(self, maxsize: int, free: Callable[[int], None]):
        super().__init__(maxsize=maxsize)
        self._free = free

    def popitem(self):
        key, pkey = super().popitem()
        self._free(pkey)
        return key, pkey
_ENGINE_DIRS = ("/usr/lib/x86_64-linux-gnu/engines-3", "/usr/lib/aarch64-linux-gnu/engines-3",
                "/usr/lib64/engines-3", "/usr/lib/engines-3", "/usr/local/lib/engines-3")

# name: (restype, argtypes). Object pointers are c_void_p so that ctypes never truncates them to
# int; byte buffers are c_char_p so that bytes objects are passed without a copy.
_FUNCTIONS: dict[str, tuple[object, tuple[object, ...]]] = {
    "OpenSSL_version_num": (c_ulong, ()),
    "OpenSSL_version": (c_char_p, (c_int,)),
    "ERR_get_error": (c_ulong, ()),
    "ERR_error_string_n": (None, (c_ulong, c_char_p, c_size_t)),
    "ERR_clear_error": (None, ()),
    "CRYPTO_free": (None, (c_void_p, c_char_p, c_int)),
    "OBJ_txt2nid": (c_int, (c_char_p,)),
    "ENGINE_by_id": (c_void_p, (c_char_p,)),
    "ENGINE_ctrl_cmd_string": (c_int, (c_void_p, c_char_p, c_char_p, c_int)),
    "ENGINE_init": (c_int, (c_void_p,)),
    "ENGINE_free": (c_int, (c_void_p,)),
    "ENGINE_register_digests": (c_int, (c_void_p,)),
    "ENGINE_register_pkey_meths": (c_int, (c_void_p,)),
    "ENGINE_register_pkey_asn1_meths": (c_int, (c_void_p,)),
    "EVP_get_digestbyname": (c_void_p, (c_char_p,)),
    "EVP_MD_get_size": (c_int, (c_void_p,)),
    "EVP_Digest": (c_int, (c_char_p, c_size_t, c_char_p, POINTER(c_uint), c_void_p, c_void_p)),
    "EVP_MD_CTX_new": (c_void_p, ()),
    "EVP_MD_CTX_free": (None, (c_void_p,)),
    "EVP_DigestVerifyInit": (c_int, (c_void_p, c_void_p, c_void_p, c_void_p, c_void_p)),
    "EVP_DigestVerify": (c_int, (c_void_p, c_char_p, c_size_t, c_char_p, c_size_t)),
    "EVP_DigestSignInit": (c_int, (c_void_p, c_void_p, c_void_p, c_void_p, c_void_p)),
    "EVP_DigestSign": (c_int, (c_void_p, c_char_p, POINTER(c_size_t), c_char_p, c_size_t)),
    "EVP_PKEY_CTX_new": (c_void_p, (c_void_p, c_void_p)),
    "EVP_PKEY_CTX_free": (None, (c_void_p,)),
    "EVP_PKEY_verify_init": (c_int, (c_void_p,)),
    "EVP_PKEY_verify": (c_int, (c_void_p, c_char_p, c_size_t, c_char_p, c_size_t)),
    "EVP_PKEY_sign_init": (c_int, (c_void_p,)),
    "EVP_PKEY_sign": (c_int, (c_void_p, c_char_p, POINTER(c_size_t), c_char_p, c_size_t)),
    "EVP_PKEY_free": (None, (c_void_p,)),
    "EVP_PKEY_up_ref": (c_int, (c_void_p,)),
    "EVP_PKEY_get_id": (c_int, (c_void_p,)),
    "d2i_PUBKEY": (c_void_p, (c_void_p, POINTER(c_char_p), c_long)),
    "i2d_PUBKEY": (c_int, (c_void_p, POINTER(c_void_p))),
    "d2i_AutoPrivateKey": (c_void_p, (c_void_p, POINTER(c_char_p), c_long)),
}


class _Lib:
    """Typed bindings to libcrypto; attribute access yields the configured ctypes function."""

    def __init__(self, path: str) -> None:
        self.path = path
        cdll = ctypes.CDLL(path)
        for name, (restype, argtypes) in _FUNCTIONS.items():
            fn = getattr(cdll, name)
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)

    def __getattr__(self, name: str) -> Any:  # the bound functions, for type checkers
        raise AttributeError(name)

    def errors(self) -> str:
        """Drain this thread's OpenSSL error queue into one message."""
        messages = []
        buf = ctypes.create_string_buffer(256)
        while code := self.ERR_get_error():
            self.ERR_error_string_n(code, buf, len(buf))
            messages.append(buf.value.decode("ascii", "replace"))
        return "; ".join(messages) or "no OpenSSL error recorded"


def _engine_candidates() -> Iterator[str]:
    dirs = [os.environ["OPENSSL_ENGINES"]] if os.environ.get("OPENSSL_ENGINES") else []
    for d in [*dirs, *_ENGINE_DIRS]:
        path = os.path.join(d, "gost.so")
        if os.path.exists(path):
            yield path


class OpenSSLBackend(GostBackend):
    name = "openssl"

    def __init__(self) -> None:
        path = os.environ.get("REGISTRY_LIBCRYPTO", _LIBCRYPTO)
        try:
            lib = _Lib(path)
        except (OSError, AttributeError) as exc:
            raise GostUnavailable(f"cannot use {path}: {exc}") from exc
        if lib.OpenSSL_version_num() < 0x30000000:
            raise GostUnavailable(f"{path} is older than OpenSSL 3.0")
        self._lib = lib
        # Decoded public keys by SPKI: the same CA keys verify every chain, and decoding costs
        # as much as the verification itself. Each holder takes its own reference.
        self._keys = _PkeyCache(_KEY_CACHE_SIZE, lambda pkey: self._lib.EVP_PKEY_free(pkey))
        self._keys_lock = threading.Lock()
        self._load_engine()
        self._md = {256: self._digest(b"md_gost12_256", 32), 512: self._digest(b"md_gost12_512", 64)}
        self._nid = {256: lib.OBJ_txt2nid(KEY_OID_256.encode()), 512: lib.OBJ_txt2nid(KEY_OID_512.encode())}
        version = (lib.OpenSSL_version(6) or b"?").decode()  # OPENSSL_VERSION_STRING
        self.description = f"OpenSSL {version} + gost engine ({os.path.basename(path)})"
        self.paramsets = frozenset(self._probe_paramsets())
        self.supports_gost2001 = bool(lib.EVP_get_digestbyname(b"md_gost94"))
        lib.ERR_clear_error()

    # -- loading -------------------------------------------------------------------------------

    def _load_engine(self) -> None:
        lib = self._lib
        lib.ERR_clear_error()
        engine = lib.ENGINE_by_id(b"gost")  # finds it in ENGINESDIR or $OPENSSL_ENGINES
        if not engine:
            lib.ERR_clear_error()
            for so_path in _engine_candidates():
                engine = self._load_dynamic(so_path)
                if engine:
                    break
        if not engine:
            raise GostUnavailable(f"OpenSSL gost engine not found (is libengine-gost-openssl installed?): "
                                  f"{lib.errors()}")
        try:
            if lib.ENGINE_init(engine) != 1:
                raise GostUnavailable(f"gost engine failed to initialise: {lib.errors()}")
            # The functional reference from ENGINE_init is kept for the life of the process:
            # the registrations below point into the engine.
            if not (lib.ENGINE_register_digests(engine) and lib.ENGINE_register_pkey_meths(engine)
                    and lib.ENGINE_register_pkey_asn1_meths(engine)):
                raise GostUnavailable(f"gost engine registration failed: {lib.errors()}")
        finally:
            lib.ENGINE_free(engine)  # structural reference from ENGINE_by_id

    def _load_dynamic(self, so_path: str) -> int | None:
        lib = self._lib
        engine = lib.ENGINE_by_id(b"dynamic")
        if not engine:
            lib.ERR_clear_error()
            return None
        ok = (lib.ENGINE_ctrl_cmd_string(engine, b"SO_PATH", so_path.encode(), 0) == 1
              and lib.ENGINE_ctrl_cmd_string(engine, b"ID", b"gost", 0) == 1
              and lib.ENGINE_ctrl_cmd_string(engine, b"LOAD", None, 0) == 1)
        if not ok:
            lib.ENGINE_free(engine)
            lib.ERR_clear_error()
            return None
        return engine

    def _digest(self, name: bytes, size: int) -> int:
        md = self._lib.EVP_get_digestbyname(name)
        if not md or self._lib.EVP_MD_get_size(md) != size:
            raise GostUnavailable(f"gost engine does not provide {name.decode()}")
        return md

    def _probe_paramsets(self) -> list[str]:
        supported = []
        for name, ps in PARAMSETS.items():
            # Any valid scalar will do; decoding it also fills the engine's group cache.
            key = GostPrivateKey(ps, curve_of(ps).q // 3)
            try:
                with self._private_pkey(key):
                    supported.append(name)
            except GostError:
                pass
        if not supported:
            raise GostUnavailable("gost engine accepts none of the GOST R 34.10-2012 parameter sets")
        return supported

    # -- EVP object lifetimes ----------------------------------------------------------------

    @contextmanager
    def _public_pkey(self, pub: GostPublicKey) -> Iterator[int]:
        der = pub.public_key_info()
        with self._keys_lock:
            pkey = self._keys.get(der)
            if pkey is not None:
                self._lib.EVP_PKEY_up_ref(pkey)
        if pkey is None:
            pkey = self._decode_public(der, pub)
            with self._keys_lock:
                if der not in self._keys:
                    self._lib.EVP_PKEY_up_ref(pkey)  # the cache's own reference
                    self._keys[der] = pkey  # may evict (and free) the least recent key
        try:
            yield pkey
        finally:
            self._lib.EVP_PKEY_free(pkey)

    def _decode_public(self, der: bytes, pub: GostPublicKey) -> int:
        cursor = c_char_p(der)
        pkey = self._lib.d2i_PUBKEY(None, byref(cursor), len(der))
        if not pkey:
            raise GostError(f"OpenSSL rejected the GOST public key: {self._lib.errors()}")
        if self._lib.EVP_PKEY_get_id(pkey) != self._nid[pub.size]:
            self._lib.EVP_PKEY_free(pkey)
            raise GostError("OpenSSL decoded the key as a different algorithm")
        return pkey

    @contextmanager
    def _private_pkey(self, key: GostPrivateKey) -> Iterator[int]:
        der = key.to_pkcs8_der()
        cursor = c_char_p(der)
        pkey = self._lib.d2i_AutoPrivateKey(None, byref(cursor), len(der))
        # The provider decoders are tried first and leave "unsupported" errors even on success.
        errors = self._lib.errors()
        if not pkey:
            raise GostError(f"OpenSSL rejected the GOST private key: {errors}")
        try:
            if self._lib.EVP_PKEY_get_id(pkey) != self._nid[key.size]:
                raise GostError("OpenSSL decoded the key as a different algorithm")
            yield pkey
        finally:
            self._lib.EVP_PKEY_free(pkey)

    @contextmanager
    def _md_ctx(self) -> Iterator[int]:
        ctx = self._lib.EVP_MD_CTX_new()
        if not ctx:
            raise MemoryError("EVP_MD_CTX_new")
        try:
            yield ctx
        finally:
            self._lib.EVP_MD_CTX_free(ctx)

    @contextmanager
    def _pkey_ctx(self, pkey: int) -> Iterator[int]:
        ctx = self._lib.EVP_PKEY_CTX_new(pkey, None)
        if not ctx:
            raise GostError(f"EVP_PKEY_CTX_new: {self._lib.errors()}")
        try:
            yield ctx
        finally:
            self._lib.EVP_PKEY_CTX_free(ctx)

    # -- operations --------------------------------------------------------------------------

    def _hash(self, size: int, data: bytes) -> bytes:
        data = bytes(data)
        out = ctypes.create_string_buffer(64)
        out_len = c_uint(0)
        self._lib.ERR_clear_error()
        # One call over the whole buffer: no Python-level loop, GIL released meanwhile.
        if self._lib.EVP_Digest(data, len(data), out, byref(out_len), self._md[size], None) != 1:
            raise GostError(f"EVP_Digest: {self._lib.errors()}")
        return out.raw[:out_len.value]

    def streebog256(self, data: bytes) -> bytes:
        return self._hash(256, data)

    def streebog512(self, data: bytes) -> bytes:
        return self._hash(512, data)

    def gost94(self, data: bytes) -> bytes:
        md = self._lib.EVP_get_digestbyname(b"md_gost94")
        if not md:
            self._lib.ERR_clear_error()
            raise GostUnavailable("gost engine does not provide GOST R 34.11-94")
        data = bytes(data)
        out = ctypes.create_string_buffer(64)
        out_len = c_uint(0)
        self._lib.ERR_clear_error()
        if self._lib.EVP_Digest(data, len(data), out, byref(out_len), md, None) != 1:
            raise GostError(f"EVP_Digest: {self._lib.errors()}")
        return out.raw[:out_len.value]

    def _verdict(self, rc: int, what: str) -> bool:
        # 1 = valid, 0 = mismatch (the engine also says 0 for r or s out of range), <0 = failure.
        errors = self._lib.errors()
        if rc == 1:
            return True
        if rc == 0:
            return False
        raise GostError(f"{what} failed: {errors}")

    def _verify(self, pub: GostPublicKey, data: bytes, signature: bytes) -> bool:
        self._lib.ERR_clear_error()
        with self._public_pkey(pub) as pkey, self._md_ctx() as ctx:
            if self._lib.EVP_DigestVerifyInit(ctx, None, self._md[pub.size], None, pkey) != 1:
                raise GostError(f"EVP_DigestVerifyInit: {self._lib.errors()}")
            rc = self._lib.EVP_DigestVerify(ctx, signature, len(signature), data, len(data))
        return self._verdict(rc, "EVP_DigestVerify")

    def verify_gost2001(self, spki_der: bytes, data: bytes, signature: bytes) -> bool:
        lib = self._lib
        md = lib.EVP_get_digestbyname(b"md_gost94")
        nid = lib.OBJ_txt2nid(b"1.2.643.2.2.19")
        if not md or nid <= 0:
            lib.ERR_clear_error()
            raise GostUnavailable("gost engine does not provide GOST R 34.10-2001 / 34.11-94")
        spki_der, data, signature = bytes(spki_der), bytes(data), bytes(signature)
        if len(signature) != 64:
            return False
        lib.ERR_clear_error()
        cursor = c_char_p(spki_der)
        pkey = lib.d2i_PUBKEY(None, byref(cursor), len(spki_der))
        if not pkey:
            raise GostError(f"OpenSSL rejected the GOST R 34.10-2001 public key: {lib.errors()}")
        try:
            if lib.EVP_PKEY_get_id(pkey) != nid:
                raise GostError("not a GOST R 34.10-2001 key")
            with self._md_ctx() as ctx:
                if lib.EVP_DigestVerifyInit(ctx, None, md, None, pkey) != 1:
                    raise GostError(f"EVP_DigestVerifyInit: {lib.errors()}")
                rc = lib.EVP_DigestVerify(ctx, signature, len(signature), data, len(data))
        finally:
            lib.EVP_PKEY_free(pkey)
        return self._verdict(rc, "EVP_DigestVerify")

    def _verify_digest(self, pub: GostPublicKey, digest: bytes, signature: bytes) -> bool:
        self._lib.ERR_clear_error()
        with self._public_pkey(pub) as pkey, self._pkey_ctx(pkey) as ctx:
            if self._lib.EVP_PKEY_verify_init(ctx) != 1:
                raise GostError(f"EVP_PKEY_verify_init: {self._lib.errors()}")
            rc = self._lib.EVP_PKEY_verify(ctx, signature, len(signature), digest, len(digest))
        return self._verdict(rc, "EVP_PKEY_verify")

    def _sign(self, key: GostPrivateKey, data: bytes) -> bytes:
        self._lib.ERR_clear_error()
        sig = ctypes.create_string_buffer(2 * key.paramset.nbytes)
        sig_len = c_size_t(len(sig))
        with self._private_pkey(key) as pkey, self._md_ctx() as ctx:
            if self._lib.EVP_DigestSignInit(ctx, None, self._md[key.size], None, pkey) != 1:
                raise GostError(f"EVP_DigestSignInit: {self._lib.errors()}")
            if self._lib.EVP_DigestSign(ctx, sig, byref(sig_len), data, len(data)) != 1:
                raise GostError(f"EVP_DigestSign: {self._lib.errors()}")
        return self._signature(sig, sig_len.value)

    def _sign_digest(self, key: GostPrivateKey, digest: bytes) -> bytes:
        self._lib.ERR_clear_error()
        sig = ctypes.create_string_buffer(2 * key.paramset.nbytes)
        sig_len = c_size_t(len(sig))
        with self._private_pkey(key) as pkey, self._pkey_ctx(pkey) as ctx:
            if self._lib.EVP_PKEY_sign_init(ctx) != 1:
                raise GostError(f"EVP_PKEY_sign_init: {self._lib.errors()}")
            if self._lib.EVP_PKEY_sign(ctx, sig, byref(sig_len), digest, len(digest)) != 1:
                raise GostError(f"EVP_PKEY_sign: {self._lib.errors()}")
        return self._signature(sig, sig_len.value)

    @staticmethod
    def _signature(buf: ctypes.Array[ctypes.c_char], length: int) -> bytes:
        # The engine writes s||r big-endian (pack_sign_cp), the X.509/CMS layout.
        if length != len(buf):
            raise GostError(f"unexpected GOST signature length {length}")
        return buf.raw

    def _public_point(self, key: GostPrivateKey) -> tuple[int, int]:
        self._lib.ERR_clear_error()
        out = c_void_p(None)
        with self._private_pkey(key) as pkey:
            # The engine computes Q = dG when it decodes the private key.
            length = self._lib.i2d_PUBKEY(pkey, byref(out))
            if length <= 0 or not out.value:
                raise GostError(f"i2d_PUBKEY: {self._lib.errors()}")
            try:
                der = ctypes.string_at(out.value, length)
            finally:
                self._lib.CRYPTO_free(out, None, 0)
        pub = load_public_key(der)
        if pub.paramset.oid != key.paramset.oid:
            raise GostError("OpenSSL re-encoded the key with another parameter set")
        return pub.x, pub.y
