"""GOST R 34.11-2012 (Streebog) and GOST R 34.10-2012/2001 plugged into pyHanko and
pyhanko-certvalidator: the one place where they learn it.

Plug points (each has a test in tests/pki/ades/test_plug.py):

1. hash lookup — ``get_pyca_cryptography_hash("streebog256")`` does ``getattr(hashes,
   "STREEBOG256")``, which ``cryptography`` does not have; it now answers a
   :class:`Streebog256` / :class:`Streebog512` algorithm object;
2. hashing — ``hashes.Hash(algorithm)`` is the OpenSSL bundled with ``cryptography``, without
   GOST; the modules of pyHanko that hash see a ``hashes`` whose ``Hash`` computes Streebog
   through :mod:`registry.pki.gost` and delegates everything else;
3. signature mechanism — :class:`AdesSignatureValidator` (the certificate validator's GOST
   signature check of :mod:`registry.pki.validation`, plus a signature over a precomputed
   digest: CMS without signed attributes);
4. the validation context — :func:`validation_context` is pyhanko-certvalidator's context with
   that signature validator.

Nothing here copies pyHanko's logic: only names are rebound.
"""

from __future__ import annotations

import importlib
import threading
import types
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

from .. import oids
from ..validation import GostSignatureValidator

STREEBOG_NAMES = {"streebog256": 256, "streebog512": 512}
# The modules of pyHanko and pyhanko-certvalidator that look hashes up or compute them.
HASHING_MODULES = (
    "pyhanko_certvalidator.util",
    "pyhanko_certvalidator.sig_validate",
    "pyhanko.sign.general",
    "pyhanko.sign.attributes",
    "pyhanko.sign.validation.generic_cms",
    "pyhanko.sign.validation.report.tools",
    "pyhanko.sign.timestamps.common_utils",
    "pyhanko.sign.timestamps.dummy_client",
    "pyhanko.sign.signers.pdf_cms",
    "pyhanko.sign.signers.pdf_signer",
    "pyhanko.sign.signers.pdf_byterange",
)


class _Streebog(hashes.HashAlgorithm):
    bits = 0

    @property
    def name(self) -> str:
        return f"streebog{self.bits}"

    @property
    def digest_size(self) -> int:
        return self.bits // 8

    @property
    def block_size(self) -> int:
        return 64


class Streebog256(_Streebog):
    """GOST R 34.11-2012, 256 bits."""

    bits = 256


class Streebog512(_Streebog):
    """GOST R 34.11-2012, 512 bits."""

    bits = 512


class StreebogHash:
    """``hashes.Hash`` for Streebog: the GOST backends hash one buffer, so input is gathered
    (its size is bounded by the callers' file limits)."""

    def __init__(self, algorithm: _Streebog) -> None:
        self.algorithm = algorithm
        self._parts: list[bytes] = []

    def update(self, data: bytes) -> None:
        self._parts.append(bytes(data))

    def copy(self) -> StreebogHash:
        other = StreebogHash(self.algorithm)
        other._parts = list(self._parts)
        return other

    def finalize(self) -> bytes:
        from ..gost import backend

        data = b"".join(self._parts)
        self._parts = []
        return backend().streebog(self.algorithm.bits, data)


_original_lookup: Any = None


def hash_algorithm(name: str) -> hashes.HashAlgorithm:
    """pyHanko's hash lookup by CMS name, Streebog included."""
    size = STREEBOG_NAMES.get(name.lower())
    if size == 256:
        return Streebog256()
    if size == 512:
        return Streebog512()
    return _original_lookup(name)


def new_hash(algorithm: hashes.HashAlgorithm) -> Any:
    """``hashes.Hash(algorithm)``, Streebog included."""
    if isinstance(algorithm, _Streebog):
        return StreebogHash(algorithm)
    return hashes.Hash(algorithm)


def _hashes_namespace() -> types.ModuleType:
    namespace = types.ModuleType("hashes")
    namespace.__dict__.update({k: v for k, v in vars(hashes).items() if not k.startswith("__")})
    namespace.Hash = new_hash  # type: ignore[attr-defined]
    return namespace


_KEY_TO_SIGNATURE = {oids.GOST_KEY_256: oids.GOST_SIGN_256, oids.GOST_KEY_512: oids.GOST_SIGN_512,
                     oids.GOST_KEY_2001: oids.GOST_SIGN_2001}


def signature_mechanism(algorithm: Any) -> Any:
    """The signature algorithm of a signer info; openssl and CryptoPro write the GOST key's OID
    there (RFC 4490 §3.2 allows it), which means the GOST signature with its Streebog."""
    from asn1crypto import algos

    oid = algorithm["algorithm"].dotted
    if oid in _KEY_TO_SIGNATURE:
        return algos.SignedDigestAlgorithm({"algorithm": _KEY_TO_SIGNATURE[oid]})
    return algorithm


class AdesSignatureValidator(GostSignatureValidator):
    """The GOST signature check of :mod:`registry.pki.validation`, and a GOST R 34.10-2012
    signature over a digest pyHanko computed itself (CMS without signed attributes)."""

    def validate_signature(self, signature: bytes, signed_data: bytes, public_key_info: Any,
                           signature_algorithm: Any, context: Any = None) -> None:
        from pyhanko_certvalidator.sig_validate import DEFAULT_VALIDATION_CONTEXT

        context = context or DEFAULT_VALIDATION_CONTEXT
        signature_algorithm = signature_mechanism(signature_algorithm)
        size = oids.GOST_SIGNATURES.get(signature_algorithm["algorithm"].dotted)
        if size is not None and context.prehashed:
            if oids.GOST_KEYS.get(public_key_info["algorithm"]["algorithm"].dotted) != size:
                raise InvalidSignature("GOST key does not match the signature algorithm")
            from ..gost import GostError, backend

            try:
                ok = backend().verify_digest(public_key_info.dump(), signed_data, signature)
            except GostError as exc:
                raise InvalidSignature(str(exc)) from exc
            if not ok:
                raise InvalidSignature("GOST signature mismatch")
            return
        super().validate_signature(signature, signed_data, public_key_info, signature_algorithm, context)


SIGNATURE_VALIDATOR = AdesSignatureValidator()
_LOCK = threading.Lock()
_INSTALLED = False


def install() -> None:
    """Rebind the hash lookup and hashing in pyHanko's modules (idempotent)."""
    global _INSTALLED, _original_lookup
    with _LOCK:
        if _INSTALLED:
            return
        util = importlib.import_module("pyhanko_certvalidator.util")
        _original_lookup = util.get_pyca_cryptography_hash
        namespace = _hashes_namespace()
        for name in HASHING_MODULES:
            try:
                module = importlib.import_module(name)
            except ImportError:  # an optional part (the ETSI report needs xsdata)
                continue
            if getattr(module, "get_pyca_cryptography_hash", None) is _original_lookup:
                module.get_pyca_cryptography_hash = hash_algorithm  # type: ignore[attr-defined]
            if getattr(module, "hashes", None) is hashes:
                module.hashes = namespace  # type: ignore[attr-defined]
        _INSTALLED = True


def validation_context(**kwargs: Any):
    """pyhanko-certvalidator's ValidationContext with the GOST signature validator."""
    from pyhanko_certvalidator import ValidationContext

    install()
    kwargs.setdefault("signature_validator", SIGNATURE_VALIDATOR)
    return ValidationContext(**kwargs)
