"""Pure-Python backend on the ``gostcrypto`` package (slow, but needs nothing from the system)."""

from __future__ import annotations

import secrets
import threading
from importlib import metadata
from typing import Any

from ._base import GostBackend
from ._errors import GostError, GostUnavailable
from ._keys import GostPrivateKey, GostPublicKey
from ._params import PARAMSETS, ParamSet, curve_of


class PureBackend(GostBackend):
    name = "pure"

    def __init__(self) -> None:
        try:
            from gostcrypto import gosthash, gostsignature
        except ImportError as exc:
            raise GostUnavailable(f"gostcrypto is not installed: {exc}") from exc
        self._hash = gosthash
        self._sig = gostsignature
        self._curve_class = _curve_class(gostsignature.GOST34102012)
        try:
            version = metadata.version("gostcrypto")
        except metadata.PackageNotFoundError:
            version = "?"
        self.description = f"gostcrypto {version} (pure Python)"
        self.paramsets = frozenset(PARAMSETS)
        self._engines: dict[str, Any] = {}
        self._lock = threading.Lock()

    def streebog256(self, data: bytes) -> bytes:
        return bytes(self._hash.new("streebog256", data=bytes(data)).digest())

    def streebog512(self, data: bytes) -> bytes:
        return bytes(self._hash.new("streebog512", data=bytes(data)).digest())

    def _engine(self, paramset: ParamSet) -> Any:
        # gostcrypto validates the curve in its constructor (costly for 512 bits), so keep one
        # object per curve; its sign/verify keep no state on the object, so sharing is safe.
        eng = self._engines.get(paramset.name)
        if eng is None:
            with self._lock:
                eng = self._engines.get(paramset.name)
                if eng is None:
                    c = curve_of(paramset)
                    mode = self._sig.MODE_256 if paramset.size == 256 else self._sig.MODE_512
                    eng = self._curve_class(mode, {"p": c.p, "a": c.a, "b": c.b, "m": c.q * c.cofactor,
                                                   "q": c.q, "x": c.x, "y": c.y})
                    self._engines[paramset.name] = eng
        return eng

    def _verify_digest(self, pub: GostPublicKey, digest: bytes, signature: bytes) -> bool:
        n = pub.paramset.nbytes
        # gostcrypto takes big-endian X||Y, r||s, and reads the digest as a big-endian number,
        # whereas GOST reads it little-endian: hence the reversals.
        public = pub.x.to_bytes(n, "big") + pub.y.to_bytes(n, "big")
        try:
            r_s = signature[n:] + signature[:n]
            return bool(self._engine(pub.paramset).verify(public, digest[::-1], r_s))
        except self._sig.GOSTSignatureError as exc:
            raise GostError(str(exc)) from exc

    def _sign_digest(self, key: GostPrivateKey, digest: bytes) -> bytes:
        q = curve_of(key.paramset).q
        # Own nonce: gostcrypto's would loop forever on k == 0.
        return _sign_with_k(self, key, digest, secrets.randbelow(q - 1) + 1)

    def _public_point(self, key: GostPrivateKey) -> tuple[int, int]:
        n = key.paramset.nbytes
        raw = bytes(self._engine(key.paramset).public_key_generate(key.d.to_bytes(n, "big")))
        return int.from_bytes(raw[:n], "big"), int.from_bytes(raw[n:], "big")


def _curve_class(base: type) -> type:
    class _Curve(base):
        """gostcrypto's curve arithmetic with a non-recursive modular inverse.

        The stock extended Euclid recurses a few hundred frames deep per inversion for 512-bit
        numbers (a RecursionError risk on deep stacks) and is twice as slow; 0 maps to 0 as before.
        """

        @staticmethod
        def _invert(value: int, n_mod: int) -> int:
            value %= n_mod
            return pow(value, -1, n_mod) if value else 0

    return _Curve


def _sign_with_k(backend: PureBackend, key: GostPrivateKey, digest: bytes, k: int) -> bytes:
    """Deterministic signing with a given nonce: for reproducing published test vectors only."""
    n = key.paramset.nbytes
    engine = backend._engine(key.paramset)
    r_s = bytes(engine.sign(key.d.to_bytes(n, "big"), digest[::-1], k.to_bytes(n, "big")))
    return r_s[n:] + r_s[:n]
