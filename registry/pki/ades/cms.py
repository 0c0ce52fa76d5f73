"""Reading CAdES signatures (ETSI EN 319 122-1, RFC 5126): what each signer info carries.

A signature is read lazily: only the parts a check uses are parsed, so an unsigned attribute
this reader does not know (or one that is huge) never refuses the whole signature. The
CAdES-X attributes asn1crypto does not define are declared here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import algos, cms, core, crl, ocsp, x509

from ..certificate import MalformedCertificate
from ..cms import load_signed_data

SIGNATURE_TIME_STAMP = "signature_time_stamp_token"
CERTIFICATE_REFS = "complete_certificate_refs"
REVOCATION_REFS = "complete_revocation_refs"
CERTIFICATE_VALUES = "certificate_values"
REVOCATION_VALUES = "revocation_values"
ESC_TIME_STAMP = "esc_time_stamp"
REFS_ONLY_TIME_STAMP = "time_stamped_certs_crls_refs"
ARCHIVE_TIME_STAMP_V2 = "archive_time_stamp_v2"
ARCHIVE_TIME_STAMP_V3 = "archive_time_stamp_v3"
_ATTRIBUTE_OIDS = {
    "1.2.840.113549.1.9.16.2.21": CERTIFICATE_REFS,
    "1.2.840.113549.1.9.16.2.22": REVOCATION_REFS,
    "1.2.840.113549.1.9.16.2.23": CERTIFICATE_VALUES,
    "1.2.840.113549.1.9.16.2.24": REVOCATION_VALUES,
    "1.2.840.113549.1.9.16.2.25": ESC_TIME_STAMP,
    "1.2.840.113549.1.9.16.2.26": REFS_ONLY_TIME_STAMP,
    "1.2.840.113549.1.9.16.2.27": "archive_time_stamp_v1",
    "1.2.840.113549.1.9.16.2.48": ARCHIVE_TIME_STAMP_V2,
    "0.4.0.1733.2.4": ARCHIVE_TIME_STAMP_V3,
}


class OtherHashAlgAndValue(core.Sequence):
    _fields = [("hash_algorithm", algos.DigestAlgorithm), ("hash_value", core.OctetString)]


class OtherHash(core.Choice):
    _alternatives = [("sha1_hash", core.OctetString), ("other_hash", OtherHashAlgAndValue)]


class OtherCertID(core.Sequence):
    _fields = [("other_cert_hash", OtherHashAlgAndValue), ("issuer_serial", core.Any, {"optional": True})]


class CompleteCertificateRefs(core.SequenceOf):
    _child_spec = OtherCertID


class CrlValidatedID(core.Sequence):
    _fields = [("crl_hash", OtherHashAlgAndValue), ("crl_identifier", core.Any, {"optional": True})]


class CRLListID(core.SequenceOf):
    _child_spec = CrlValidatedID


class CrlOcspRef(core.Sequence):
    _fields = [("crlids", CRLListID, {"explicit": 0, "optional": True}),
               ("ocspids", core.Any, {"explicit": 1, "optional": True}),
               ("other_rev", core.Any, {"explicit": 2, "optional": True})]


class CompleteRevocationRefs(core.SequenceOf):
    _child_spec = CrlOcspRef


class CertificateValues(core.SequenceOf):
    _child_spec = x509.Certificate


class CrlValues(core.SequenceOf):
    _child_spec = crl.CertificateList


class OcspValues(core.SequenceOf):
    _child_spec = ocsp.BasicOCSPResponse


class RevocationValues(core.Sequence):
    _fields = [("crl_vals", CrlValues, {"explicit": 0, "optional": True}),
               ("ocsp_vals", OcspValues, {"explicit": 1, "optional": True}),
               ("other_rev_vals", core.Any, {"explicit": 2, "optional": True})]


def _set_of(spec: type) -> type:
    return type(f"SetOf{spec.__name__}", (core.SetOf,), {"_child_spec": spec})


def _install() -> None:
    cms.CMSAttributeType._map.update(_ATTRIBUTE_OIDS)
    # asn1crypto builds the reverse map once per class; it may have been built already.
    cms.CMSAttributeType._reverse_map = {name: oid for oid, name in cms.CMSAttributeType._map.items()}
    specs = {CERTIFICATE_REFS: CompleteCertificateRefs, REVOCATION_REFS: CompleteRevocationRefs,
             CERTIFICATE_VALUES: CertificateValues, REVOCATION_VALUES: RevocationValues}
    specs.update({name: cms.ContentInfo for name in (
        ESC_TIME_STAMP, REFS_ONLY_TIME_STAMP, "archive_time_stamp_v1", ARCHIVE_TIME_STAMP_V2,
        ARCHIVE_TIME_STAMP_V3)})
    cms.CMSAttribute._oid_specs.update({name: _set_of(spec) for name, spec in specs.items()})


_install()


@dataclass
class Unsigned:
    """The unsigned attributes of one signer info, by name, still unparsed (raw DER values)."""

    values: dict[str, list[bytes]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return bool(self.values.get(name))


def unsigned_attributes(signer_info: cms.SignerInfo) -> Unsigned:
    """Each unsigned attribute's values as DER, without parsing them (never raises)."""
    out = Unsigned()
    attrs = signer_info["unsigned_attrs"]
    if not attrs:
        return out
    # Only the attribute type and the SET's element boundaries are read here.
    for attr in attrs:
        name = attr["type"].native
        raw_values = attr["values"]
        contents = raw_values.contents or b""
        items: list[bytes] = []
        offset = 0
        while offset < len(contents):
            end = _element_end(contents, offset)
            items.append(contents[offset:end])
            offset = end
        out.values.setdefault(name, []).extend(items)
        out.sizes[name] = out.sizes.get(name, 0) + len(contents)
    return out


def _element_end(data: bytes, offset: int) -> int:
    from asn1crypto.parser import _parse

    return _parse(data, len(data), offset)[1]


def read(data: bytes) -> cms.SignedData:
    """SignedData from DER, PEM or base64; MalformedCertificate if it is not one.

    Only the envelope is parsed here; each signer info is parsed when it is checked, after
    the number of signers has been bounded (no forced parse of the whole structure)."""
    raw = data if data[:1] == b"\x30" else None
    if raw is None:
        # PEM and base64 through the common reader, which then parses fully: such files are small.
        return load_signed_data(data)
    try:
        info = cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            raise MalformedCertificate(f"тип содержимого {info['content_type'].native}, а не signedData")
        signed = info["content"]
        len(signed["signer_infos"])
        return signed
    except MalformedCertificate:
        raise
    except Exception as exc:  # asn1crypto reports broken input with many exception types
        raise MalformedCertificate(f"структура CMS повреждена ({type(exc).__name__})") from exc


def claimed_signing_time(signer_info: cms.SignerInfo) -> datetime | None:
    attrs = signer_info["signed_attrs"]
    for attr in attrs or []:
        if attr["type"].native == "signing_time":
            try:
                return attr["values"][0].native
            except Exception:  # a broken time claims nothing
                return None
    return None


def certificates(signed: cms.SignedData) -> list[x509.Certificate]:
    return [c.chosen for c in signed["certificates"] or [] if c.name == "certificate"]


def value_of(raw: bytes, spec: Any) -> Any:
    """One attribute value parsed with ``spec``; MalformedCertificate if it does not parse."""
    try:
        parsed = spec.load(raw)
        parsed.native  # noqa: B018 - forces the parse here, where the error is expected
        return parsed
    except Exception as exc:
        raise MalformedCertificate(f"атрибут повреждён ({type(exc).__name__})") from exc
