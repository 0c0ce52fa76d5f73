"""`registry cert show|verify` and `registry pki demo-ca` as a person uses them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from registry.pki.certificate import load_certificate
from registry.pki.cli import pki_cli
from registry.pki.validation import clear_all
from registry.trust.cli import cert_cli

REGISTRY = Path(sys.executable).parent / "registry"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        clear_all()
        return runner.invoke(cert_cli, [str(a) for a in args])
    return invoke


@pytest.mark.parametrize("alg", ["gost256", "ecdsa", "rsa"])
def test_show_prints_the_identity(run, demo_pki, alg):
    result = run("show", demo_pki.person("head", alg).cert_path)
    assert result.exit_code == 0, result.output
    for text in ("Иванов Иван Иванович", "СНИЛС", "ОГРН", "Генеральный директор", "юридического лица"):
        assert text in result.output


def test_show_json_lists_every_field_and_checksum_errors(run, demo_pki):
    result = run("show", "--json", demo_pki.person("ip", "gost256").cert_path)
    data = json.loads(result.output)
    cert = load_certificate(demo_pki.person("ip", "gost256").cert_path.read_bytes())
    assert data["ogrnip"] == cert.ogrnip and data["snils"] == cert.snils and data["inn"] == cert.inn
    assert data["checksum_errors"] == []
    assert data["parameter_set"].startswith("id-tc26-gost-3410-2012-256")
    assert {"not_before", "not_after", "key_usage", "extended_key_usage", "qualified_classes",
            "subject_sign_tool", "issuer_sign_tool", "holder_kind"} <= set(data)


@pytest.mark.parametrize("form", ["pem", "der", "base64", "nginx"])
def test_show_reads_every_encoding(run, demo_pki, tmp_path, form):
    pem = demo_pki.person("employee1", "ecdsa").cert_path.read_bytes()
    der = load_certificate(pem).der
    data = {"pem": pem, "der": der, "nginx": quote(pem.decode()).encode(),
            "base64": __import__("base64").b64encode(der)}[form]
    path = tmp_path / "cert.bin"
    path.write_bytes(data)
    result = run("show", "--json", path)
    assert result.exit_code == 0 and json.loads(result.output)["snils"] == load_certificate(pem).snils


def test_show_of_garbage_is_a_usage_error(run, tmp_path):
    path = tmp_path / "junk.crt"
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    result = run("show", "--json", path)
    assert result.exit_code == 2 and json.loads(result.output)["error"] == "malformed"
    assert run("show", tmp_path / "missing.crt").exit_code == 2


@pytest.mark.parametrize("alg", ["gost256", "ecdsa", "rsa"])
def test_verify_trusted_exits_zero_with_chain(run, demo_pki, alg):
    result = run("verify", "--json", "--trust", demo_pki.trust_dir, demo_pki.person("head", alg).cert_path)
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["valid"] is True and data["code"] == "ok"
    assert len(data["chain"]) == 2


@pytest.mark.parametrize("name,code", [("employee2", "revoked")])
def test_verify_revoked_exits_one(run, demo_pki, name, code):
    result = run("verify", "--json", "--trust", demo_pki.trust_dir, demo_pki.person(name, "rsa").cert_path)
    data = json.loads(result.output)
    assert result.exit_code == 1 and (data["valid"], data["code"]) == (False, code)
    assert "отозван" in data["message"]


def test_verify_at_a_past_moment_and_purpose(run, demo_pki):
    cert = demo_pki.person("head", "ecdsa").cert_path
    before = run("verify", "--json", "--trust", demo_pki.trust_dir, "--at", "2001-01-01T00:00:00Z", cert)
    assert before.exit_code == 1 and json.loads(before.output)["code"] == "not_yet_valid"
    wrong = demo_pki.special("wrong_purpose", "ecdsa").cert_path
    assert run("verify", "--trust", demo_pki.trust_dir, "--purpose", "login", wrong).exit_code == 1
    assert run("verify", "--trust", demo_pki.trust_dir, "--purpose", "signature", wrong).exit_code == 1
    assert run("verify", "--trust", demo_pki.trust_dir, "--purpose", "signature", cert).exit_code == 0


def test_verify_with_explicit_chain_and_crl(run, demo_pki, tmp_path):
    """Only the root is trusted; the intermediate and the CRL come from the command line."""
    alg = "ecdsa"
    root_only = tmp_path / "root.crt"
    shutil.copy(demo_pki.ca(alg, "root").cert_path, root_only)
    crls = sorted(demo_pki.trust_dir.glob("*.crl"))
    assert crls, "the demo PKI publishes CRLs"
    cert = demo_pki.person("employee2", alg).cert_path
    missing = run("verify", "--json", "--trust", root_only, cert)
    assert json.loads(missing.output)["code"] == "incomplete_chain"
    args = ["verify", "--json", "--trust", root_only, "--chain", demo_pki.ca(alg).cert_path]
    no_crl = run(*args, cert)
    assert json.loads(no_crl.output)["code"] == "revocation_unknown"
    revoked = run(*args, *[x for c in crls for x in ("--crl", c)], cert)
    assert json.loads(revoked.output)["code"] == "revoked"


def test_verify_usage_errors_exit_two(run, demo_pki, tmp_path):
    cert = demo_pki.person("head", "rsa").cert_path
    assert run("verify", "--at", "вчера", "--trust", demo_pki.trust_dir, cert).exit_code == 2
    assert run("verify", "--purpose", "everything", cert).exit_code == 2
    assert run("verify", "--trust", tmp_path / "nowhere", cert).exit_code == 2
    assert run("verify", tmp_path / "missing.crt").exit_code == 2


def test_verify_without_trust_uses_certs_directory(run, demo_pki, tmp_path, monkeypatch):
    shutil.copytree(demo_pki.trust_dir, tmp_path / "certs")
    monkeypatch.chdir(tmp_path)
    result = run("verify", "--json", demo_pki.person("employee1", "gost256").cert_path)
    assert result.exit_code == 0, result.output


def test_console_script_uses_the_configured_trust_store(demo_pki, tmp_path):
    env = dict(os.environ, REGISTRY_TRUST_STORE=str(demo_pki.trust_dir),
               REGISTRY_INSTANCE_PATH=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    ok = subprocess.run([REGISTRY, "cert", "verify", "--json", demo_pki.person("head", "gost256").cert_path],
                        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["valid"] is True
    bad = subprocess.run([REGISTRY, "cert", "verify", demo_pki.special("expired", "rsa").cert_path],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "НЕ ДЕЙСТВИТЕЛЕН" in bad.stdout


def test_demo_ca_builds_a_complete_pki(tmp_path):
    result = CliRunner().invoke(pki_cli, ["demo-ca", str(tmp_path / "pki"), "--algorithms", "ecdsa"])
    assert result.exit_code == 0, result.output
    people = tmp_path / "pki" / "people"
    for name in ("head", "ip", "employee1", "employee2"):
        assert (people / f"{name}-ecdsa.p12").stat().st_size > 0
    assert list((tmp_path / "pki" / "trust").glob("*.crl"))
    clear_all()
    verify = CliRunner().invoke(cert_cli, ["verify", "--json", "--trust", str(tmp_path / "pki" / "trust"),
                                           str(people / "employee2-ecdsa.crt")])
    assert json.loads(verify.output)["code"] == "revoked"
