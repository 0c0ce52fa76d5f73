"""Pure checks of certificates that path validation leaves to the caller.

Each function looks at certificates only (no store, no network, no state) and returns why
the profile of :mod:`.policy` refuses them, or None.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import datetime

from asn1crypto import x509 as asn1_x509

from .. import reasons as R
from ..certificate import QualifiedCertificate
from .policy import (
    ALLOWED_EC_CURVES,
    GOST_2001_WITHDRAWN,
    KNOWN_CRITICAL_EXTENSIONS,
    MIN_DSA_BITS,
    MIN_RSA_BITS,
    SUPPORTED_SIGNATURES,
    WITHDRAWN_KEYS,
    WITHDRAWN_SIGNATURES,
)
from .result import Described, ca_name


def withdrawn_problem(certs: Sequence[asn1_x509.Certificate],
                      moment: datetime) -> tuple[str, dict] | None:
    """``algorithm_withdrawn`` when a certificate of the chain (leaf first) is signed with, or
    holds a key of, GOST R 34.10-2001 and ``moment`` is at or after its withdrawal."""
    if moment < GOST_2001_WITHDRAWN:
        return None
    for cert in certs:
        signed = cert["signature_algorithm"]["algorithm"].native in WITHDRAWN_SIGNATURES
        if signed or cert.public_key.algorithm in WITHDRAWN_KEYS:
            # The CA that signed it with the withdrawn algorithm, or whose certificate it is.
            ca = cert.issuer if signed or not cert.ca else cert.subject
            return R.ALGORITHM_WITHDRAWN, {"ca_name": ca_name(ca),
                                           "algorithm": "ГОСТ Р 34.10-2001"}
    return None


def name_constraint_work(leaf: asn1_x509.Certificate, issuers) -> int:
    """How many name/subtree comparisons checking ``leaf`` under ``issuers`` would take."""
    subtrees = 0
    for cert in issuers:
        constraints = cert.name_constraints_value
        if constraints is not None:
            for part in ("permitted_subtrees", "excluded_subtrees"):
                value = constraints[part]
                subtrees += len(value) if isinstance(value, asn1_x509.GeneralSubtrees) else 0
    if not subtrees:
        return 0
    # The names checked (RFC 5280 §4.2.1.10): the subject, and the subjectAltName entries or,
    # without that extension, each e-mail address attribute of the subject.
    san = leaf.subject_alt_name_value
    if san is not None:
        names = len(san)
    else:
        names = sum(1 for rdn in leaf.subject.chosen for attr in rdn
                    if attr["type"].dotted == "1.2.840.113549.1.9.1")
    return subtrees * (1 + names)


def leaf_problem(leaf: QualifiedCertificate, purpose: str = "login") -> tuple[str, dict] | None:
    """Checks of the end-entity certificate itself that path validation leaves to the caller."""
    if leaf.signature_algorithm not in SUPPORTED_SIGNATURES:
        return R.UNSUPPORTED_ALGORITHM, {"algorithm": leaf.signature_algorithm}
    cert = leaf.asn1
    usage = cert.key_usage_value
    if usage is not None and "key_cert_sign" in usage.native and not leaf.is_ca:
        # RFC 5280 §4.2.1.9: keyCertSign only together with cA.
        return R.MALFORMED, {"detail": "keyCertSign без признака удостоверяющего центра (cA)"}
    if purpose != "any" and (leaf.is_ca or (usage is not None and "key_cert_sign" in usage.native)):
        return R.CA_AS_LEAF, {}
    unknown = sorted(e for e in cert.critical_extensions if e not in KNOWN_CRITICAL_EXTENSIONS)
    if unknown:
        return R.PATH_CONSTRAINTS, {"detail": f"неизвестное критическое расширение {', '.join(unknown)}"}
    detail = _structure_problem(cert, is_leaf=True)
    if detail is not None:
        return R.MALFORMED, {"detail": detail}
    return None


_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _dns_name_ok(name: str, wildcard: bool = True) -> bool:
    """RFC 5280 §4.2.1.6 preferred name syntax (RFC 1034/1123), a leftmost "*" allowed."""
    if not name or len(name) > 253 or name.endswith("."):
        return False
    labels = name.split(".")
    if wildcard and labels[0] == "*" and len(labels) > 1:
        labels = labels[1:]
    if not all(_DNS_LABEL.match(label) for label in labels):
        return False
    return not labels[-1].isdigit()  # an all-numeric top label is an IP address, not a name


def _email_ok(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and "@" not in local and " " not in local
                and _dns_name_ok(domain, wildcard=False))


def _structure_problem(cert: asn1_x509.Certificate, *, is_leaf: bool) -> str | None:
    """RFC 5280 rules on extension contents that certificate parsing leaves unchecked."""
    eku = cert.extended_key_usage_value
    if eku is not None and len(eku) == 0:
        return "пустое расширение extendedKeyUsage (RFC 5280 §4.2.1.12)"
    usage = cert.key_usage_value
    if usage is not None and not usage.native:
        return "в keyUsage не задано ни одно назначение (RFC 5280 §4.2.1.3)"
    constraints = cert.name_constraints_value
    if constraints is not None:
        if is_leaf and not cert.ca:
            return "ограничения имён в личном сертификате (RFC 5280 §4.2.1.10)"
        if "name_constraints" not in cert.critical_extensions:
            return "ограничения имён не отмечены критическими (RFC 5280 §4.2.1.10)"
        parts = [constraints[p] for p in ("permitted_subtrees", "excluded_subtrees")]
        present = [p for p in parts if isinstance(p, asn1_x509.GeneralSubtrees)]
        if not present or any(len(p) == 0 for p in present):
            return "пустые ограничения имён (RFC 5280 §4.2.1.10)"
    san = cert.subject_alt_name_value
    if not cert.subject.chosen or len(cert.subject.chosen) == 0:
        if san is None:
            return "пустое имя владельца без альтернативного имени (RFC 5280 §4.1.2.6)"
        if "subject_alt_name" not in cert.critical_extensions:
            return ("при пустом имени владельца subjectAltName должно быть критическим "
                    "(RFC 5280 §4.2.1.6)")
    if san is not None and is_leaf:
        for general in san:
            if general.name == "dns_name" and not _dns_name_ok(general.native):
                return f"неверное DNS-имя «{general.native}» в subjectAltName"
            # A CA's own e-mail names are not used by path validation; real accredited CAs
            # carry lists such as «a@b.ru; c@d.ru» there, so only end entities are held to it.
            if general.name == "rfc822_name" and not cert.ca and not _email_ok(general.native):
                return f"неверный адрес электронной почты «{general.native}» в subjectAltName"
            if general.name == "ip_address":
                try:
                    ipaddress.ip_address(general.native)
                except ValueError:
                    return "неверный IP-адрес в subjectAltName"
    return None


def _wildcard_problem(leaf: asn1_x509.Certificate,
                      issuers: Sequence[asn1_x509.Certificate]) -> str | None:
    """A wildcard DNS name that could stand for an excluded name (the CVE-2025-61727 reading)."""
    san = leaf.subject_alt_name_value
    wildcards = [g.native[2:].lower() for g in san or () if g.name == "dns_name"
                 and g.native.startswith("*.")]
    if not wildcards:
        return None
    for issuer in issuers:
        constraints = issuer.name_constraints_value
        excluded = constraints["excluded_subtrees"] if constraints is not None else None
        if not isinstance(excluded, asn1_x509.GeneralSubtrees):
            continue
        for subtree in excluded:
            base = subtree["base"]
            if base.name != "dns_name":
                continue
            value = base.native.lower().lstrip(".")
            if any(value.endswith("." + w) for w in wildcards):
                return f"имя «*.{wildcards[0]}» покрывает запрещённое имя «{value}»"
    return None


def chain_problem(certs: Sequence[asn1_x509.Certificate], moment: datetime) -> tuple[str, dict] | None:
    """Profile rules for a built chain (leaf first, root last) that path validation leaves out.

    Path validation accepts any key it can compute with and treats the root as a bare name
    and key. A qualified chain must also not rest on a weak key (short or odd-sized RSA,
    small or explicit-parameter curves), on a version 1 certificate, on an expired root, or
    on certificates without the key identifiers and CA markings RFC 5280 requires of issuers.
    Criticality rules that RFC 5280 sets for issuing CAs but PKITS shows relying parties do
    not enforce (basicConstraints, policyConstraints) are not checked.
    """
    for position, cert in enumerate(certs):
        who = Described(cert)
        is_root, is_leaf = position == len(certs) - 1 and position > 0, position == 0
        if cert["tbs_certificate"]["version"].native != "v3":
            return R.MALFORMED, {"detail": f"сертификат «{who}» версии 1 или 2, требуется версия 3"}
        key = cert.public_key
        if key.algorithm == "rsa":
            bits = key["public_key"].parsed["modulus"].native.bit_length()
            if bits < MIN_RSA_BITS or bits % 8:
                return R.UNSUPPORTED_ALGORITHM, {"algorithm": f"RSA-{bits} («{who}»)"}
        elif key.algorithm == "ec":
            kind, curve = key.curve
            if kind != "named" or curve not in ALLOWED_EC_CURVES:
                label = curve if kind == "named" else "кривая с явными параметрами"
                return R.UNSUPPORTED_ALGORITHM, {"algorithm": f"ECDSA {label} («{who}»)"}
        elif key.algorithm == "dsa":
            params = key["algorithm"]["parameters"]
            if params.native is not None and params["p"].native.bit_length() < MIN_DSA_BITS:
                return R.UNSUPPORTED_ALGORITHM, {
                    "algorithm": f"DSA-{params['p'].native.bit_length()} («{who}»)"}
        if is_root:
            if moment > cert.not_valid_after:
                return R.EXPIRED, {"not_after": cert.not_valid_after.strftime("%d.%m.%Y"),
                                   "detail": f"истёк срок действия корневого сертификата «{who}»"}
            unknown = sorted(e for e in cert.critical_extensions if e not in KNOWN_CRITICAL_EXTENSIONS)
            if unknown:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"неизвестное критическое расширение {', '.join(unknown)} в «{who}»"}
            # The trust anchor is configured, not merely met: it must itself be a conforming
            # CA certificate (RFC 5280 §4.2.1.9), as the Russian head roots are.
            if cert.basic_constraints_value is not None and \
                    "basic_constraints" not in cert.critical_extensions:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"basicConstraints корневого сертификата «{who}» не критическое"}
        if not is_leaf:
            # RFC 5280 §6.1.4 (k): path processing needs cA; the criticality CAs "MUST" set
            # is an issuing rule that PKITS 4.6.4 shows relying parties do not enforce.
            bc = cert.basic_constraints_value
            if bc is None or not bc["ca"].native:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"у издателя «{who}» нет расширения basicConstraints с cA"}
            if cert.key_identifier is None:
                return R.PATH_CONSTRAINTS, {"detail": f"у издателя «{who}» нет идентификатора ключа"}
            if not cert.subject.contents or len(cert.subject.chosen) == 0:
                return R.PATH_CONSTRAINTS, {"detail": "у издателя пустое имя"}
            usage = cert.key_usage_value
            if usage is not None and "key_cert_sign" not in usage.native:
                return R.PATH_CONSTRAINTS, {"detail": f"издателю «{who}» не разрешено подписывать сертификаты"}
            detail = _structure_problem(cert, is_leaf=False)
            if detail is not None:
                return R.MALFORMED, {"detail": f"{detail} в «{who}»"}
        if "authority_information_access" in cert.critical_extensions:
            return R.MALFORMED, {"detail": f"в «{who}» расширение authorityInfoAccess отмечено критическим"}
        # RFC 5280 §4.2.1.1: every certificate but a self-signed one names its issuer's key
        # (a trust anchor that is itself cross-signed included).
        if not is_root or cert.self_signed == "no":
            aki = cert.authority_key_identifier_value
            if aki is None or aki["key_identifier"].native is None:
                return R.PATH_CONSTRAINTS, {
                    "detail": f"в сертификате «{who}» нет идентификатора ключа издателя"}
        if "authority_key_identifier" in cert.critical_extensions:
            return R.PATH_CONSTRAINTS, {
                "detail": f"идентификатор ключа издателя в «{who}» отмечен критическим"}
    wildcard = _wildcard_problem(certs[0], certs[1:])
    if wildcard is not None:
        return R.PATH_CONSTRAINTS, {"detail": wildcard}
    return None


def purpose_problem(cert: QualifiedCertificate, purpose: str) -> str | None:
    """Why the key usage / extended key usage do not allow ``purpose`` (None if they do)."""
    ku, eku = set(cert.key_usage), set(cert.extended_key_usage)
    if purpose == "login":
        if "digital_signature" not in ku:
            return "нет использования ключа digitalSignature"
        if "client_auth" not in eku:
            return "нет расширенного назначения clientAuth"
    elif purpose == "signature":
        if not ku & {"digital_signature", "non_repudiation"}:
            return "нет использования ключа digitalSignature или nonRepudiation"
    return None
