"""Teach asn1crypto the GOST algorithm identifiers.

asn1crypto refuses to parse a SubjectPublicKeyInfo whose algorithm it does not know, which
would make every Russian qualified certificate unreadable (and break path validation, which
looks at the issuer's key). Registering the identifiers once, at import, keeps all other code
free of special cases.
"""

from __future__ import annotations

from asn1crypto import algos, core, keys

from . import oids

KEY_NAMES = {oids.GOST_KEY_256: "gost2012_256", oids.GOST_KEY_512: "gost2012_512",
             oids.GOST_KEY_2001: "gost2001"}
SIGNATURE_NAMES = {oids.GOST_SIGN_256: "gost2012_256_streebog",
                   oids.GOST_SIGN_512: "gost2012_512_streebog",
                   oids.GOST_SIGN_2001: "gost2001_gost94"}
DIGEST_NAMES = {oids.GOST_DIGEST_256: "streebog256", oids.GOST_DIGEST_512: "streebog512"}


class GostPublicKeyParameters(core.Sequence):
    """GostR3410-2012-PublicKeyParameters (RFC 9215 §4.2)."""

    _fields = [
        ("public_key_param_set", core.ObjectIdentifier),
        ("digest_param_set", core.ObjectIdentifier, {"optional": True}),
        ("encryption_param_set", core.ObjectIdentifier, {"optional": True}),
    ]


def _register(oid_class: type[core.ObjectIdentifier], names: dict[str, str]) -> None:
    oid_class._map.update(names)
    oid_class._reverse_map = None  # rebuilt lazily from _map


def _install() -> None:
    _register(keys.PublicKeyAlgorithmId, KEY_NAMES)
    _register(algos.SignedDigestAlgorithmId, SIGNATURE_NAMES)
    _register(algos.DigestAlgorithmId, DIGEST_NAMES)
    for name in KEY_NAMES.values():
        keys.PublicKeyAlgorithm._oid_specs[name] = GostPublicKeyParameters

    original = keys.PublicKeyInfo._public_key_spec

    def public_key_spec(self: keys.PublicKeyInfo):
        if self["algorithm"]["algorithm"].native in KEY_NAMES.values():
            # The key is a DER OCTET STRING inside the BIT STRING; keep it opaque.
            return (keys.OctetBitString, None)
        return original(self)

    keys.PublicKeyInfo._spec_callbacks = {"public_key": public_key_spec}


_install()
