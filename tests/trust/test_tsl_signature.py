"""`registry trust import-tsl` accepts only a list signed by the configured Минцифры certificate;
anything else is refused with the current store left byte for byte as it was."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree

from registry.pki.builder import load_key
from registry.pki.xmldsig import DS, sign_enveloped
from registry.trust import TslError, import_tsl

from .conftest import demo_ca, der_of, now, tsl_xml


def _snapshot(store: Path) -> dict[str, str]:
    """Every file under the store (through its symlink) and the symlink's target, hashed."""
    files = {"->": os.path.realpath(store)}
    for path in sorted(Path(os.path.realpath(store)).rglob("*")):
        if path.is_file():
            files[str(path.relative_to(os.path.realpath(store)))] = hashlib.sha256(
                path.read_bytes()).hexdigest()
    return files


@pytest.fixture
def installed(trust_app_factory, demo_pki, tmp_path, db_session):
    """An app whose store holds a signed list of version 10 (one CA)."""
    app = trust_app_factory()
    source = tmp_path / "v10.xml"
    source.write_bytes(tsl_xml(10, now(), [demo_ca(demo_pki)]))
    result = import_tsl(app, source)
    assert result.version == 10 and "Минцифры" in result.signer
    return app, tmp_path / "trust"


def _newer(demo_pki) -> bytes:
    return tsl_xml(11, now(), [demo_ca(demo_pki), demo_ca(demo_pki, "rsa")])


def _refuse(app, store: Path, data: bytes, tmp_path: Path, expected: str) -> str:
    before = _snapshot(store)
    source = tmp_path / "candidate.xml"
    source.write_bytes(data)
    out = app.test_cli_runner().invoke(args=["trust", "import-tsl", str(source)])
    assert out.exit_code != 0 and expected in out.output, out.output
    assert "хранилище не изменено" in out.output
    assert _snapshot(store) == before
    assert json.loads((store / "tsl.json").read_text())["version"] == 10
    return out.output


def test_signed_list_is_installed_with_its_signer_recorded(installed, demo_pki, tmp_path):
    app, store = installed
    source = tmp_path / "v11.xml"
    source.write_bytes(_newer(demo_pki))
    out = app.test_cli_runner().invoke(args=["trust", "import-tsl", str(source)])
    assert out.exit_code == 0, out.output
    assert "подпись Минцифры проверена: " in out.output and "(демо)" in out.output
    metadata = json.loads((store / "tsl.json").read_text())
    assert metadata["version"] == 11
    signer = demo_pki.tsl_signer.certificate
    assert metadata["signature"]["sha256"] == signer.fingerprint
    assert metadata["signature"]["algorithm"].endswith("gostr34102012-gostr34112012-256")


def test_unsigned_list_is_refused(installed, demo_pki, tmp_path):
    app, store = installed
    unsigned = tsl_xml(11, now(), [demo_ca(demo_pki)], signed=False)
    _refuse(app, store, unsigned, tmp_path, "документ не подписан")


def test_list_altered_by_one_byte_in_a_ca_is_refused(installed, demo_pki, tmp_path):
    app, store = installed
    signed = _newer(demo_pki)
    inn = "<ИНН>7701000099</ИНН>".encode()
    assert signed.count(inn) == 2
    altered = signed.replace(inn, "<ИНН>7701000098</ИНН>".encode(), 1)
    assert len(altered) == len(signed)
    _refuse(app, store, altered, tmp_path, "изменено после подписания")


def test_wrong_signature_value_is_refused(installed, demo_pki, tmp_path):
    app, store = installed
    signed = _newer(demo_pki)
    value = etree.fromstring(signed).findtext(f".//{{{DS}}}SignatureValue")
    raw = bytearray(base64.b64decode(value))
    raw[-1] ^= 0x01
    wrong = signed.replace(value.encode(), base64.b64encode(bytes(raw)))
    _refuse(app, store, wrong, tmp_path, "подпись неверна")


def test_list_signed_by_another_certificate_is_refused(installed, demo_pki, tmp_path):
    app, store = installed
    other = demo_pki.ca("gost256")  # a real GOST key of the test PKI, not the ministry's
    key = load_key("gost256", other.key_path.read_bytes()).private
    foreign = sign_enveloped(tsl_xml(11, now(), [demo_ca(demo_pki)], signed=False), key,
                             der_of(other.cert_path))
    output = _refuse(app, store, foreign, tmp_path, "подписан другим сертификатом")
    assert "Демо УЦ (ГОСТ)" in output


def test_without_a_configured_certificate_nothing_is_accepted(
    trust_app_factory, demo_pki, tmp_path, db_session
):
    app = trust_app_factory(REGISTRY_TSL_SIGNER_CERT="")
    with pytest.raises(TslError, match="REGISTRY_TSL_SIGNER_CERT"):
        import_tsl(app, _newer(demo_pki))
    assert not (tmp_path / "trust").exists()


def test_signer_directory_with_the_next_certificate_too(
    trust_app_factory, demo_pki, tmp_path, db_session
):
    signers = tmp_path / "signers"
    signers.mkdir()
    shutil.copy(demo_pki.ca("gost256", "root").cert_path, signers / "next.crt")
    shutil.copy(demo_pki.tsl_signer.cert_path, signers / "current.crt")
    app = trust_app_factory(REGISTRY_TSL_SIGNER_CERT=str(signers))
    assert import_tsl(app, _newer(demo_pki)).version == 11
    broken = trust_app_factory(REGISTRY_TSL_SIGNER_CERT=str(tmp_path / "missing.crt"))
    with pytest.raises(TslError, match="не удалось прочитать"):
        import_tsl(broken, _newer(demo_pki))


def test_list_dated_outside_the_signers_validity_is_refused(installed, demo_pki, tmp_path):
    app, store = installed
    signer = demo_pki.tsl_signer.certificate
    late = tsl_xml(11, signer.not_after + timedelta(days=1), [demo_ca(demo_pki)])
    _refuse(app, store, late, tmp_path, "который действует с")
    early = tsl_xml(11, signer.not_before - timedelta(days=1), [demo_ca(demo_pki)])
    _refuse(app, store, early, tmp_path, "который действует с")
