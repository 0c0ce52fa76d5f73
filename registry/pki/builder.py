"""Issue certificates and CRLs (demo PKI and test fixtures) with RSA, ECDSA or GOST keys.

Everything is assembled with asn1crypto so that one code path serves all three algorithms;
only the final signature differs.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from asn1crypto import algos, core, keys, x509
from asn1crypto import crl as asn1_crl
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from . import asn1 as _asn1  # noqa: F401
from . import oids

ALGORITHMS = ("gost256", "ecdsa", "rsa")
_NUMERIC = {oids.OGRN, oids.SNILS, oids.INN_LE, oids.OGRNIP, oids.INN}
_NAME_TYPES = {
    "CN": "common_name", "SN": "surname", "G": "given_name", "T": "title",
    "O": "organization_name", "OU": "organizational_unit_name", "C": "country_name",
    "S": "state_or_province_name", "L": "locality_name", "STREET": "street_address",
    "E": "email_address",
}


@dataclass
class KeyPair:
    """A private key of any supported algorithm with what issuing needs from it."""

    algorithm: str
    private: Any

    def public_key_info(self) -> keys.PublicKeyInfo:
        if self.algorithm.startswith("gost"):
            return keys.PublicKeyInfo.load(self.private.public_key_info())
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return keys.PublicKeyInfo.load(der)

    def signature_algorithm(self) -> dict:
        if self.algorithm == "rsa":
            return {"algorithm": "sha256_rsa", "parameters": core.Null()}
        if self.algorithm == "ecdsa":
            return {"algorithm": "sha256_ecdsa"}
        return {"algorithm": oids.GOST_SIGN_512 if self.algorithm == "gost512" else oids.GOST_SIGN_256}

    def sign(self, data: bytes) -> bytes:
        if self.algorithm == "rsa":
            return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if self.algorithm == "ecdsa":
            return self.private.sign(data, ec.ECDSA(hashes.SHA256()))
        from .gost import backend

        return backend().sign(self.private, data)

    def private_pem(self) -> bytes:
        """PKCS#8 PEM (unencrypted: demo and test keys only)."""
        if self.algorithm.startswith("gost"):
            from asn1crypto import pem

            return pem.armor("PRIVATE KEY", self.private.to_pkcs8_der())
        return self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())


def generate_key(algorithm: str) -> KeyPair:
    """New key: "rsa" (2048), "ecdsa" (P-256), "gost256" (TC26 A) or "gost512" (TC26 A)."""
    if algorithm == "rsa":
        return KeyPair("rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    if algorithm == "ecdsa":
        return KeyPair("ecdsa", ec.generate_private_key(ec.SECP256R1()))
    if algorithm in ("gost256", "gost512"):
        from .gost import generate_private_key

        return KeyPair(algorithm, generate_private_key("tc26-256-A" if algorithm == "gost256" else "tc26-512-A"))
    raise ValueError(f"unknown algorithm {algorithm!r}")


def load_key(algorithm: str, pem_data: bytes) -> KeyPair:
    """Load a key written by :meth:`KeyPair.private_pem`."""
    if algorithm.startswith("gost"):
        from asn1crypto import pem

        from .gost import GostPrivateKey

        _label, _h, der = pem.unarmor(pem_data)
        return KeyPair(algorithm, GostPrivateKey.from_pkcs8_der(der))
    return KeyPair(algorithm, serialization.load_pem_private_key(pem_data, password=None))


def build_name(attrs: Sequence[tuple[str, str]]) -> x509.Name:
    """Name from (label or OID, value) pairs; labels as in :data:`_NAME_TYPES`."""
    rdns = []
    for label, value in attrs:
        oid = _NAME_TYPES.get(label, label)
        if oid in _NUMERIC:
            attr_value: Any = core.NumericString(value)
        elif oid == "country_name":
            attr_value = core.PrintableString(value)
        elif oid == "email_address":
            attr_value = x509.EmailAddress(value)
        elif oid in _NAME_TYPES.values():
            attr_value = x509.DirectoryString(name="utf8_string", value=value)
        else:
            attr_value = core.UTF8String(value)
        rdns.append(x509.RelativeDistinguishedName([x509.NameTypeAndValue({"type": oid, "value": attr_value})]))
    return x509.Name(name="", value=x509.RDNSequence(rdns))


def _time(value: datetime) -> x509.Time:
    return x509.Time(name="utc_time" if 1950 <= value.year < 2050 else "general_time", value=value)


def _ext(extn_id: str, value: Any, critical: bool = False) -> x509.Extension:
    return x509.Extension({"extn_id": extn_id, "critical": critical, "extn_value": value})


def new_serial() -> int:
    return secrets.randbits(127) | (1 << 126)


def build_certificate(*, subject: Sequence[tuple[str, str]], subject_key: KeyPair, issuer_key: KeyPair,
                      issuer: x509.Certificate | None, not_before: datetime, not_after: datetime,
                      serial: int | None = None, ca: bool = False, path_len: int | None = None,
                      key_usage: Iterable[str] = ("digital_signature", "non_repudiation", "key_encipherment"),
                      extended_key_usage: Iterable[str] = ("client_auth", "email_protection"),
                      extended_key_usage_critical: bool = False,
                      crl_url: str | None = None, policies: Iterable[str] = (),
                      subject_sign_tool: str | None = None, issuer_sign_tool: Sequence[str] = (),
                      private_key_usage: tuple[datetime, datetime] | None = None,
                      dns_names: Sequence[str] = (), signature_algorithm: dict | None = None,
                      corrupt_signature: bool = False,
                      extra_extensions: Sequence[tuple[str, bytes, bool]] = (),
                      subject_name: x509.Name | None = None) -> x509.Certificate:
    """Issue a certificate; ``issuer=None`` makes it self-signed with ``issuer_key``.

    ``extra_extensions`` are added as given, undecoded, and ``subject_name`` replaces the name
    built from ``subject``, so tests can reproduce the encodings real CAs produce.
    """
    spki = subject_key.public_key_info()
    name = subject_name if subject_name is not None else build_name(subject)
    issuer_name = issuer.subject if issuer is not None else name
    issuer_spki = issuer.public_key if issuer is not None else spki
    extensions = [
        _ext("basic_constraints", {"ca": ca, "path_len_constraint": path_len if ca else None}, critical=True),
        _ext("key_usage", x509.KeyUsage(set(key_usage)), critical=True),
        _ext("key_identifier", hashlib.sha1(spki["public_key"].contents[1:]).digest()),
        _ext("authority_key_identifier",
             {"key_identifier": hashlib.sha1(issuer_spki["public_key"].contents[1:]).digest()}),
    ]
    eku = list(extended_key_usage)
    if eku and not ca:
        # A TSA's timeStamping must be its only, critical purpose (RFC 3161 §2.3).
        extensions.append(_ext("extended_key_usage", eku, critical=extended_key_usage_critical))
    if crl_url:
        extensions.append(_ext("crl_distribution_points", [{"distribution_point": x509.DistributionPointName(
            name="full_name", value=[x509.GeneralName(name="uniform_resource_identifier", value=crl_url)])}]))
    if policies:
        extensions.append(_ext("certificate_policies", [{"policy_identifier": p} for p in policies]))
    if subject_sign_tool:
        extensions.append(_ext(oids.SUBJECT_SIGN_TOOL, core.UTF8String(subject_sign_tool).dump()))
    if issuer_sign_tool:
        seq = core.SequenceOf(spec=core.UTF8String)
        for item in issuer_sign_tool:
            seq.append(item)
        extensions.append(_ext(oids.ISSUER_SIGN_TOOL, seq.dump()))
    if private_key_usage:
        extensions.append(_ext("private_key_usage_period", {
            "not_before": core.GeneralizedTime(private_key_usage[0]),
            "not_after": core.GeneralizedTime(private_key_usage[1])}))
    if dns_names:
        extensions.append(_ext("subject_alt_name", [x509.GeneralName(name="dns_name", value=d) for d in dns_names]))
    for extn_id, raw_value, critical in extra_extensions:  # (OID, DER of the value, critical)
        parts = [core.ObjectIdentifier(extn_id).dump()]
        if critical:
            parts.append(core.Boolean(True).dump())
        parts.append(core.OctetString(raw_value).dump())
        body = b"".join(parts)
        encoded = core.Sequence.load(core.Sequence(contents=body).dump()).dump()
        extensions.append(x509.Extension.load(encoded))
    sig_alg = algos.SignedDigestAlgorithm(signature_algorithm or issuer_key.signature_algorithm())
    tbs = x509.TbsCertificate({
        "version": "v3",
        "serial_number": serial or new_serial(),
        "signature": sig_alg,
        "issuer": issuer_name,
        "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
        "subject": name,
        "subject_public_key_info": spki,
        "extensions": extensions,
    })
    signature = issuer_key.sign(tbs.dump()) if signature_algorithm is None else secrets.token_bytes(64)
    if corrupt_signature:
        signature = bytes([signature[0] ^ 0x01]) + signature[1:]
    return x509.Certificate({"tbs_certificate": tbs, "signature_algorithm": sig_alg,
                             "signature_value": signature})


def build_crl(*, issuer: x509.Certificate, issuer_key: KeyPair, this_update: datetime,
              next_update: datetime, revoked: Iterable[tuple[int, datetime]] = (),
              number: int = 1) -> asn1_crl.CertificateList:
    """Issue a CRL listing ``revoked`` (serial, revocation date) pairs."""
    entries = [{"user_certificate": serial, "revocation_date": _time(when),
                "crl_entry_extensions": [{"extn_id": "crl_reason", "critical": False,
                                          "extn_value": "key_compromise"}]}
               for serial, when in revoked]
    sig_alg = algos.SignedDigestAlgorithm(issuer_key.signature_algorithm())
    tbs = asn1_crl.TbsCertList({
        "version": "v2",
        "signature": sig_alg,
        "issuer": issuer.subject,
        "this_update": _time(this_update),
        "next_update": _time(next_update),
        "revoked_certificates": entries or None,
        "crl_extensions": [
            {"extn_id": "crl_number", "critical": False, "extn_value": number},
            {"extn_id": "authority_key_identifier", "critical": False,
             "extn_value": {"key_identifier": hashlib.sha1(issuer.public_key["public_key"].contents[1:]).digest()}},
        ],
    })
    return asn1_crl.CertificateList({"tbs_cert_list": tbs, "signature_algorithm": sig_alg,
                                     "signature": issuer_key.sign(tbs.dump())})


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)
