"""The shipped trust anchors (certs/): each file matches its published fingerprint."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from registry import config
from registry.pki import TrustStore, load_certificate

CERTS = Path(__file__).resolve().parents[1] / "certs"
MANIFEST = json.loads((CERTS / "fingerprints.json").read_text())["head_roots"]
REAL_PKI = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-pki" / "certs"


def test_every_certificate_file_is_in_the_manifest_with_its_fingerprints():
    files = sorted(p.name for p in CERTS.iterdir() if p.suffix in {".crt", ".cer", ".pem", ".der"})
    assert files == sorted(e["file"] for e in MANIFEST)
    assert len(files) == 4
    for entry in MANIFEST:
        cert = load_certificate((CERTS / entry["file"]).read_bytes())
        assert hashlib.sha1(cert.der).hexdigest().upper() == entry["sha1"]
        assert hashlib.sha256(cert.der).hexdigest().upper() == entry["sha256"]
        assert cert.fingerprint.upper() == entry["sha256"]
        assert cert.serial == entry["serial"]
        assert cert.not_before.isoformat() == entry["not_before"]
        assert cert.not_after.isoformat() == entry["not_after"]
        # A head root of the ministry in GOST R 34.10-2012, self-signed and a CA.
        assert cert.is_self_signed and cert.is_ca
        assert cert.common_name == entry["subject_cn"] in ("Минкомсвязь России", "Минцифры России")
        assert cert.ogrn == "1047702026701" and cert.inn_le == "7710474375"
        assert cert.algorithm == entry["algorithm"] == "ГОСТ Р 34.10-2012 (256 бит)"


def test_thumbprints_published_by_the_ministry():
    # SHA-1 thumbprints as Минцифры publishes them for the ГУЦ GOST R 34.10-2012 roots.
    published = {"minkomsvyaz-guc-2018.crt": "4BC6DC14D97010C41A26E058AD851F81C842415A",
                 "mincifry-guc-2022.crt": "2F0CB09BE3550EF17EC4F29C90ABD18BFCAAD63A"}
    by_file = {e["file"]: e for e in MANIFEST}
    for name, thumbprint in published.items():
        assert by_file[name]["sha1"] == thumbprint


def test_same_bytes_as_the_public_sample():
    sample = {load_certificate(p.read_bytes()).fingerprint for p in REAL_PKI.glob("*.pem")}
    for entry in MANIFEST:
        assert entry["sha256"].lower() in sample


def test_default_trust_store_is_certs_and_loads():
    assert Path(str(config.DEFAULTS["REGISTRY_TRUST_STORE"])) == CERTS
    store = TrustStore.from_paths(CERTS)
    assert len(store.roots) == 4 and not store.intermediates and not store.problems
