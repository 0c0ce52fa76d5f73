"""Teach asn1crypto the GOST algorithm identifiers.

asn1crypto refuses to parse a SubjectPublicKeyInfo whose algorithm it does not know, which
would make every Russian qualified certificate unreadable (and break path validation, which
looks at the issuer's key). Registering the identifiers once, at import, keeps all other code
free of special cases.
"""

from __future__ import annotations

from asn1crypto import algos, core, keys, x509

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


# -- name comparison ---------------------------------------------------------------------------
# Path building and CRL matching compare names many times per validation, and asn1crypto
# recomputes the RFC 5280-normalised form of a name on every comparison. The normal form
# depends only on the encoded bytes, so it is remembered by them (bounded, cleared when full).
_NAME_FORMS: dict[bytes, str] = {}
_NAME_FORMS_LIMIT = 8192
_normalised = x509.RDNSequence.hashable.fget


def _remembered_hashable(self: x509.RDNSequence) -> str:
    # The raw bytes as parsed: the public ``contents`` walks the whole tree for mutations
    # first, which costs more than the normalisation it would save (names are never mutated).
    encoded = self._contents if self._contents is not None else self.dump()
    form = _NAME_FORMS.get(encoded)
    if form is None:
        if len(_NAME_FORMS) >= _NAME_FORMS_LIMIT:
            _NAME_FORMS.clear()
        form = _NAME_FORMS[encoded] = _normalised(self)
    return form


x509.RDNSequence.hashable = property(_remembered_hashable)


def _equal_by_normal_form(self: x509.RDNSequence, other: object) -> bool:
    # RFC 5280 §7.1 equality is equality of the normalised forms, which are remembered above.
    return isinstance(other, x509.RDNSequence) and self.hashable == other.hashable


x509.RDNSequence.__eq__ = _equal_by_normal_form


# -- tolerant reading (RFC 5280 §4.2) ----------------------------------------------------------
# Real CAs encode some attributes and extensions with a string type other than the one the
# standard names: the Microsoft certificate-template name (1.3.6.1.4.1.311.20.2) as UTF8String
# or PrintableString instead of BMPString, telephoneNumber as UTF8String. Any string type is
# accepted for these; what cannot be decoded at all is kept raw (see below).
class AnyString(core.Choice):
    """Any ASN.1 character string."""

    _alternatives = [
        ("utf8_string", core.UTF8String),
        ("printable_string", core.PrintableString),
        ("bmp_string", core.BMPString),
        ("ia5_string", core.IA5String),
        ("numeric_string", core.NumericString),
        ("teletex_string", x509.NotReallyTeletexString),
        ("universal_string", core.UniversalString),
        ("visible_string", core.VisibleString),
    ]


# Extensions that path validation, revocation checking or the purpose checks read: they must
# decode even when not critical (a malformed subjectAltName or AIA is a malformed certificate).
# Any other non-critical extension that does not decode is kept raw and ignored.
USED_EXTENSIONS = frozenset({
    "key_identifier", "key_usage", "subject_alt_name", "basic_constraints", "name_constraints",
    "crl_distribution_points", "certificate_policies", "policy_mappings",
    "authority_key_identifier", "policy_constraints", "inhibit_any_policy", "extended_key_usage",
    "authority_information_access", "freshest_crl", "ocsp_no_check",
})


def _install_tolerance() -> None:
    x509.ExtensionId._map.setdefault("1.3.6.1.4.1.311.20.2", "microsoft_enroll_certtype")
    x509.Extension._oid_specs["microsoft_enroll_certtype"] = AnyString
    x509.NameTypeAndValue._oid_specs["telephone_number"] = AnyString

    prepped = x509.NameTypeAndValue.prepped_value.fget

    def tolerant_prepped(self: x509.NameTypeAndValue) -> str:
        # A value that does not decode compares by its exact encoding (RFC 5280 §7.1 allows
        # binary comparison), instead of breaking every comparison of the name.
        try:
            return prepped(self)
        except (ValueError, TypeError):  # undecodable, or not a string (postalAddress)
            if self._prepped is None:
                self._prepped = "#" + (self.contents or b"").hex()
            return self._prepped

    x509.NameTypeAndValue.prepped_value = property(tolerant_prepped)

    def tolerant_set_extensions(self: x509.Certificate) -> None:
        # asn1crypto decodes every extension it knows when any one is asked for; one broken
        # non-critical extension must not make the others (and the certificate) unusable.
        self._critical_extensions = set()
        for extension in self["tbs_certificate"]["extensions"]:
            name = extension["extn_id"].native
            critical = bool(extension["critical"].native)
            attribute_name = f"_{name}_value"
            if hasattr(self, attribute_name):
                try:
                    value = extension["extn_value"].parsed
                    if value is not None:
                        value.native
                except ValueError:
                    if critical or name in USED_EXTENSIONS:
                        raise
                    value = None
                setattr(self, attribute_name, value)
            if critical:
                self._critical_extensions.add(name)
        self._processed_extensions = True

    x509.Certificate._set_extensions = tolerant_set_extensions


# Dotted forms of the object identifiers met so far, by encoding. asn1crypto decodes each OID
# object anew, dozens per certificate; the vocabulary is small, and
# the table stops growing at its limit so that crafted input cannot inflate it.
_DOTTED: dict[bytes, str] = {}
_DOTTED_LIMIT = 8192


def _install_oid_memo() -> None:
    decode = core.ObjectIdentifier.dotted.fget

    def dotted(self: core.ObjectIdentifier) -> str:
        if self._dotted is None:
            contents = self.contents
            known = _DOTTED.get(contents) if contents is not None else None
            if known is None:
                known = decode(self)
                if contents is not None and len(_DOTTED) < _DOTTED_LIMIT:
                    _DOTTED[contents] = known
            self._dotted = known
        return self._dotted

    core.ObjectIdentifier.dotted = property(dotted)


_install_tolerance()
_install_oid_memo()


def extension_problem(extension: x509.Extension) -> str | None:
    """Why an extension's value cannot be decoded, or None when it can.

    Whether that is acceptable depends on ``critical`` and on USED_EXTENSIONS.
    """
    try:
        value = extension["extn_value"].parsed
        if value is not None:
            value.native
    except ValueError as exc:
        return str(exc).splitlines()[0]
    return None
