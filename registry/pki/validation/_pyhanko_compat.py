"""Every change this product makes to pyhanko-certvalidator, in one place.

Each patch depends on upstream's internals as of the versions in :data:`SUPPORTED_VERSIONS`
(the same range is pinned in setup.cfg); tests/pki/test_pyhanko_compat.py checks the shape
each one relies on, so an upgrade that moves it fails there first. :func:`install` applies
them once; importing :mod:`.path` does it.
"""

from __future__ import annotations

import logging
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import registry as upstream_registry
from pyhanko_certvalidator import validate as upstream_validate
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.revinfo import validate_ocsp as upstream_validate_ocsp

from .. import oids
from .signatures import SIGNATURE_VALIDATOR

# pyhanko-certvalidator, inclusive lower and exclusive upper bound (setup.cfg pins the same).
SUPPORTED_VERSIONS = ("0.33", "0.34")

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
        super().__init__(*args, signature_validator=signature_validator or SIGNATURE_VALIDATOR,
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
