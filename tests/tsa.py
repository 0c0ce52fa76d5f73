"""A test time-stamping authority (TSA) on the demo GOST CA, and CAdES-T signatures made the way
CryptoPro makes them: a CAdES-BES signature whose signer info gets a signature-time-stamp
token (RFC 3161, made by `openssl ts -reply` with the GOST engine) over its signature value."""

from __future__ import annotations

import os
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

from asn1crypto import cms, pem

from registry.extensions import utcnow
from registry.pki import load_certificate
from registry.pki.builder import build_certificate, generate_key, load_key
from registry.pki.demo_pki import CRL_URL, DemoCert

from .helpers import ROOT

OPENSSL_CONF = ROOT / "deploy" / "nginx" / "openssl-gost.cnf"
TSA_CONFIG = """
[tsa]
default_tsa = tsa_config
[tsa_config]
dir = {dir}
serial = $dir/serial
signer_digest = md_gost12_256
default_policy = 1.2.643.100.113.1
other_policies = 1.2.643.100.113.2
digests = md_gost12_256, sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def issue_tsa(demo_pki, directory: Path, *, days: int = 365, alg: str = "gost256") -> DemoCert:
    """A TSA certificate (critical EKU timeStamping) from the demo CA."""
    ca = demo_pki.ca(alg)
    ca_key = load_key(alg, ca.key_path.read_bytes())
    ca_cert = load_certificate(ca.cert_path.read_bytes()).asn1
    key = generate_key(alg)
    now = utcnow()
    cert = build_certificate(subject=[("C", "RU"), ("O", "АО «ДЕМО-УЦ»"), ("CN", "Служба штампов времени ДЕМО")],
                             subject_key=key, issuer_key=ca_key, issuer=ca_cert,
                             not_before=now - timedelta(days=1), not_after=now + timedelta(days=days),
                             key_usage=("digital_signature", "non_repudiation"),
                             extended_key_usage=("time_stamping",), extended_key_usage_critical=True,
                             crl_url=CRL_URL.format(name=f"ca-{alg}"))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tsa.crt").write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    (directory / "tsa.key").write_bytes(key.private_pem())
    (directory / "serial").write_text("01\n")
    (directory / "tsa.cnf").write_text(TSA_CONFIG.format(dir=directory))
    return DemoCert(directory / "tsa.crt", directory / "tsa.key")


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60,
                   env=dict(os.environ, OPENSSL_CONF=str(OPENSSL_CONF)))


def time_stamp_token(data: bytes, tsa: DemoCert) -> bytes:
    """A time-stamp token (DER ContentInfo) over ``data`` by the test TSA."""
    directory = tsa.cert_path.parent
    with tempfile.TemporaryDirectory() as tmp:
        source, query, token = Path(tmp, "data"), Path(tmp, "q.tsq"), Path(tmp, "t.tst")
        source.write_bytes(data)
        _openssl("ts", "-query", "-data", str(source), "-md_gost12_256", "-cert", "-no_nonce",
                 "-out", str(query))
        _openssl("ts", "-reply", "-engine", "gost", "-config", str(directory / "tsa.cnf"),
                 "-queryfile", str(query), "-signer", str(tsa.cert_path), "-inkey", str(tsa.key_path),
                 "-token_out", "-out", str(token))
        return token.read_bytes()


def add_signature_time_stamp(signature: bytes, tsa: DemoCert, *, over: bytes | None = None) -> bytes:
    """The CAdES-T form of a CAdES-BES ``signature`` (DER): its first signer info gets a
    signature-time-stamp over its signature value (``over``: another value, for a forged one)."""
    info = cms.ContentInfo.load(signature)
    signer_info = info["content"]["signer_infos"][0]
    token = cms.ContentInfo.load(time_stamp_token(over or signer_info["signature"].native, tsa))
    signer_info["unsigned_attrs"] = cms.CMSAttributes([cms.CMSAttribute(
        {"type": "signature_time_stamp_token", "values": [token]})])
    return info.dump(force=False)
