"""Every change this product makes to pyHanko and pyhanko-certvalidator, in one place.

Each plug point depends on upstream's internals as of the versions in
:data:`SUPPORTED_VERSIONS` and :data:`SUPPORTED_PYHANKO_VERSIONS` (setup.cfg pins the same
ranges); tests/pki/test_pyhanko_compat.py checks the shape each one relies on, so an upgrade
that moves it fails there first. Nothing here copies upstream's logic: names are rebound.

pyhanko-certvalidator (:func:`install`, applied when :mod:`.path` is imported):

1. critical extensions: the qualified-certificate extensions of приказ ФСБ № 795;
2. the path iterator: the leaf's subject formatted only for an error;
3. the delegated OCSP responder's context: the GOST-aware signature validator.

pyHanko (:func:`install_pyhanko`, applied before a CMS or PDF signature is validated):

4. hash lookup: ``get_pyca_cryptography_hash("streebog256")`` does ``getattr(hashes,
   "STREEBOG256")``, which ``cryptography`` does not have; it now answers a
   :class:`Streebog256` / :class:`Streebog512` algorithm object;
5. hashing: ``hashes.Hash(algorithm)`` is the OpenSSL bundled with ``cryptography``, without
   GOST; the modules of pyHanko that hash see a ``hashes`` whose ``Hash`` computes Streebog
   through :mod:`registry.pki.gost` and delegates everything else;
6. the signature mechanism: :class:`PyhankoSignatureValidator` (the GOST check of
   :mod:`.signatures`, plus a signature over a precomputed digest: CMS without signed
   attributes; the GOST key's OID as the signature algorithm);
7. the validation context: :func:`pyhanko_context` is pyhanko-certvalidator's context with
   that signature validator.
"""

from __future__ import annotations

import functools
import importlib
import logging
import types
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from pyhanko_certvalidator import registry as upstream_registry
from pyhanko_certvalidator import util as upstream_util
from pyhanko_certvalidator import validate as upstream_validate
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.revinfo import validate_ocsp as upstream_validate_ocsp

from .. import oids
from .signatures import GostSignatureValidator

# Inclusive lower and exclusive upper bounds (setup.cfg pins the same).
SUPPORTED_VERSIONS = ("0.33", "0.34")  # pyhanko-certvalidator
SUPPORTED_PYHANKO_VERSIONS = ("0.38", "0.39")

STREEBOG_NAMES = types.MappingProxyType({"streebog256": 256, "streebog512": 512})
UPSTREAM_HASH_LOOKUP = upstream_util.get_pyca_cryptography_hash
# The modules of pyHanko and pyhanko-certvalidator that look hashes up or compute them.
HASHING_MODULES = (
    "pyhanko_certvalidator.util",
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


def hash_algorithm(name: str) -> hashes.HashAlgorithm:
    """pyHanko's hash lookup by CMS name, Streebog included."""
    size = STREEBOG_NAMES.get(name.lower())
    if size == 256:
        return Streebog256()
    if size == 512:
        return Streebog512()
    return UPSTREAM_HASH_LOOKUP(name)


def new_hash(algorithm: hashes.HashAlgorithm) -> Any:
    """``hashes.Hash(algorithm)``, Streebog included."""
    if isinstance(algorithm, _Streebog):
        return StreebogHash(algorithm)
    return hashes.Hash(algorithm)


def _hashes_namespace() -> types.SimpleNamespace:
    """cryptography's ``hashes`` as pyHanko's modules see it, with ``Hash`` knowing Streebog."""
    upstream = {k: v for k, v in vars(hashes).items() if not k.startswith("__")}
    return types.SimpleNamespace(**{**upstream, "Hash": new_hash})


_KEY_TO_SIGNATURE = types.MappingProxyType({
    oids.GOST_KEY_256: oids.GOST_SIGN_256, oids.GOST_KEY_512: oids.GOST_SIGN_512,
    oids.GOST_KEY_2001: oids.GOST_SIGN_2001})


def signature_mechanism(algorithm: Any) -> Any:
    """The signature algorithm of a signer info; openssl and CryptoPro write the GOST key's OID
    there (RFC 4490 §3.2 allows it), which means the GOST signature with its Streebog."""
    from asn1crypto import algos

    oid = algorithm["algorithm"].dotted
    if oid in _KEY_TO_SIGNATURE:
        return algos.SignedDigestAlgorithm({"algorithm": _KEY_TO_SIGNATURE[oid]})
    return algorithm


class PyhankoSignatureValidator(GostSignatureValidator):
    """The GOST signature check of :mod:`registry.pki.validation`, also for signatures that
    name the GOST key's algorithm instead of the signature's (as openssl and CryptoPro write)."""

    def validate_signature(self, signature: bytes, signed_data: bytes, public_key_info: Any,
                           signature_algorithm: Any, context: Any = None) -> None:
        from pyhanko_certvalidator.sig_validate import DEFAULT_VALIDATION_CONTEXT

        super().validate_signature(signature, signed_data, public_key_info,
                                   signature_mechanism(signature_algorithm),
                                   context or DEFAULT_VALIDATION_CONTEXT)


PYHANKO_SIGNATURE_VALIDATOR = PyhankoSignatureValidator()


@functools.cache
def install_pyhanko() -> None:
    """Rebind the hash lookup and hashing in pyHanko's modules, and apply :func:`install`
    (idempotent: only upstream's own objects are replaced)."""
    install()
    namespace = _hashes_namespace()
    for name in HASHING_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # an optional part (the ETSI report needs xsdata)
            continue
        if getattr(module, "get_pyca_cryptography_hash", None) is UPSTREAM_HASH_LOOKUP:
            module.get_pyca_cryptography_hash = hash_algorithm  # type: ignore[attr-defined]
        if getattr(module, "hashes", None) is hashes:
            module.hashes = namespace  # type: ignore[attr-defined]


def pyhanko_context(**kwargs: Any):
    """pyhanko-certvalidator's ValidationContext with the GOST signature validator."""
    install_pyhanko()
    kwargs.setdefault("signature_validator", PYHANKO_SIGNATURE_VALIDATOR)
    return ValidationContext(**kwargs)


UPSTREAM_LAZY_PATH_ITERATOR = upstream_registry.LazyPathIterator
UPSTREAM_SUPPORTED_EXTENSIONS = upstream_validate.SUPPORTED_EXTENSIONS
UPSTREAM_RESPONDER_CONTEXT = upstream_validate_ocsp.ValidationContext

# The qualified-certificate extensions of приказ ФСБ № 795, which real accredited CAs mark
# critical; upstream looks its set up at call time.
EXTRA_CRITICAL_EXTENSIONS = frozenset({oids.SUBJECT_SIGN_TOOL, oids.ISSUER_SIGN_TOOL})


class LazyNamePathIterator(UPSTREAM_LAZY_PATH_ITERATOR):
    """Upstream's path iterator, naming the certificate only for an error.

    Upstream formats the leaf's subject (``Name.human_friendly``, costly for the long Russian
    names) whenever a path is built; only the "no issuer" message uses it.
    """

    def __init__(self, walker: Any, cert: asn1_x509.Certificate):
        maybe_trust_anchor = walker.path_builder.trust_manager.as_trust_anchor(
            AuthorityWithCert(cert))
        if maybe_trust_anchor:
            self._as_root = ValidationPath(maybe_trust_anchor, [], None)
        self._walker = walker
        self.emitted_count = 0
        self._cert = cert

    @property
    def _name(self) -> str:
        return self._cert.subject.human_friendly


class ResponderContext(ValidationContext):
    """The context upstream builds to check a delegated OCSP responder's certificate
    (id-pkix-ocsp-nocheck) omits the caller's signature validator, so a GOST responder
    certificate could never verify; this one defaults to the GOST-aware validator."""

    def __init__(self, *args: Any, signature_validator: Any = None, **kwargs: Any):
        super().__init__(*args, signature_validator=signature_validator or PYHANKO_SIGNATURE_VALIDATOR,
                         **kwargs)  # type: ignore[misc]


def install() -> None:
    """Apply every patch (idempotent)."""
    # Upstream logs every failed CRL-issuer path with a traceback; the reason reaches the
    # caller anyway.
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)
    upstream_validate.SUPPORTED_EXTENSIONS = frozenset(
        UPSTREAM_SUPPORTED_EXTENSIONS | EXTRA_CRITICAL_EXTENSIONS)
    upstream_registry.LazyPathIterator = LazyNamePathIterator  # type: ignore[misc]
    upstream_validate_ocsp.ValidationContext = ResponderContext  # type: ignore[misc]
