"""The demo PKI: CAs, people and special-case certificates in GOST, ECDSA and RSA.

Used by ``registry pki demo-ca``, ``make demo`` and the test suite, so that every certificate
the tests use is issued by the project's own code. Building is idempotent: an existing
directory is reused, and CRLs are re-issued when they get close to their nextUpdate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import pem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from registry.identifiers import make_inn, make_ogrn, make_ogrnip, make_snils

from . import oids
from .builder import (
    ALGORITHMS,
    KeyPair,
    build_certificate,
    build_crl,
    generate_key,
    load_key,
    utcnow,
)
from .certificate import QualifiedCertificate, load_certificate

P12_PASSWORD = "demo"
CRL_URL = "http://localhost:8443/crl/{name}.crl"
SIGN_TOOL = "СКЗИ «Демо-CSP» (версия 5.0)"
ISSUER_TOOLS = ("ПАК «Демо УЦ»", "СКЗИ «Демо-CSP»", "Сертификат соответствия № СФ/000-0000",
                "Сертификат соответствия № СФ/000-0001")

ORGANIZATION = {
    "name": "ООО «РОМАШКА»",
    "full_name": "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «РОМАШКА»",
    "ogrn": make_ogrn("102770000001"),
    "inn": make_inn("770100001"),
    "kpp": "770101001",
}
ENTREPRENEUR_OGRNIP = make_ogrnip("30477000000001")

# (surname, given names, СНИЛС prefix, ИНН prefix, kind, title)
PEOPLE: dict[str, dict[str, Any]] = {
    "head": {"surname": "Иванов", "given": "Иван Иванович", "snils": make_snils("112233445"),
             "inn": make_inn("7701234567"), "kind": "legal_entity", "title": "Генеральный директор"},
    "ip": {"surname": "Петров", "given": "Пётр Петрович", "snils": make_snils("223344556"),
           "inn": make_inn("7702345678"), "kind": "entrepreneur", "title": None},
    "employee1": {"surname": "Сидорова", "given": "Анна Сергеевна", "snils": make_snils("334455667"),
                  "inn": make_inn("7703456789"), "kind": "individual", "title": None},
    "employee2": {"surname": "Кузнецов", "given": "Олег Викторович", "snils": make_snils("445566778"),
                  "inn": make_inn("7704567890"), "kind": "individual", "title": None},
}
REVOKED_PERSON = "employee2"
SPECIAL_KINDS = ("expired", "not_yet_valid", "wrong_purpose", "untrusted", "ca_as_leaf",
                 "bad_signature", "path_constraints", "unsupported_algorithm")
ALG_LABELS = {"gost256": "ГОСТ", "ecdsa": "ECDSA", "rsa": "RSA"}


def person_subject(name: str, alg: str = "") -> list[tuple[str, str]]:
    """Subject attributes of a demo person's certificate, as a real CA would write them."""
    p = PEOPLE[name]
    fio = f"{p['surname']} {p['given']}"
    attrs: list[tuple[str, str]] = [("C", "RU"), ("S", "77 г. Москва"), ("L", "Москва")]
    if p["kind"] == "legal_entity":
        attrs += [("O", ORGANIZATION["name"]), ("T", p["title"]), ("STREET", "ул. Тверская, д. 1"),
                  (oids.OGRN, ORGANIZATION["ogrn"]), (oids.INN_LE, ORGANIZATION["inn"]),
                  ("CN", ORGANIZATION["name"])]
    elif p["kind"] == "entrepreneur":
        attrs += [(oids.OGRNIP, ENTREPRENEUR_OGRNIP), ("CN", fio)]
    else:
        attrs += [("CN", fio)]
    attrs += [("SN", p["surname"]), ("G", p["given"]), (oids.SNILS, p["snils"]), (oids.INN, p["inn"]),
              ("E", f"{name}@example.ru")]
    return attrs


@dataclass
class DemoCert:
    """One issued certificate on disk with its key (and PKCS#12 for RSA/ECDSA)."""

    cert_path: Path
    key_path: Path
    p12_path: Path | None = None

    @property
    def certificate(self) -> QualifiedCertificate:
        return load_certificate(self.cert_path.read_bytes())

    @property
    def pem(self) -> str:
        return self.cert_path.read_text()


@dataclass
class DemoPKI:
    """Paths of a demo PKI directory (see :func:`build_demo_pki`)."""

    root: Path
    manifest: dict = field(default_factory=dict)

    @property
    def trust_dir(self) -> Path:
        return self.root / "trust"

    def person(self, name: str, alg: str) -> DemoCert:
        base = self.root / "people" / f"{name}-{alg}"
        p12 = base.with_suffix(".p12")
        return DemoCert(base.with_suffix(".crt"), base.with_suffix(".key"), p12 if p12.exists() else None)

    def special(self, kind: str, alg: str) -> DemoCert:
        base = self.root / "special" / f"{kind}-{alg}"
        return DemoCert(base.with_suffix(".crt"), base.with_suffix(".key"))

    def ca(self, alg: str, level: str = "ca") -> DemoCert:
        """``level`` "root" or "ca" (the intermediate that issues people's certificates)."""
        return DemoCert(self.trust_dir / f"{level}-{alg}.crt", self.root / "private" / f"{level}-{alg}.key")

    def untrusted_root(self, alg: str) -> Path:
        return self.root / "special" / f"untrusted-root-{alg}.crt"

    def extra_ca(self, alg: str) -> Path:
        """The sub-CA below the path-length limit (pass it as an intermediate)."""
        return self.root / "special" / f"subca-{alg}.crt"

    @property
    def tsl_signer(self) -> DemoCert:
        """The demo «Минцифры» certificate that signs the demo trust lists (GOST 2012-256)."""
        return DemoCert(self.root / "tsl" / "signer-gost256.crt", self.root / "private" / "tsl-signer-gost256.key")

    @property
    def server_cert_path(self) -> Path:
        return self.root / "tls" / "server.crt"

    @property
    def server_key_path(self) -> Path:
        return self.root / "tls" / "server.key"


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    if private:
        tmp.chmod(0o600)
    tmp.replace(path)


def _cert_pem(cert) -> bytes:
    return pem.armor("CERTIFICATE", cert.dump())


def _p12(key: KeyPair, cert, chain: list, name: str) -> bytes:
    from cryptography import x509 as cx509

    return pkcs12.serialize_key_and_certificates(
        name.encode(), key.private, cx509.load_der_x509_certificate(cert.dump()),
        [cx509.load_der_x509_certificate(c.dump()) for c in chain],
        serialization.BestAvailableEncryption(P12_PASSWORD.encode()))


def build_demo_pki(outdir: str | Path, *, now: datetime | None = None,
                   algorithms: tuple[str, ...] = ALGORITHMS) -> DemoPKI:
    """Create (or reuse) the demo PKI in ``outdir`` and return its paths."""
    root_dir = Path(outdir)
    demo = DemoPKI(root_dir)
    manifest_path = root_dir / "manifest.json"
    now = now or utcnow()
    if manifest_path.exists():
        demo.manifest = json.loads(manifest_path.read_text())
        if set(algorithms) <= set(demo.manifest.get("algorithms", [])):
            refresh_crls(demo, now=now)
            if not demo.tsl_signer.cert_path.exists():  # a demo PKI made before lists were signed
                _build_tsl_signer(demo, now)
            return demo
    manifest: dict[str, Any] = {"algorithms": list(algorithms), "p12_password": P12_PASSWORD, "people": {},
                                "organization": ORGANIZATION, "ogrnip": ENTREPRENEUR_OGRNIP}
    for alg in algorithms:
        _build_algorithm(demo, alg, now, manifest)
    _build_tls(demo, now)
    _build_tsl_signer(demo, now)
    _write(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
    demo.manifest = manifest
    return demo


def _ca_pair(demo: DemoPKI, alg: str, now: datetime, label: str) -> tuple[Any, KeyPair, Any, KeyPair]:
    root_key = generate_key(alg)
    root = build_certificate(
        subject=[("C", "RU"), ("O", f"Демо УЦ {label}"), ("CN", f"Демо корневой УЦ ({label})"),
                 (oids.OGRN, make_ogrn("102770000099")), (oids.INN_LE, make_inn("770100099"))],
        subject_key=root_key, issuer_key=root_key, issuer=None, not_before=now - timedelta(days=30),
        not_after=now + timedelta(days=3650), ca=True, path_len=1,
        key_usage={"key_cert_sign", "crl_sign", "digital_signature"},
        issuer_sign_tool=ISSUER_TOOLS, subject_sign_tool=SIGN_TOOL)
    ca_key = generate_key(alg)
    ca = build_certificate(
        subject=[("C", "RU"), ("O", f"Демо УЦ {label}"), ("CN", f"Демо УЦ ({label})")],
        subject_key=ca_key, issuer_key=root_key, issuer=root, not_before=now - timedelta(days=30),
        not_after=now + timedelta(days=1825), ca=True, path_len=0,
        key_usage={"key_cert_sign", "crl_sign", "digital_signature"},
        crl_url=CRL_URL.format(name=f"root-{alg}"), issuer_sign_tool=ISSUER_TOOLS, subject_sign_tool=SIGN_TOOL)
    return root, root_key, ca, ca_key


def _leaf(subject, key: KeyPair, ca_key: KeyPair, issuer_cert, alg: str, now: datetime, **kw):
    params: dict[str, Any] = dict(not_before=now - timedelta(days=1), not_after=now + timedelta(days=365),
                  crl_url=CRL_URL.format(name=f"ca-{alg}"), policies=["1.2.643.100.113.1", "1.2.643.100.113.2"],
                  subject_sign_tool=SIGN_TOOL, issuer_sign_tool=ISSUER_TOOLS,
                  private_key_usage=(now - timedelta(days=1), now + timedelta(days=365)))
    params.update(kw)
    return build_certificate(subject=subject, subject_key=key, issuer_key=ca_key, issuer=issuer_cert, **params)


def _build_algorithm(demo: DemoPKI, alg: str, now: datetime, manifest: dict) -> None:
    label = ALG_LABELS[alg]
    root, root_key, ca, ca_key = _ca_pair(demo, alg, now, label)
    for level, cert, key in (("root", root, root_key), ("ca", ca, ca_key)):
        _write(demo.trust_dir / f"{level}-{alg}.crt", _cert_pem(cert))
        _write(demo.root / "private" / f"{level}-{alg}.key", key.private_pem(), private=True)

    revoked_serials: list[int] = []
    for name in PEOPLE:
        key = generate_key(alg)
        cert = _leaf(person_subject(name), key, ca_key, ca, alg, now)
        base = demo.root / "people" / f"{name}-{alg}"
        _write(base.with_suffix(".crt"), _cert_pem(cert))
        _write(base.with_suffix(".key"), key.private_pem(), private=True)
        if not alg.startswith("gost"):
            _write(base.with_suffix(".p12"), _p12(key, cert, [ca, root], f"{name}-{alg}"), private=True)
        if name == REVOKED_PERSON:
            revoked_serials.append(cert.serial_number)
        manifest["people"].setdefault(name, {**PEOPLE[name], "certificates": {}})["certificates"][alg] = {
            "serial": format(cert.serial_number, "X"), "cert": str(base.with_suffix(".crt").relative_to(demo.root))}
    manifest.setdefault("revoked", {})[alg] = [format(s, "X") for s in revoked_serials]
    _write(demo.root / "private" / f"revoked-{alg}.json", json.dumps(revoked_serials).encode())
    _issue_crls(demo, alg, now)
    _build_specials(demo, alg, now, root, root_key, ca, ca_key)


def _issue_crls(demo: DemoPKI, alg: str, now: datetime) -> None:
    revoked = json.loads((demo.root / "private" / f"revoked-{alg}.json").read_text())
    for level in ("root", "ca"):
        cert = demo.ca(alg, level).certificate.asn1
        key = load_key(alg, demo.ca(alg, level).key_path.read_bytes())
        entries = [(s, now - timedelta(hours=1)) for s in revoked] if level == "ca" else []
        crl = build_crl(issuer=cert, issuer_key=key, this_update=now - timedelta(minutes=5),
                        next_update=now + timedelta(days=30), revoked=entries,
                        number=int(now.timestamp()))
        _write(demo.trust_dir / f"{level}-{alg}.crl", pem.armor("X509 CRL", crl.dump()))


def refresh_crls(demo: DemoPKI, *, now: datetime | None = None, min_left: timedelta = timedelta(days=7)) -> bool:
    """Re-issue CRLs that expire within ``min_left``; True if any were re-issued."""
    from .store import load_crl

    now = now or utcnow()
    changed = False
    for alg in demo.manifest.get("algorithms", []):
        crl_path = demo.trust_dir / f"ca-{alg}.crl"
        fresh = (crl_path.exists() and load_crl(crl_path.read_bytes())["tbs_cert_list"]["next_update"].native
                 > now + min_left)
        if not fresh:
            _issue_crls(demo, alg, now)
            changed = True
    return changed


def _build_specials(demo: DemoPKI, alg: str, now: datetime, root, root_key, ca, ca_key) -> None:
    special = demo.root / "special"
    subject = person_subject("employee1")

    def save(kind: str, cert, key: KeyPair) -> None:
        _write(special / f"{kind}-{alg}.crt", _cert_pem(cert))
        _write(special / f"{kind}-{alg}.key", key.private_pem(), private=True)

    key = generate_key(alg)
    save("expired", _leaf(subject, key, ca_key, ca, alg, now, not_before=now - timedelta(days=400),
                          not_after=now - timedelta(days=35)), key)
    save("not_yet_valid", _leaf(subject, key, ca_key, ca, alg, now, not_before=now + timedelta(days=30),
                                not_after=now + timedelta(days=395)), key)
    save("wrong_purpose", _leaf(subject, key, ca_key, ca, alg, now, key_usage={"key_encipherment"},
                                extended_key_usage=("email_protection",)), key)
    save("bad_signature", _leaf(subject, key, ca_key, ca, alg, now, corrupt_signature=True), key)
    save("unsupported_algorithm", _leaf(subject, key, ca_key, ca, alg, now,
                                        signature_algorithm={"algorithm": "md5_rsa"}), key)
    ca_leaf_key = generate_key(alg)
    save("ca_as_leaf", _leaf(subject, ca_leaf_key, ca_key, ca, alg, now, ca=True,
                             key_usage={"key_cert_sign", "digital_signature"}), ca_leaf_key)

    # A different root, not in the trust store, with a leaf of its own.
    other_key = generate_key(alg)
    other_root = build_certificate(subject=[("C", "RU"), ("CN", f"Недоверенный УЦ ({ALG_LABELS[alg]})")],
                                   subject_key=other_key, issuer_key=other_key, issuer=None,
                                   not_before=now - timedelta(days=30), not_after=now + timedelta(days=3650),
                                   ca=True, path_len=0, key_usage={"key_cert_sign", "crl_sign"})
    _write(special / f"untrusted-root-{alg}.crt", _cert_pem(other_root))
    save("untrusted", _leaf(subject, key, other_key, other_root, alg, now), key)

    # The intermediate has pathLen 0, so a sub-CA below it breaks the path constraints.
    sub_key = generate_key(alg)
    sub = build_certificate(subject=[("C", "RU"), ("CN", f"Демо под-УЦ ({ALG_LABELS[alg]})")],
                            subject_key=sub_key, issuer_key=ca_key, issuer=ca, not_before=now - timedelta(days=30),
                            not_after=now + timedelta(days=1000), ca=True, path_len=0,
                            key_usage={"key_cert_sign", "crl_sign"}, crl_url=CRL_URL.format(name=f"ca-{alg}"))
    _write(special / f"subca-{alg}.crt", _cert_pem(sub))
    save("path_constraints", _leaf(subject, key, sub_key, sub, alg, now), key)


def _build_tsl_signer(demo: DemoPKI, now: datetime) -> None:
    """A self-signed stand-in for the ministry's list-signing certificate (pinned, not chained)."""
    key = generate_key("gost256")
    cert = build_certificate(
        subject=[("C", "RU"), ("O", "Минцифры России (демо)"),
                 ("CN", "Минцифры России: подпись списка аккредитованных УЦ (демо)"),
                 (oids.OGRN, make_ogrn("104770202670")), (oids.INN_LE, make_inn("771047437"))],
        # Valid long before the PKI was made, so lists dated in the past (fixtures) verify.
        subject_key=key, issuer_key=key, issuer=None, not_before=now - timedelta(days=3650),
        not_after=now + timedelta(days=3650), key_usage={"digital_signature", "non_repudiation"},
        extended_key_usage=(), subject_sign_tool=SIGN_TOOL, issuer_sign_tool=ISSUER_TOOLS)
    _write(demo.tsl_signer.key_path, key.private_pem(), private=True)
    _write(demo.tsl_signer.cert_path, _cert_pem(cert))


def _build_tls(demo: DemoPKI, now: datetime) -> None:
    """A localhost server certificate (ECDSA) from its own small CA, for the HTTPS servers."""
    key = generate_key("ecdsa")
    ca_key = generate_key("ecdsa")
    ca = build_certificate(subject=[("CN", "Демо TLS CA")], subject_key=ca_key, issuer_key=ca_key, issuer=None,
                           not_before=now - timedelta(days=1), not_after=now + timedelta(days=3650), ca=True,
                           path_len=0, key_usage={"key_cert_sign", "crl_sign"})
    server = build_certificate(subject=[("CN", "localhost")], subject_key=key, issuer_key=ca_key, issuer=ca,
                               not_before=now - timedelta(days=1), not_after=now + timedelta(days=825),
                               key_usage={"digital_signature"}, extended_key_usage=("server_auth",),
                               dns_names=("localhost",))
    _write(demo.root / "tls" / "ca.crt", _cert_pem(ca))
    _write(demo.server_cert_path, _cert_pem(server) + _cert_pem(ca))
    _write(demo.server_key_path, key.private_pem(), private=True)


