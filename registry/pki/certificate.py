"""Certificate loading and the qualified identity it carries (spec §2)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import datetime, timezone
from functools import cached_property
from typing import Any
from urllib.parse import unquote

from asn1crypto import core, pem, x509

from registry import identifiers

from . import asn1 as _asn1  # noqa: F401  (registers GOST identifiers)
from . import oids

MAX_CERTIFICATE_SIZE = 64 * 1024
_PEM_LABELS = {"CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"}
_B64_RE = re.compile(rb"^[A-Za-z0-9+/=\s]+$")

# Display labels for subject attributes, in the order they are shown.
_NAME_LABELS = {
    "2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.42": "G", "2.5.4.12": "T", "2.5.4.10": "O",
    "2.5.4.11": "OU", "2.5.4.6": "C", "2.5.4.8": "S", "2.5.4.7": "L", "2.5.4.9": "STREET",
    "1.2.840.113549.1.9.1": "E", oids.OGRN: "ОГРН", oids.OGRNIP: "ОГРНИП", oids.SNILS: "СНИЛС",
    oids.INN_LE: "ИНН ЮЛ", oids.INN: "ИНН", "2.5.4.20": "TEL", "2.5.4.16": "PostalAddress",
    "2.5.4.17": "PostalCode",
}
HOLDER_KIND_LABELS = {
    "legal_entity": "Сертификат юридического лица (руководитель или уполномоченное лицо)",
    "entrepreneur": "Сертификат индивидуального предпринимателя",
    "individual": "Сертификат физического лица",
}
QUIRK_LABELS = {
    "inn_le_holds_kpp": "в атрибуте «ИНН ЮЛ» записан КПП — не используется",
    "inn_padded": "ИНН организации записан в атрибут ИНН с дополнением «00»",
    "unreadable_extension": "некритическое расширение не читается и пропущено",
}
_EC_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


class _SignTools(core.SequenceOf):
    """issuerSignTool: names and certificate numbers of the CA's tools (four UTF8Strings)."""

    _child_spec = core.UTF8String


class MalformedCertificate(ValueError):
    """The input is not a readable X.509 certificate."""


def _decode_pem(data: bytes) -> bytes:
    try:
        label, _headers, der = pem.unarmor(data)
    except Exception as exc:
        raise MalformedCertificate("повреждённый PEM") from exc
    if label not in _PEM_LABELS:
        raise MalformedCertificate(f"в PEM не сертификат, а «{label}»")
    return der


def to_der(data: bytes | str) -> bytes:
    """Return DER bytes from PEM, DER, base64 or nginx's URL-escaped PEM."""
    if isinstance(data, (bytes, bytearray)) and data[:1] != b"\x30" and b"%" in data[:64]:
        data = data.decode("ascii", "replace")  # nginx's $ssl_client_escaped_cert saved to a file
    if isinstance(data, str):
        text = data.strip()
        if "%" in text and "BEGIN" in unquote(text[:64]):
            text = unquote(text)
        data = text.encode("ascii", "replace")
    if not data:
        raise MalformedCertificate("пустые данные")
    if len(data) > MAX_CERTIFICATE_SIZE * 2:
        raise MalformedCertificate("слишком большой объём данных для сертификата")
    stripped = data.strip()
    if stripped.startswith(b"-----BEGIN"):
        der = _decode_pem(stripped)
    elif data[:1] == b"\x30":
        der = data
    elif _B64_RE.match(stripped):
        try:
            der = base64.b64decode(b"".join(stripped.split()), validate=True)
        except binascii.Error as exc:
            raise MalformedCertificate("неверная кодировка base64") from exc
    else:
        raise MalformedCertificate("данные не похожи на сертификат (PEM, DER или base64)")
    if len(der) > MAX_CERTIFICATE_SIZE:
        raise MalformedCertificate("слишком большой объём данных для сертификата")
    return der


def _attr_value(value: Any) -> str | None:
    try:
        native = value.native
        if isinstance(native, bytes):
            native = core.Asn1Value.load(native).native
    except Exception:
        try:
            native = core.Asn1Value.load(value.dump()).native
        except Exception:
            return None
    if isinstance(native, dict):  # a SEQUENCE read without a schema: its items in order
        native = list(native.values())
    if isinstance(native, (list, tuple)) and all(isinstance(item, str) for item in native):
        native = ", ".join(native)  # postalAddress: a sequence of lines
    if native is None or not isinstance(native, (str, int)):
        return None
    return str(native).strip()


def parse_name(name: x509.Name) -> list[tuple[str, str]]:
    """Return (OID, value) pairs of a distinguished name, in order."""
    pairs = []
    for rdn in name.chosen:
        for attr in rdn:
            try:
                value = _attr_value(attr["value"])
            except ValueError:  # an unexpected string type: read the value as it is encoded
                value = _attr_value(core.Sequence.load(attr.dump())[1])
            if value is not None:
                pairs.append((attr["type"].dotted, value))
    return pairs


def format_name(pairs: list[tuple[str, str]]) -> str:
    """Readable one-line form of a name, with Russian labels for qualified attributes."""
    return ", ".join(f"{_NAME_LABELS.get(oid, oid)}={value}" for oid, value in pairs)


class QualifiedCertificate:
    """A parsed certificate and the qualified identity of its holder (read-only)."""

    def __init__(self, der: bytes, asn1: x509.Certificate):
        self.der = der
        self.asn1 = asn1
        # Non-critical extensions that could not be decoded and are ignored (their OIDs).
        self.unreadable_extensions: list[str] = []

    @cached_property
    def not_before(self) -> datetime:
        return self.asn1["tbs_certificate"]["validity"]["not_before"].native

    @cached_property
    def not_after(self) -> datetime:
        return self.asn1["tbs_certificate"]["validity"]["not_after"].native

    @cached_property
    def _ext(self) -> dict[str, x509.Extension]:
        """Extensions by dotted OID (filled by :func:`load_certificate`, else on first use)."""
        return {e["extn_id"].dotted: e for e in self.asn1["tbs_certificate"]["extensions"] or ()}

    # Names are decoded when first asked for: validation of a new chain mostly needs none.
    @cached_property
    def _subject(self) -> list[tuple[str, str]]:
        return parse_name(self.asn1["tbs_certificate"]["subject"])

    @cached_property
    def _issuer(self) -> list[tuple[str, str]]:
        return parse_name(self.asn1["tbs_certificate"]["issuer"])

    # --- identity -------------------------------------------------------------------------
    def _get(self, oid: str) -> str | None:
        for key, value in self._subject:
            if key == oid:
                return value
        return None

    def _digits(self, oid: str) -> str | None:
        value = self._get(oid)
        return identifiers.digits(value) if value else None

    @cached_property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def pem(self) -> str:
        return pem.armor("CERTIFICATE", self.der).decode("ascii")

    @cached_property
    def serial(self) -> str:
        return format(self.asn1.serial_number, "X") if self.asn1.serial_number >= 0 else str(self.asn1.serial_number)

    @property
    def subject(self) -> str:
        return format_name(self._subject)

    @property
    def issuer(self) -> str:
        return format_name(self._issuer)

    @property
    def issuer_common_name(self) -> str | None:
        for key, value in self._issuer:
            if key == "2.5.4.3":
                return value
        return None

    @property
    def snils(self) -> str | None:
        return self._digits(oids.SNILS)

    @property
    def inn(self) -> str | None:
        return self._digits(oids.INN)

    @cached_property
    def _inn_le_attribute(self) -> str | None:
        """The ИНН ЮЛ attribute, unless it holds something else (some CAs put the КПП there)."""
        value = self._digits(oids.INN_LE)
        if value is not None and len(value) == 9 and identifiers.check_kpp(value) is None:
            return None
        return value

    @property
    def kpp_in_inn_le(self) -> str | None:
        """A КПП found in the ИНН ЮЛ attribute (flagged, never used as an ИНН)."""
        value = self._digits(oids.INN_LE)
        return value if value is not None and self._inn_le_attribute is None else None

    @property
    def inn_le(self) -> str | None:
        value = self._inn_le_attribute
        if value is None:
            # Before 2021 the company ИНН was put into the personal ИНН attribute, padded "00".
            inn = self.inn
            if inn and len(inn) == 12 and inn.startswith("00") and self.ogrn:
                return inn[2:]
        return value

    @cached_property
    def quirks(self) -> list[str]:
        """Deviations from the qualified-certificate profile that were read around."""
        found = []
        if self.kpp_in_inn_le:
            found.append("inn_le_holds_kpp")
        inn = self.inn
        if inn and len(inn) == 12 and inn.startswith("00") and self.ogrn:
            found.append("inn_padded")
        if self.unreadable_extensions:
            found.append("unreadable_extension")
        return found

    @property
    def personal_inn(self) -> str | None:
        """The holder's own ИНН, ignoring the pre-2021 padded company ИНН."""
        inn = self.inn
        if inn and inn.startswith("00") and self.ogrn:
            return None
        return inn

    @property
    def ogrn(self) -> str | None:
        return self._digits(oids.OGRN)

    @property
    def ogrnip(self) -> str | None:
        return self._digits(oids.OGRNIP)

    surname = property(lambda self: self._get("2.5.4.4"))
    given_names = property(lambda self: self._get("2.5.4.42"))
    common_name = property(lambda self: self._get("2.5.4.3"))
    title = property(lambda self: self._get("2.5.4.12"))
    organization = property(lambda self: self._get("2.5.4.10"))
    org_unit = property(lambda self: self._get("2.5.4.11"))
    country = property(lambda self: self._get("2.5.4.6"))
    region = property(lambda self: self._get("2.5.4.8"))
    locality = property(lambda self: self._get("2.5.4.7"))
    street = property(lambda self: self._get("2.5.4.9"))

    @property
    def email(self) -> str | None:
        value = self._get("1.2.840.113549.1.9.1")
        if value:
            return value
        for name in self.asn1.subject_alt_name_value or []:
            if name.name == "rfc822_name":
                return name.native
        return None

    @property
    def full_name(self) -> str:
        """ФИО from SN and G, else CN."""
        parts = [p for p in (self.surname, self.given_names) if p]
        return " ".join(parts) if parts else (self.common_name or "")

    @property
    def holder_kind(self) -> str:
        if self.ogrn or self._digits(oids.INN_LE):
            return "legal_entity"
        if self.ogrnip:
            return "entrepreneur"
        return "individual"

    @property
    def holder_kind_label(self) -> str:
        return HOLDER_KIND_LABELS[self.holder_kind]

    @cached_property
    def checksum_errors(self) -> list[str]:
        """Names of identifiers present in the certificate whose checksum is wrong."""
        checks = [
            ("СНИЛС", self.snils, identifiers.check_snils),
            ("ИНН", self.inn, lambda v: identifiers.check_inn(v, 12)),
            ("ИНН ЮЛ", self._inn_le_attribute, lambda v: identifiers.check_inn(v, 10)),
            ("ОГРН", self.ogrn, identifiers.check_ogrn),
            ("ОГРНИП", self.ogrnip, identifiers.check_ogrnip),
        ]
        errors = []
        for label, value, check in checks:
            if value is None:
                continue
            if label == "ИНН" and value.startswith("00") and self.ogrn:
                value = value[2:]
                check = lambda v: identifiers.check_inn(v, 10)  # noqa: E731
            if check(value):
                errors.append(label)
        return errors

    def account_key(self) -> tuple[str, str]:
        """What identifies the person across renewed certificates: СНИЛС, ИНН, or the cert."""
        if self.snils and "СНИЛС" not in self.checksum_errors:
            return ("snils", self.snils)
        if self.personal_inn and "ИНН" not in self.checksum_errors:
            return ("inn", self.personal_inn)
        return ("cert", self.fingerprint)

    # --- validity and key -----------------------------------------------------------------
    def days_left(self, now: datetime | None = None) -> int:
        now = now or datetime.now(timezone.utc)
        return (self.not_after - now).days

    @cached_property
    def private_key_usage_period(self) -> tuple[datetime | None, datetime | None]:
        ext = self._ext.get("2.5.29.16")
        if ext is None:
            return (None, None)
        try:
            value = ext["extn_value"].parsed
            return (value["not_before"].native, value["not_after"].native)
        except Exception:
            return (None, None)

    private_key_not_before = property(lambda self: self.private_key_usage_period[0])
    private_key_not_after = property(lambda self: self.private_key_usage_period[1])

    @cached_property
    def key_algorithm(self) -> str:
        return self.asn1.public_key.algorithm

    @cached_property
    def parameter_set(self) -> str | None:
        info = self.asn1.public_key
        algo = info.algorithm
        params = info["algorithm"]["parameters"]
        if algo.startswith("gost"):
            oid = params["public_key_param_set"].dotted
            return oids.GOST_PARAMSETS.get(oid, oid)
        if algo == "ec":
            return params.chosen.native if params.name == "named" else "explicit"
        return None

    @cached_property
    def algorithm(self) -> str:
        algo = self.key_algorithm
        info = self.asn1.public_key
        if algo == "gost2012_256":
            return "ГОСТ Р 34.10-2012 (256 бит)"
        if algo == "gost2012_512":
            return "ГОСТ Р 34.10-2012 (512 бит)"
        if algo == "gost2001":
            return "ГОСТ Р 34.10-2001"
        if algo == "ec":
            return f"ECDSA {_EC_CURVES.get(self.parameter_set or '', self.parameter_set)}"
        if algo in ("rsa", "rsassa_pss"):
            return f"RSA {info.bit_size}"
        return algo

    @cached_property
    def signature_algorithm(self) -> str:
        return self.asn1["signature_algorithm"]["algorithm"].native

    @cached_property
    def key_usage(self) -> list[str]:
        return sorted(self.asn1.key_usage_value.native) if self.asn1.key_usage_value else []

    @cached_property
    def extended_key_usage(self) -> list[str]:
        value = self.asn1.extended_key_usage_value
        return list(value.native) if value else []

    @cached_property
    def qualified_classes(self) -> list[str]:
        policies = self.asn1.certificate_policies_value
        if not policies:
            return []
        found = [oids.QUALIFIED_CLASSES.get(p["policy_identifier"].dotted) for p in policies]
        return [c for c in found if c]

    @cached_property
    def subject_sign_tool(self) -> str | None:
        ext = self._ext.get(oids.SUBJECT_SIGN_TOOL)
        if ext is None:
            return None
        try:
            return _attr_value(core.Asn1Value.load(ext["extn_value"].contents))
        except Exception:
            return None

    @cached_property
    def issuer_sign_tool(self) -> list[str]:
        ext = self._ext.get(oids.ISSUER_SIGN_TOOL)
        if ext is None:
            return []
        try:
            return [str(item) for item in _SignTools.load(ext["extn_value"].contents).native]
        except Exception:
            return []

    @property
    def is_ca(self) -> bool:
        return bool(self.asn1.ca)

    @property
    def is_self_signed(self) -> bool:
        return self.asn1.self_signed in ("yes", "maybe")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description of everything the certificate says."""
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "fingerprint_sha256": self.fingerprint,
            "full_name": self.full_name,
            "snils": self.snils,
            "inn": self.personal_inn,
            "inn_le": self.inn_le,
            "ogrn": self.ogrn,
            "ogrnip": self.ogrnip,
            "title": self.title,
            "organization": self.organization,
            "org_unit": self.org_unit,
            "email": self.email,
            "holder_kind": self.holder_kind,
            "holder_kind_label": self.holder_kind_label,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "private_key_not_before": _iso(self.private_key_not_before),
            "private_key_not_after": _iso(self.private_key_not_after),
            "algorithm": self.algorithm,
            "parameter_set": self.parameter_set,
            "signature_algorithm": self.signature_algorithm,
            "key_usage": self.key_usage,
            "extended_key_usage": self.extended_key_usage,
            "qualified_classes": self.qualified_classes,
            "subject_sign_tool": self.subject_sign_tool,
            "issuer_sign_tool": self.issuer_sign_tool,
            "is_ca": self.is_ca,
            "checksum_errors": self.checksum_errors,
            "kpp_in_inn_le": self.kpp_in_inn_le,
            "quirks": self.quirks,
            "quirk_labels": [QUIRK_LABELS[q] for q in self.quirks],
            "unreadable_extensions": self.unreadable_extensions,
        }

    def __repr__(self) -> str:
        return f"<QualifiedCertificate {self.subject!r} serial={self.serial}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, QualifiedCertificate) and other.der == self.der

    def __hash__(self) -> int:
        return hash(self.der)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def unreadable_subject(data: bytes | str) -> str | None:
    """Best effort: the subject of a certificate that load_certificate() refuses, or None.

    Lets a refusal caused by an unreadable CA certificate name that CA.
    """
    try:
        lenient = x509.Certificate.load(to_der(data))
        return format_name(parse_name(lenient["tbs_certificate"]["subject"])) or None
    except Exception:
        return None


def load_certificate(data: bytes | str) -> QualifiedCertificate:
    """Parse a certificate in PEM, DER, base64 or URL-escaped PEM.

    Raises MalformedCertificate for anything that is not a well-formed X.509 certificate.
    """
    der = to_der(data)
    try:
        asn1 = x509.Certificate.load(der, strict=True)
        cert = QualifiedCertificate(der, asn1)
        # Touch what later code relies on so that broken encodings fail here, not later.
        asn1.public_key.algorithm
        asn1["signature_value"].native
        extensions: dict[str, x509.Extension] = {}
        count = 0
        for ext in asn1["tbs_certificate"]["extensions"] or ():
            oid = ext["extn_id"].dotted
            extensions[oid] = ext
            count += 1
            # RFC 5280 §4.2: an extension that cannot be decoded is kept raw and ignored,
            # unless it is critical or one that validation relies on.
            problem = _asn1.extension_problem(ext)
            if problem is None:
                continue
            if ext["critical"].native:
                raise MalformedCertificate(f"критическое расширение {oid} не читается")
            if ext["extn_id"].native in _asn1.USED_EXTENSIONS:
                raise MalformedCertificate(f"расширение {ext['extn_id'].native} не читается")
            cert.unreadable_extensions.append(oid)
        cert.__dict__["_ext"] = extensions
        cert.key_usage, cert.extended_key_usage, cert.is_ca
        cert.not_before, cert.not_after
        if count != len(extensions):
            raise MalformedCertificate("расширение повторяется (RFC 5280 §4.2)")
        serial = asn1.serial_number
        if serial <= 0 or len(asn1["tbs_certificate"]["serial_number"].contents) > 20:
            raise MalformedCertificate("недопустимый серийный номер (RFC 5280 §4.1.2.2)")
    except MalformedCertificate:
        raise
    except Exception as exc:
        raise MalformedCertificate(f"структура сертификата повреждена ({type(exc).__name__})") from exc
    return cert
