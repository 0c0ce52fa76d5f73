"""The refresh runs without a person: inside `registry demo serve`, and from a systemd timer."""

from __future__ import annotations

import configparser
import json
import shlex
import time

from ..helpers import ROOT


def test_demo_serve_runs_the_refresh_in_the_background(demo_server):
    _url, pki_dir, log = demo_server
    state = pki_dir / ".trust.refresh.json"
    deadline = time.monotonic() + 120
    while not state.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state.exists(), log.read_text()[-2000:]
    reports = json.loads(state.read_text())["reports"]
    # Every demo CA key is reported (the demo's CRL addresses point at a port that serves HTTPS).
    assert {r["ca"] for r in reports} >= {"Демо корневой УЦ (ECDSA)", "Демо УЦ (ECDSA)"}
    assert all(r["status"] in ("fresh", "stale", "unreachable", "invalid") for r in reports)


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str
    parser.read_string((ROOT / "deploy" / "systemd" / name).read_text())
    return parser


def test_systemd_timer_starts_the_refresh_command(app):
    timer = _unit("registry-trust-refresh.timer")
    assert timer["Timer"]["Unit"] == "registry-trust-refresh.service"
    assert timer["Timer"]["OnUnitActiveSec"] and timer["Install"]["WantedBy"] == "timers.target"
    service = _unit("registry-trust-refresh.service")
    assert service["Service"]["Type"] == "oneshot"
    command = shlex.split(service["Service"]["ExecStart"])
    assert command[0].endswith("/registry") and command[1:3] == ["trust", "refresh"]
    # The options the unit passes exist.
    result = app.test_cli_runner().invoke(args=[*command[1:], "--help"])
    assert result.exit_code == 0 and "--wait" in result.output
