"""Signature checks for pyhanko-certvalidator: GOST R 34.10 here, the rest upstream.

:class:`ProfileSignatureValidator` is made for one candidate path: it is given that path's
keys with inherited DSA parameters (RFC 5280 §6.1.4 (f)) and the cache of verified
signatures, so nothing reaches it through shared state.
"""

from __future__ import annotations

import hashlib
from typing import Any

from asn1crypto import keys as asn1_keys
from cryptography.exceptions import InvalidSignature
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    DefaultSignatureValidator,
    SignatureValidationContext,
)

from .. import oids
from .cache import Memo


class GostSignatureValidator(DefaultSignatureValidator):
    """Signature checks for pyhanko-certvalidator: GOST R 34.10-2012 here, the rest upstream."""

    def validate_signature(self, signature: bytes, signed_data: bytes, public_key_info: Any,
                           signature_algorithm: Any,
                           context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT) -> None:
        oid = signature_algorithm["algorithm"].dotted
        if oid == oids.GOST_SIGN_2001:
            self._validate_gost2001(signature, signed_data, public_key_info, context)
            return
        size = oids.GOST_SIGNATURES.get(oid)
        if size is None:
            return super().validate_signature(signature, signed_data, public_key_info,
                                              signature_algorithm, context)
        if oids.GOST_KEYS.get(public_key_info["algorithm"]["algorithm"].dotted) != size:
            raise InvalidSignature("GOST key does not match the signature algorithm")
        from ..gost import GostError, backend

        try:
            # prehashed: pyHanko hashed the content itself (CMS without signed attributes)
            check = backend().verify_digest if context.prehashed else backend().verify
            ok = check(public_key_info.dump(), signed_data, signature)
        except GostError as exc:
            raise InvalidSignature(str(exc)) from exc
        if not ok:
            raise InvalidSignature("GOST signature mismatch")

    @staticmethod
    def _validate_gost2001(signature: bytes, signed_data: bytes, public_key_info: Any,
                           context: SignatureValidationContext) -> None:
        # Whether the moment still allows the algorithm is decided by withdrawn_problem().
        key_oid = public_key_info["algorithm"]["algorithm"].dotted
        if key_oid != oids.GOST_KEY_2001 or context.prehashed:
            raise InvalidSignature("GOST R 34.10-2001 key does not match the signature algorithm")
        from ..gost import GostError, backend

        try:
            ok = backend().verify_gost2001(public_key_info.dump(), signed_data, signature)
        except GostError as exc:  # GostUnavailable included: fail closed
            raise InvalidSignature(str(exc)) from exc
        if not ok:
            raise InvalidSignature("GOST R 34.10-2001 signature mismatch")


SIGNATURE_VALIDATOR = GostSignatureValidator()


class ProfileSignatureValidator(DefaultSignatureValidator):
    """:data:`SIGNATURE_VALIDATOR` with DSA parameter inheritance and remembered successes.

    Path validation carries inherited DSA parameters in its working key, but the issuer's key
    used for a CRL or OCSP response is taken from the certificate as is: ``inherited`` maps
    such a key (DER) to the key with its parameters (see :func:`inherited_keys`). The
    algorithm decisions themselves stay with :data:`SIGNATURE_VALIDATOR`.
    """

    def __init__(self, verified: Memo[bool],
                 inherited: dict[bytes, asn1_keys.PublicKeyInfo] | None = None):
        self._verified = verified
        self._inherited = inherited or {}

    def validate_signature(self, signature: bytes, signed_data: bytes, public_key_info: Any,
                           signature_algorithm: Any,
                           context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT
                           ) -> None:
        if self._inherited and public_key_info["algorithm"]["algorithm"].native == "dsa" and \
                public_key_info["algorithm"]["parameters"].native is None:
            public_key_info = self._inherited.get(public_key_info.dump(), public_key_info)
        digest = hashlib.sha256()
        for part in (public_key_info.dump(), signature_algorithm.dump(), signature, signed_data):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        key = (digest.digest(), context.prehashed, context.contextual_md_algorithm)
        if self._verified.get(key):
            return None
        SIGNATURE_VALIDATOR.validate_signature(signature, signed_data, public_key_info,
                                               signature_algorithm, context)
        self._verified.put(key, True)
        return None


def inherited_keys(path: ValidationPath) -> dict[bytes, asn1_keys.PublicKeyInfo]:
    """Public keys of the path whose DSA parameters come from the certificate above."""
    found: dict[bytes, asn1_keys.PublicKeyInfo] = {}
    working = path.trust_anchor.authority.public_key
    for cert in [*path.iter_certs(include_root=False)]:
        key = cert.public_key
        inherits = key["algorithm"]["algorithm"].native == "dsa" and \
            key["algorithm"]["parameters"].native is None
        if inherits and working["algorithm"]["algorithm"].native == "dsa":
            full = key.copy()
            full["algorithm"]["parameters"] = working["algorithm"]["parameters"].copy()
            found[key.dump()] = full
            working = full
        else:
            working = key
    return found
