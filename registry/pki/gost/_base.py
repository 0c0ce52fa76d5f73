"""The backend interface; input checks live here so that both backends behave alike."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ._errors import GostError, GostUnavailable
from ._keys import GostPrivateKey, GostPublicKey, encode_public_key_info, load_public_key
from ._params import ParamSet


def _as_bytes(data: bytes | bytearray | memoryview, what: str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what} must be bytes, not {type(data).__name__}")


class GostBackend(ABC):
    """Streebog and GOST R 34.10-2012 sign/verify; signatures are s||r big-endian as in X.509/CMS."""

    name: str
    description: str
    paramsets: frozenset[str]  # names from PARAMSETS this backend can use

    @abstractmethod
    def streebog256(self, data: bytes) -> bytes:
        """GOST R 34.11-2012 256-bit digest, bytes as the hash outputs them."""

    @abstractmethod
    def streebog512(self, data: bytes) -> bytes:
        """GOST R 34.11-2012 512-bit digest."""

    def streebog(self, size: int, data: bytes) -> bytes:
        if size == 256:
            return self.streebog256(data)
        if size == 512:
            return self.streebog512(data)
        raise GostError(f"no Streebog-{size}")

    def gost94(self, data: bytes) -> bytes:
        """GOST R 34.11-94 (CryptoPro parameters), the digest of GOST R 34.10-2001 archives.
        GostUnavailable if this backend cannot compute it."""
        raise GostUnavailable(f"the {self.name} backend does not implement GOST R 34.11-94")

    def verify(self, spki_der: bytes, data: bytes, signature: bytes) -> bool:
        """Check ``signature`` over ``data`` (hashed with Streebog of the key size).

        False for a wrong signature (including one of the wrong length); GostError for an
        unusable key.
        """
        pub = self._public_key(spki_der)
        sig = _as_bytes(signature, "signature")
        if len(sig) != 2 * pub.paramset.nbytes:
            return False
        return self._verify(pub, _as_bytes(data, "data"), sig)

    supports_gost2001: bool = False  # whether verify_gost2001() can compute

    def verify_gost2001(self, spki_der: bytes, data: bytes, signature: bytes) -> bool:
        """Check a GOST R 34.10-2001 signature with GOST R 34.11-94 (certificates before 2020).

        The algorithm is withdrawn; deciding whether a moment still allows it is the caller's
        business. GostUnavailable if this backend cannot compute it.
        """
        raise GostUnavailable(f"the {self.name} backend does not implement GOST R 34.10-2001")

    def verify_digest(self, spki_der: bytes, digest: bytes, signature: bytes) -> bool:
        """Like :meth:`verify` for an already computed Streebog digest (as the hash outputs it)."""
        pub = self._public_key(spki_der)
        digest = _as_bytes(digest, "digest")
        if len(digest) != pub.paramset.nbytes:
            raise GostError(f"digest must be {pub.paramset.nbytes} bytes for a {pub.size}-bit key")
        sig = _as_bytes(signature, "signature")
        if len(sig) != 2 * pub.paramset.nbytes:
            return False
        return self._verify_digest(pub, digest, sig)

    def sign(self, key: GostPrivateKey, data: bytes) -> bytes:
        """Signature over ``data`` in the format :meth:`verify` takes (s||r, big-endian)."""
        self._check_key(key)
        return self._sign(key, _as_bytes(data, "data"))

    def sign_digest(self, key: GostPrivateKey, digest: bytes) -> bytes:
        self._check_key(key)
        digest = _as_bytes(digest, "digest")
        if len(digest) != key.paramset.nbytes:
            raise GostError(f"digest must be {key.paramset.nbytes} bytes for a {key.size}-bit key")
        return self._sign_digest(key, digest)

    def public_key_info(self, key: GostPrivateKey) -> bytes:
        """DER SPKI of ``key``'s public point, computed by this backend."""
        self._check_key(key)
        x, y = self._public_point(key)
        return encode_public_key_info(key.paramset, x, y)

    def supports(self, paramset: ParamSet) -> bool:
        return paramset.name in self.paramsets

    # -- implementation hooks --------------------------------------------------------------

    def _verify(self, pub: GostPublicKey, data: bytes, signature: bytes) -> bool:
        return self._verify_digest(pub, self.streebog(pub.size, data), signature)

    def _sign(self, key: GostPrivateKey, data: bytes) -> bytes:
        return self._sign_digest(key, self.streebog(key.size, data))

    @abstractmethod
    def _verify_digest(self, pub: GostPublicKey, digest: bytes, signature: bytes) -> bool: ...

    @abstractmethod
    def _sign_digest(self, key: GostPrivateKey, digest: bytes) -> bytes: ...

    @abstractmethod
    def _public_point(self, key: GostPrivateKey) -> tuple[int, int]: ...

    # -- helpers ---------------------------------------------------------------------------

    def _public_key(self, spki_der: bytes) -> GostPublicKey:
        pub = load_public_key(_as_bytes(spki_der, "spki_der"))
        if not self.supports(pub.paramset):
            raise GostError(f"backend {self.name} does not support {pub.paramset.name}")
        return pub

    def _check_key(self, key: GostPrivateKey) -> None:
        if not isinstance(key, GostPrivateKey):
            raise TypeError(f"expected GostPrivateKey, not {type(key).__name__}")
        if not self.supports(key.paramset):
            raise GostError(f"backend {self.name} does not support {key.paramset.name}")

    def __repr__(self) -> str:
        return f"<GostBackend {self.name}: {self.description}>"
