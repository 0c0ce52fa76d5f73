"""Real certificates of accredited Russian CAs (../shared/data/real-pki): reading and identity."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from registry.identifiers import check_inn, check_ogrn
from registry.pki import TrustStore, load_certificate, validate
from registry.pki.certificate import QualifiedCertificate
from registry.pki.reasons import is_ca_fault
from registry.pki.validation import GOST_2001_WITHDRAWN

ROOT = Path(__file__).resolve().parents[2]
REAL_PKI = Path(os.environ.get("REGISTRY_REAL_PKI_DIR",
                               ROOT.parent / "shared" / "data" / "real-pki"))
CERTS = REAL_PKI / "certs"
FILES = sorted(CERTS.glob("*.pem"))


def _load(name: str) -> QualifiedCertificate:
    return load_certificate((CERTS / f"{name}.pem").read_bytes())


def test_sample_is_present():
    assert len(FILES) == 153, f"expected the 153 certificates of {CERTS}"
    rows = (REAL_PKI / "SOURCES.tsv").read_text().splitlines()[1:]
    listed = [line.split("\t")[0] for line in rows]
    assert sorted(listed) == [f.name for f in FILES]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem[:12])
def test_every_certificate_reads_with_valid_identifiers(path: Path):
    cert = load_certificate(path.read_bytes())
    assert cert.is_ca  # the sample holds CA certificates only
    assert cert.common_name and cert.organization
    assert cert.country == "RU"
    # Every accredited CA names its organisation by ОГРН and ИНН, and both checksums hold.
    assert cert.ogrn is not None and check_ogrn(cert.ogrn) is None
    assert cert.inn_le is not None and check_inn(cert.inn_le, 10) is None
    assert cert.checksum_errors == []
    assert cert.holder_kind == "legal_entity"
    assert cert.personal_inn is None  # the ИНН is the organisation's, not a person's
    assert cert.unreadable_extensions == []  # all decode with the tolerant string types
    data = cert.to_dict()
    assert data["inn_le"] == cert.inn_le and data["quirks"] == cert.quirks
    # Names must compare (path building does it for every candidate issuer).
    assert cert.asn1.subject.hashable and cert.asn1.issuer.hashable
    assert cert.key_algorithm in ("gost2012_256", "gost2012_512", "gost2001")


def test_head_roots_of_the_ministry():
    for name, cn, not_after_year in (
        ("f7fe78a97b5177828feb6cf97507d9119f4d2b1e", "Минкомсвязь России", 2036),
        ("cd4a5729184f71c71e56e100807417a4f9adf7c1", "Минкомсвязь России", 2039),
        ("cf6c292b308c2e610ad421caf4d2e8e1c10638d9", "Минцифры России", 2040),
        ("519c35896ebaf9db6c2070ff86888e672d3000d0", "Минцифры России", 2044),
    ):
        cert = _load(name)
        assert cert.is_self_signed and cert.common_name == cn
        assert cert.ogrn == "1047702026701" and cert.inn_le == "7710474375"
        assert cert.algorithm == "ГОСТ Р 34.10-2012 (256 бит)"
        assert cert.signature_algorithm == "gost2012_256_streebog"
        assert cert.not_after.year == not_after_year


def test_old_head_root_is_gost_2001():
    cert = _load("58b615d2af309c42c48794b70a474bbacfebfd18")
    assert cert.common_name == "Головной удостоверяющий центр" and cert.is_self_signed
    assert cert.algorithm == "ГОСТ Р 34.10-2001"
    assert cert.signature_algorithm == "gost2001_gost94"
    assert cert.inn == "007710474375" and cert.inn_le == "7710474375"  # «00»-padded ИНН
    assert cert.quirks == ["inn_padded"]


def test_inn_le_attribute_holding_a_kpp_is_flagged_and_not_used():
    for name in ("168fd07d5537bb20ece63f87557c89bf21e597c9",
                 "3a422825781b43298acfc78dd70cf336311d6c34"):
        cert = _load(name)
        assert cert.common_name == "УЦ Рособрнадзора"
        assert cert.kpp_in_inn_le == "770201001"
        assert cert.inn_le == "7701537808"  # taken from the padded ИНН, not from the КПП
        assert "inn_le_holds_kpp" in cert.quirks and "inn_padded" in cert.quirks
        assert cert.checksum_errors == []
        assert "КПП" in " ".join(cert.to_dict()["quirk_labels"])


def test_microsoft_template_as_utf8string():
    # Сбербанк's CA: certificate template 1.3.6.1.4.1.311.20.2 as UTF8String, not BMPString.
    cert = _load("0f5fea765cafc7568eb92a20c1bf07c1a5b73658")
    ext = cert._ext["1.3.6.1.4.1.311.20.2"]
    assert ext["extn_value"].contents[:1] == b"\x0c"  # UTF8String tag as encoded by the CA
    assert ext["critical"].native is False
    assert ext["extn_value"].parsed.native  # read with the tolerant string type
    assert cert.organization == "ПАО Сбербанк" and cert.ogrn == "1027700132195"
    assert cert.inn_le == "7707083893"


def test_quirk_counts_in_the_sample():
    certs = [load_certificate(p.read_bytes()) for p in FILES]
    templates = [c for c in certs if "1.3.6.1.4.1.311.20.2" in c._ext]
    utf8 = [c for c in templates
            if c._ext["1.3.6.1.4.1.311.20.2"]["extn_value"].contents[:1] != b"\x1e"]
    assert len(utf8) == 40  # these 40 were «повреждены» before tolerant reading
    assert sum("inn_padded" in c.quirks for c in certs) == 139
    assert sum("inn_le_holds_kpp" in c.quirks for c in certs) == 2


def test_trust_folder_of_real_certificates_loads(tmp_path):
    store = TrustStore.from_paths(CERTS)
    assert len(store.roots) == 6 and len(store.intermediates) == 147 and store.problems == ()


# --- real chains up to the Минцифры / Минкомсвязь roots ------------------------------------
def _chains() -> tuple[list[list[QualifiedCertificate]], list[QualifiedCertificate]]:
    """Chains (leaf first, root last) built by key identifiers, and certificates without one."""
    certs = [load_certificate(p.read_bytes()) for p in FILES]
    by_key: dict[bytes, list[QualifiedCertificate]] = {}
    for cert in certs:
        by_key.setdefault(cert.asn1.key_identifier, []).append(cert)
    chains, orphans = [], []
    for cert in certs:
        if cert.is_self_signed:
            continue
        chain = [cert]
        while not chain[-1].is_self_signed:
            current = chain[-1].asn1
            issuers = [c for c in by_key.get(current.authority_key_identifier, [])
                       if c.asn1.subject == current.issuer and c not in chain]
            if not issuers:
                break
            chain.append(issuers[0])
        (chains if chain[-1].is_self_signed else orphans).append(chain)
    return chains, [c[0] for c in orphans]


CHAINS, ORPHANS = _chains()


def _validate(cert: QualifiedCertificate, store: TrustStore, at: datetime, purpose: str = "any"):
    """validate() without revocation checking: no CRLs of those past moments are available."""
    off = {"revocation": "none"}
    return validate(cert, trust_store=store, at=at, purpose=purpose, **off)


def _moment(chain: list[QualifiedCertificate]) -> datetime:
    """A time inside every certificate's validity; before 2020 for GOST R 34.10-2001."""
    start = max(c.not_before for c in chain)
    end = min(c.not_after for c in chain)
    assert start < end
    if any(c.signature_algorithm == "gost2001_gost94" for c in chain):
        assert start < GOST_2001_WITHDRAWN
        return min(start + timedelta(days=1), end, GOST_2001_WITHDRAWN - timedelta(seconds=1))
    return start + (end - start) / 2


def _openssl_verify(chain: list[QualifiedCertificate], at: datetime, tmp_path: Path) -> bool:
    root, untrusted = tmp_path / "root.pem", tmp_path / "untrusted.pem"
    leaf = tmp_path / "leaf.pem"
    root.write_text(chain[-1].pem)
    untrusted.write_text("".join(c.pem for c in chain[1:-1]))
    leaf.write_text(chain[0].pem)
    command = ["openssl", "verify", "-engine", "gost", "-attime", str(int(at.timestamp())),
               "-CAfile", str(root)]
    if len(chain) > 2:
        command += ["-untrusted", str(untrusted)]
    done = subprocess.run([*command, str(leaf)], capture_output=True, text=True, timeout=60)
    return done.returncode == 0 and done.stdout.strip().endswith(": OK")


def test_chain_sample_covers_both_algorithms():
    roots = {c[-1].fingerprint for c in CHAINS}
    assert len(CHAINS) == 123 and len(roots) >= 3
    assert sum(c[0].signature_algorithm == "gost2001_gost94" for c in CHAINS) == 12
    # Those without a chain were issued by CAs whose certificates are not in the sample.
    known = {c.asn1.key_identifier for p in FILES for c in [load_certificate(p.read_bytes())]}
    assert all(o.asn1.authority_key_identifier not in known for o in ORPHANS)


@pytest.mark.parametrize("chain", CHAINS, ids=lambda c: c[0].fingerprint[:12])
def test_real_chain_validates_and_agrees_with_openssl(chain, tmp_path):
    at = _moment(chain)
    store = TrustStore.build([chain[-1]], chain[1:-1])
    result = _validate(chain[0], store, at)
    assert result.code == "ok", result.message
    assert [c.fingerprint for c in result.chain] == [c.fingerprint for c in chain[1:]]
    assert _openssl_verify(chain, at, tmp_path)


def _tampered(cert: QualifiedCertificate) -> QualifiedCertificate:
    der = bytearray(cert.der)
    der[-5] ^= 0x01  # inside the signature value
    return load_certificate(bytes(der))


@pytest.mark.parametrize("algorithm", ["gost2012_256_streebog", "gost2001_gost94"])
def test_tampered_real_certificate_is_refused_by_both(algorithm, tmp_path):
    chain = next(c for c in CHAINS if c[0].signature_algorithm == algorithm)
    at = _moment(chain)
    bad = [_tampered(chain[0]), *chain[1:]]
    store = TrustStore.build([chain[-1]], chain[1:-1])
    result = _validate(bad[0], store, at)
    assert result.code == "bad_signature"
    assert not _openssl_verify(bad, at, tmp_path)


def test_wrong_root_is_refused_by_both(tmp_path):
    chain = next(c for c in CHAINS if c[-1].common_name == "Минкомсвязь России")
    other = next(c[-1] for c in CHAINS if c[-1].common_name == "Минцифры России")
    at = _moment(chain)
    result = _validate(chain[0], TrustStore.build([other]), at)
    assert not result.valid
    assert not _openssl_verify([chain[0], other], at, tmp_path)


def test_gost_2001_chain_is_withdrawn_from_2020():
    chain = next(c for c in CHAINS if c[0].signature_algorithm == "gost2001_gost94")
    store = TrustStore.build([chain[-1]], chain[1:-1])
    at = GOST_2001_WITHDRAWN + timedelta(days=1)
    assert at < min(c.not_after for c in chain)
    for purpose in ("login", "signature", "any"):
        result = _validate(chain[0], store, at, purpose)
        if purpose == "any":
            assert result.code == "algorithm_withdrawn"
            assert is_ca_fault(result.code)
            assert chain[0].issuer_common_name in result.message
            assert "ГОСТ Р 34.10-2001" in result.message and "не ваша ошибка" in result.message
        else:
            assert not result.valid  # a CA certificate is never a person's certificate
