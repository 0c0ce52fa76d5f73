"""Key encodings: SubjectPublicKeyInfo (RFC 9215) and PKCS#8 (RFC 9548 / OpenSSL gost engine)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import core

from ._errors import GostError
from ._params import KEY_OIDS, PARAMSETS_BY_OID, ParamSet, curve_of, get_paramset


class _KeyParams(core.Sequence):
    _fields = [
        ("public_key_param_set", core.ObjectIdentifier),
        ("digest_param_set", core.ObjectIdentifier, {"optional": True}),
        ("encryption_param_set", core.ObjectIdentifier, {"optional": True}),
    ]


class _AlgorithmId(core.Sequence):
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any, {"optional": True})]


class _SubjectPublicKeyInfo(core.Sequence):
    _fields = [("algorithm", _AlgorithmId), ("public_key", core.OctetBitString)]


class _Attributes(core.SetOf):
    _child_spec = core.Any


class _PrivateKeyInfo(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("private_key_algorithm", _AlgorithmId),
        ("private_key", core.OctetString),
        ("attributes", _Attributes, {"implicit": 0, "optional": True}),
        ("public_key", core.BitString, {"implicit": 1, "optional": True}),
    ]


def _algorithm(paramset: ParamSet) -> _AlgorithmId:
    params = {"public_key_param_set": paramset.oid}
    if paramset.spki_digest_param:
        params["digest_param_set"] = paramset.digest_oid
    return _AlgorithmId({"algorithm": paramset.key_oid, "parameters": _KeyParams(params)})


def _read_algorithm(alg: _AlgorithmId) -> ParamSet:
    """Parameter set named by a GOST R 34.10-2012 AlgorithmIdentifier; GostError otherwise."""
    key_oid = alg["algorithm"].dotted
    size = KEY_OIDS.get(key_oid)
    if size is None:
        raise GostError(f"not a GOST R 34.10-2012 key (algorithm {key_oid})")
    raw_params = alg["parameters"]
    if raw_params.native is None:
        raise GostError("GOST key without parameters")
    params = _KeyParams.load(raw_params.dump(), strict=True)
    ps_oid = params["public_key_param_set"].dotted
    paramset = PARAMSETS_BY_OID.get(ps_oid)
    if paramset is None:
        raise GostError(f"unsupported GOST parameter set {ps_oid}")
    if paramset.size != size:
        raise GostError(f"parameter set {paramset.name} does not fit a {size}-bit key")
    # Force a full parse so that malformed optional fields fail here. The digest parameter
    # itself is informational: the hash is fixed by the key size (RFC 9215 section 4.2).
    _ = params.native
    return paramset


def encode_public_key_info(paramset: ParamSet, x: int, y: int) -> bytes:
    """DER SubjectPublicKeyInfo: BIT STRING holding an OCTET STRING of X||Y, each little-endian."""
    n = paramset.nbytes
    point = core.OctetString(x.to_bytes(n, "little") + y.to_bytes(n, "little")).dump()
    return _SubjectPublicKeyInfo({"algorithm": _algorithm(paramset), "public_key": point}).dump()


@dataclass(frozen=True)
class GostPublicKey:
    """A validated GOST R 34.10-2012 public key (a point on the parameter set's curve)."""

    paramset: ParamSet
    x: int
    y: int

    @property
    def size(self) -> int:
        return self.paramset.size

    def public_key_info(self) -> bytes:
        """Canonical DER SPKI (re-encoded, so foreign encodings never reach a backend)."""
        der = self.__dict__.get("_spki")
        if der is None:  # computed once: a CA's key verifies every certificate it issued
            der = self.__dict__["_spki"] = encode_public_key_info(self.paramset, self.x, self.y)
        return der


def load_public_key(spki_der: bytes) -> GostPublicKey:
    """Parse and validate a DER SubjectPublicKeyInfo; GostError for anything unusable.

    Validated keys are remembered by their encoding (the same CA keys come again and again;
    a refused encoding is parsed anew each time).
    """
    return _load_public_key(bytes(spki_der))


@lru_cache(maxsize=1024)
def _load_public_key(spki_der: bytes) -> GostPublicKey:
    try:
        spki = _SubjectPublicKeyInfo.load(spki_der, strict=True)
        paramset = _read_algorithm(spki["algorithm"])
        contents = spki["public_key"].contents
        if not contents or contents[0] != 0:
            raise GostError("GOST public key BIT STRING is not byte-aligned")
        point = core.OctetString.load(contents[1:], strict=True).native
    except GostError:
        raise
    except Exception as exc:  # asn1crypto raises assorted types on malformed DER
        raise GostError(f"malformed GOST SubjectPublicKeyInfo: {exc}") from exc
    n = paramset.nbytes
    if len(point) != 2 * n:
        raise GostError(f"GOST public key must be {2 * n} bytes, got {len(point)}")
    x = int.from_bytes(point[:n], "little")
    y = int.from_bytes(point[n:], "little")
    if not curve_of(paramset).contains(x, y):
        raise GostError("GOST public key is not a point of its curve")
    return GostPublicKey(paramset, x, y)


class GostPrivateKey:
    """A GOST R 34.10-2012 private key: the scalar ``d`` on a named parameter set."""

    __slots__ = ("paramset", "d", "_spki")

    def __init__(self, paramset: ParamSet | str, d: int) -> None:
        ps = get_paramset(paramset)
        # Scalars up to 2**size are accepted as the engine accepts them (RFC 9215's own example
        # for paramSetA exceeds q); d and d mod q are the same key.
        if not isinstance(d, int) or not 0 < d < 1 << ps.size or d % curve_of(ps).q == 0:
            raise GostError("GOST private key out of range")
        self.paramset: ParamSet = ps
        self.d: int = d
        self._spki: bytes | None = None

    @property
    def size(self) -> int:
        return self.paramset.size

    def __repr__(self) -> str:  # never print the scalar
        paramset = getattr(self, "paramset", None)
        return f"<GostPrivateKey {paramset.name if paramset else '?'}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GostPrivateKey):
            return NotImplemented
        return self.paramset == other.paramset and secrets.compare_digest(
            self.d.to_bytes(64, "big"), other.d.to_bytes(64, "big"))

    __hash__ = None  # type: ignore[assignment]  # mutable cache, secret content

    def public_key_info(self) -> bytes:
        """DER SubjectPublicKeyInfo of the matching public key (computed by the active backend)."""
        if self._spki is None:
            from . import backend

            self._spki = backend().public_key_info(self)
        return self._spki

    def to_pkcs8_der(self) -> bytes:
        """Unencrypted PKCS#8; privateKey wraps an OCTET STRING of d little-endian (RFC 9548)."""
        n = self.paramset.nbytes
        inner = core.OctetString(self.d.to_bytes(n, "little")).dump()
        return _PrivateKeyInfo({"version": 0, "private_key_algorithm": _algorithm(self.paramset),
                                "private_key": inner}).dump()

    @classmethod
    def from_pkcs8_der(cls, data: bytes) -> GostPrivateKey:
        """Read unencrypted PKCS#8 in every layout the OpenSSL gost engine reads or writes."""
        try:
            info = _PrivateKeyInfo.load(bytes(data), strict=True)
            if info["version"].native not in (0, 1):
                raise GostError("unsupported PKCS#8 version")
            paramset = _read_algorithm(info["private_key_algorithm"])
            blob = info["private_key"].native
            d = _decode_private_scalar(paramset, blob)
        except GostError:
            raise
        except Exception as exc:
            raise GostError(f"malformed GOST PKCS#8 key: {exc}") from exc
        return cls(paramset, d)


def _decode_private_scalar(paramset: ParamSet, blob: bytes) -> int:
    # Same order of checks as the engine's priv_decode_gost, so both read a blob the same way.
    n = paramset.nbytes
    q = curve_of(paramset).q
    if len(blob) == n:
        return int.from_bytes(blob, "little")
    if blob and len(blob) % n == 0:
        # CryptoPro masked key: the masked value followed by masks, d = product of all mod q.
        d = 1
        for i in range(0, len(blob), n):
            d = d * int.from_bytes(blob[i:i + n], "little") % q
        return d
    if blob[:1] == b"\x04":
        value = core.OctetString.load(blob, strict=True).native
        if not 0 < len(value) <= n:
            raise GostError("GOST private key has a wrong length")
        return int.from_bytes(value, "little")
    if blob[:1] == b"\x02":
        return core.Integer.load(blob, strict=True).native
    raise GostError("unrecognised GOST private key layout")


def generate_private_key(paramset: ParamSet | str = "tc26-256-A") -> GostPrivateKey:
    """A fresh key with d uniform in [1, q-1] from the OS CSPRNG."""
    ps = get_paramset(paramset)
    return GostPrivateKey(ps, secrets.randbelow(curve_of(ps).q - 1) + 1)
