"""`registry signature verify FILE [SIG] [--at] [--trust] --json`: exit codes and the JSON."""

from __future__ import annotations

import json

import pytest

from tests import cades
from tests.helpers import run_registry

CONTENT = b"document body " * 100


@pytest.fixture(scope="module")
def files(demo_pki, tmp_path_factory):
    d = tmp_path_factory.mktemp("sig-cli")
    tsa = cades.issue(demo_pki, "gost256", not_before=cades.ago(days=29), not_after=cades.ago(days=-300), tsa=True)
    head = cades.party(demo_pki, "person", "head", "gost256")
    revoked = cades.party(demo_pki, "person", "employee2", "gost256")
    (d / "doc.txt").write_bytes(CONTENT)
    t = cades.add_time_stamp(cades.sign(CONTENT, head), tsa, cades.ago(minutes=3))
    (d / "doc.txt.sig").write_bytes(cades.to_x_long(t, demo_pki, tsa, cades.ago(minutes=2)))
    (d / "two.sig").write_bytes(cades.sign(CONTENT, head, revoked))
    (d / "attached.p7s").write_bytes(cades.sign(CONTENT, head, attached=True))
    return d


def verify(demo_pki, *args):
    done = run_registry("signature", "verify", *args, "--trust", str(demo_pki.trust_dir), "--json")
    return done.returncode, (json.loads(done.stdout) if done.stdout.strip().startswith("{") else done.stderr)


def test_detached_x_long_passes(demo_pki, files):
    code, out = verify(demo_pki, str(files / "doc.txt"), str(files / "doc.txt.sig"))
    assert code == 0, out
    [s] = out["signatures"]
    assert set(s) >= {"indication", "sub_indication", "intact", "format", "signing_time", "best_signature_time",
                      "signer", "checks", "message"}
    assert (s["indication"], s["format"], s["intact"]) == ("TOTAL_PASSED", "CAdES-X Long Type 1", True)
    assert s["best_signature_time"] and s["signer"]["full_name"] == "Иванов Иван Иванович"
    assert all({"name", "passed", "detail"} <= set(c) for c in s["checks"])


def test_every_signer_and_exit_one(demo_pki, files):
    code, out = verify(demo_pki, str(files / "doc.txt"), str(files / "two.sig"))
    assert code == 1
    assert sorted(s["indication"] for s in out["signatures"]) == ["INDETERMINATE", "TOTAL_PASSED"]
    code, out = verify(demo_pki, str(files / "doc.txt") + "x", str(files / "two.sig"))
    assert code == 2


def test_attached_and_at(demo_pki, files):
    code, out = verify(demo_pki, str(files / "attached.p7s"))
    assert code == 0 and out["signatures"][0]["format"] == "CAdES-BES"
    code, out = verify(demo_pki, str(files / "attached.p7s"), "--at", "not-a-date")
    assert code == 2
