"""`make demo-nginx`: the demo through the shipped nginx configuration, GOST TLS included."""

from __future__ import annotations

import signal
import subprocess

from registry.pki.demo_pki import DemoPKI

from ..helpers import ROOT, VENV_BIN, free_port, stop, wait_for_port
from .test_gost_tls import GOST_SUITES, openssl_get
from .test_nginx import https_get


def test_demo_nginx_serves_gost_and_ecdsa(tmp_path):
    https_port, http_port = free_port(), free_port()
    log = tmp_path / "demo.log"
    proc = subprocess.Popen([str(VENV_BIN / "python"), "deploy/nginx_demo.py", "--dir",
                             str(tmp_path / "demo"), "--port", str(https_port), "--http-port",
                             str(http_port)], cwd=ROOT, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    try:
        wait_for_port(https_port, proc=proc, log=log, timeout=240)
        pki = DemoPKI(tmp_path / "demo" / "pki")
        status, page, err = openssl_get(https_port, pki.person("head", "gost256"),
                                        cipher=GOST_SUITES[1])
        assert status == 200, (page[:300], err, log.read_text()[-2000:])
        assert "Здравствуйте, Иван Иванович!" in page
        status, page = https_get(https_port, pki, pki.person("employee1", "ecdsa"))
        assert status == 200 and "Анна Сергеевна" in page
        assert "openssl s_client -engine gost" in log.read_text()
    finally:
        stop(proc, sig=signal.SIGINT, timeout=30)
    assert proc.returncode == 0
