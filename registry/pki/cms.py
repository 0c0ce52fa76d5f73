"""Detached CMS (CAdES-BES) signatures: reading, the content digest and the signature value.

The pure cryptographic part, with no trust decision and no wording: which certificate signed,
whether the signed content is exactly these bytes, and whether the signature value is right.
RSA and ECDSA are computed with ``cryptography``; GOST R 34.10-2012 through
:mod:`registry.pki.gost`. Callers then validate the signer's certificate with
:func:`registry.pki.validate` for their purpose (documents: "signature"; sign-in: "login").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from asn1crypto import cms, pem
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from . import oids
from .certificate import MalformedCertificate, QualifiedCertificate

OK = "ok"
NOT_A_SIGNATURE = "not_a_signature"
NO_SIGNER_CERTIFICATE = "no_signer_certificate"
DIGEST_MISMATCH = "digest_mismatch"
BAD_SIGNATURE = "bad_signature"
UNSUPPORTED = "unsupported_algorithm"

_HASHES: dict[str, type[hashes.SHA1 | hashes.SHA224 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512}
_STREEBOG = {oids.GOST_DIGEST_256: 256, oids.GOST_DIGEST_512: 512,
             "streebog256": 256, "streebog512": 512}
_CHUNK = 1 << 20


@dataclass
class CmsCheck:
    """The cryptographic verdict on a detached CMS signature (no trust decision yet)."""

    code: str
    detail: str = ""
    signer: QualifiedCertificate | None = None
    signing_time: datetime | None = None
    # Other certificates carried in the signature (candidates for the signer's chain).
    intermediates: list[bytes] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.code == OK


def load_signed_data(data: bytes) -> cms.SignedData:
    """SignedData from DER, PEM («PKCS7»/«CMS») or base64 (as CryptoPro saves it)."""
    raw = data if data[:1] == b"\x30" else data.strip()  # DER may end in a "whitespace" byte
    if raw.startswith(b"-----BEGIN"):
        try:
            _label, _headers, raw = pem.unarmor(raw)
        except ValueError as exc:
            raise MalformedCertificate("повреждённый PEM") from exc
    elif raw[:1] != b"\x30":
        try:
            raw = base64.b64decode(b"".join(raw.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedCertificate("ни DER, ни PEM, ни base64") from exc
    try:
        info = cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            raise MalformedCertificate(
                f"тип содержимого {info['content_type'].native}, а не signedData")
        signed = info["content"]
        # Parse what the checks read here, not in the middle of a check. Unsigned attributes
        # (time-stamps, CAdES-X certificate and revocation values) are read only by the checks
        # that use them: an attribute this parser does not know must not refuse the signature.
        for signer_info in signed["signer_infos"]:
            for name in ("sid", "digest_algorithm", "signed_attrs", "signature_algorithm", "signature"):
                signer_info[name].native
        return signed
    except MalformedCertificate:
        raise
    except Exception as exc:  # asn1crypto reports broken input with many exception types
        raise MalformedCertificate(f"структура CMS повреждена ({type(exc).__name__})") from exc


def chunks(content: bytes | BinaryIO) -> Iterable[bytes]:
    if isinstance(content, (bytes, bytearray, memoryview)):
        yield bytes(content)
        return
    content.seek(0)
    while chunk := content.read(_CHUNK):
        yield chunk


def content_digest(algorithm: str, content: bytes | BinaryIO) -> bytes:
    """Digest of ``content`` with a CMS digest algorithm; LookupError if unsupported."""
    if algorithm in (oids.GOST_DIGEST_94, "gost94"):
        from .gost import backend

        return backend().gost94(content if isinstance(content, bytes) else b"".join(chunks(content)))
    if algorithm in _STREEBOG:
        from .gost import backend

        # The GOST backends hash one buffer; callers bound the content's size.
        data = content if isinstance(content, bytes) else b"".join(chunks(content))
        return backend().streebog(_STREEBOG[algorithm], data)
    if algorithm not in _HASHES and algorithm not in hashlib.algorithms_available:
        raise LookupError(algorithm)
    h = hashlib.new(algorithm)
    for chunk in chunks(content):
        h.update(chunk)
    return h.digest()


def find_signer(signed: cms.SignedData,
                signer_info: cms.SignerInfo) -> asn1_x509.Certificate | None:
    """The certificate among the signature's certificates that the signer info names."""
    sid = signer_info["sid"]
    for choice in signed["certificates"] or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            if (cert.issuer == sid.chosen["issuer"]
                    and cert.serial_number == sid.chosen["serial_number"].native):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return None


def verify_signature_value(cert: asn1_x509.Certificate, signer_info: cms.SignerInfo,
                           signed_bytes: bytes, digest_algorithm: str) -> None:
    """Raise InvalidSignature or LookupError (unsupported algorithm)."""
    signature = signer_info["signature"].native
    algorithm = signer_info["signature_algorithm"]["algorithm"].dotted
    key_algorithm = cert.public_key.algorithm
    if key_algorithm in ("gost2012_256", "gost2012_512") \
            or algorithm in (oids.GOST_SIGN_256, oids.GOST_SIGN_512):
        from .gost import backend

        if not backend().verify(cert.public_key.dump(), signed_bytes, signature):
            raise InvalidSignature()
        return
    if digest_algorithm not in _HASHES:
        raise LookupError(digest_algorithm)
    public_key = load_der_public_key(cert.public_key.dump())
    digest = _HASHES[digest_algorithm]()
    if isinstance(public_key, rsa.RSAPublicKey):
        name = signer_info["signature_algorithm"].signature_algo
        if name == "rsassa_pss":
            params = signer_info["signature_algorithm"]["parameters"]
            pss_hash = _HASHES[params["hash_algorithm"]["algorithm"].native]()
            public_key.verify(signature, signed_bytes, padding.PSS(
                mgf=padding.MGF1(pss_hash), salt_length=params["salt_length"].native), pss_hash)
        else:
            public_key.verify(signature, signed_bytes, padding.PKCS1v15(), digest)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, signed_bytes, ec.ECDSA(digest))
    else:
        raise LookupError(key_algorithm)


def signed_attribute(signer_info: cms.SignerInfo, name: str):
    attrs = signer_info["signed_attrs"]
    if not attrs:
        return None
    for attr in attrs:
        if attr["type"].native == name:
            return attr["values"][0].native
    return None


def check_detached(signature: bytes, content: bytes | BinaryIO) -> CmsCheck:
    """Verify a detached CMS signature over ``content`` cryptographically. Never raises."""
    try:
        signed = load_signed_data(signature)
    except MalformedCertificate as exc:
        return CmsCheck(NOT_A_SIGNATURE, str(exc))
    if not len(signed["signer_infos"]):
        return CmsCheck(NOT_A_SIGNATURE, "в подписи нет ни одного подписанта")
    signer_info = signed["signer_infos"][0]
    cert = find_signer(signed, signer_info)
    if cert is None:
        return CmsCheck(NO_SIGNER_CERTIFICATE)
    try:
        signer = QualifiedCertificate(cert.dump(), cert)
    except MalformedCertificate as exc:
        return CmsCheck(NOT_A_SIGNATURE, f"сертификат подписанта не читается: {exc}")
    others = [c.chosen.dump() for c in signed["certificates"] or []
              if c.name == "certificate" and c.chosen.dump() != cert.dump()]
    base = {"signer": signer, "signing_time": signed_attribute(signer_info, "signing_time"),
            "intermediates": others}
    digest_algorithm = signer_info["digest_algorithm"]["algorithm"].native
    try:
        computed = content_digest(digest_algorithm, content)
        if signer_info["signed_attrs"]:
            if signed_attribute(signer_info, "message_digest") != computed:
                return CmsCheck(DIGEST_MISMATCH, **base)
            # The signature covers the attributes re-encoded as a SET, not as [0] IMPLICIT.
            encoded = signer_info["signed_attrs"].dump()
            signed_bytes = b"\x31" + encoded[1:]
        else:
            signed_bytes = content if isinstance(content, bytes) else b"".join(chunks(content))
        verify_signature_value(cert, signer_info, signed_bytes, digest_algorithm)
    except LookupError as exc:
        return CmsCheck(UNSUPPORTED, str(exc.args[0] if exc.args else exc), **base)
    except (InvalidSignature, ValueError):
        return CmsCheck(BAD_SIGNATURE, **base)
    except Exception as exc:  # a GOST backend error on a broken key is still a bad signature
        return CmsCheck(BAD_SIGNATURE, type(exc).__name__, **base)
    return CmsCheck(OK, **base)
