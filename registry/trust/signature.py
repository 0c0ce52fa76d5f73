"""The trust list's own signature: Минцифры signs TSL.xml with an enveloped GOST XMLDSig.

``import-tsl`` accepts a list only when it verifies (:mod:`registry.pki.xmldsig`) with one of
the certificates configured in ``REGISTRY_TSL_SIGNER_CERT`` (a file with one or more
certificates, PEM or DER, or a directory of them: the ministry's current and next signing
certificate). The certificate is pinned, not path-validated (the list is what makes CAs
trusted in the first place), and must be valid on the list's date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import pem

from ..pki import MalformedCertificate, QualifiedCertificate, load_certificate
from ..pki.store import CERT_SUFFIXES
from ..pki.xmldsig import VerifiedXml, XmlSignatureError, verify_enveloped
from .tsl import MOSCOW, TslError

CONFIG_KEY = "REGISTRY_TSL_SIGNER_CERT"


@dataclass(frozen=True)
class ListSignature:
    signed_data: bytes  # the signed content of the list: what is parsed
    signer: QualifiedCertificate
    algorithm: str

    def describe(self) -> dict:
        return {"subject": self.signer.subject, "sha256": self.signer.fingerprint,
                "not_after": self.signer.not_after.isoformat(), "algorithm": self.algorithm}


def check_signed_at(signature: ListSignature, list_date: datetime) -> None:
    """The signer's certificate must be valid on the list's own date; TslError if not."""
    cert = signature.signer
    if not cert.not_before <= list_date <= cert.not_after:
        raise TslError(
            f"список от {list_date.astimezone(MOSCOW):%d.%m.%Y} подписан сертификатом "
            f"«{cert.subject}», который действует с {cert.not_before.astimezone(MOSCOW):%d.%m.%Y} "
            f"по {cert.not_after.astimezone(MOSCOW):%d.%m.%Y}; хранилище не изменено")


def _read_certificates(path: Path) -> list[QualifiedCertificate]:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in CERT_SUFFIXES) \
        if path.is_dir() else [path]
    certs = []
    for file in files:
        data = file.read_bytes()
        blocks = [der for _label, _h, der in pem.unarmor(data, multiple=True)] \
            if pem.detect(data) else [data]
        for der in blocks:
            try:
                certs.append(load_certificate(der))
            except MalformedCertificate as exc:
                raise TslError(f"{CONFIG_KEY}: {file} не читается как сертификат ({exc})") from None
    return certs


def signer_certificates(config: Mapping) -> list[QualifiedCertificate]:
    """The configured certificates the list must be signed with; TslError if none."""
    value = str(config.get(CONFIG_KEY) or "").strip()
    if not value:
        raise TslError(
            f"не задан сертификат Минцифры, которым подписан список ({CONFIG_KEY}): без него "
            f"подпись списка не проверить")
    path = Path(value)
    try:
        certs = _read_certificates(path)
    except OSError as exc:
        raise TslError(f"{CONFIG_KEY}: не удалось прочитать {path}: {exc.strerror or exc}") from None
    if not certs:
        raise TslError(f"{CONFIG_KEY}: в {path} нет сертификатов")
    return certs


def verify_list_signature(config: Mapping, data: bytes) -> ListSignature:
    """The list's verified signature and signed content; TslError (store kept) if refused."""
    try:
        certs = signer_certificates(config)
    except TslError as exc:
        raise TslError(f"{exc}; хранилище не изменено") from None
    try:
        verified: VerifiedXml = verify_enveloped(data, certs)
    except XmlSignatureError as exc:
        raise TslError(f"подпись списка не принята: {exc}; хранилище не изменено") from None
    return ListSignature(verified.signed_data, verified.certificate, verified.signature_method)
