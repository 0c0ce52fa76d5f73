"""Revocation by OCSP against a real OpenSSL responder, and the CRL grace period.

The responder is OpenSSL's own (`openssl ocsp -index … -rsigner … -rkey … -CA …`, with the
GOST engine loaded through OPENSSL_CONF for GOST keys, since OpenSSL 3's `ocsp` has no
-engine): it looks the serial up in an index file and signs the answer. OpenSSL 3.0's `-port`
listens on every interface, so each request reaches it through a small HTTP front the test
starts on 127.0.0.1 that hands the request to `openssl ocsp -reqin` and returns its
`-respout`. Leaves name that front in their AIA (id-ad-ocsp).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import core, pem, x509

from registry.pki import TrustStore, load_certificate, validate
from registry.pki import reasons as R
from registry.pki.builder import KeyPair, build_certificate, build_crl, generate_key, utcnow
from registry.pki.validation import CACHES, OCSP_CACHE_SECONDS, clear_all, ocsp

from ..helpers import free_port

ALGS = ("ecdsa", "gost256")
OPENSSL = shutil.which("openssl")
GOOD, REVOKED, UNKNOWN = 0x1001, 0x1002, 0x1003


def _pem(cert: x509.Certificate) -> bytes:
    return pem.armor("CERTIFICATE", cert.dump())


def _with_extensions(
    cert: x509.Certificate, issuer_key: KeyPair, extra: list[x509.Extension]
) -> x509.Certificate:
    """The same certificate with more extensions, signed again by its issuer."""
    tbs = x509.TbsCertificate.load(cert["tbs_certificate"].dump())
    tbs["extensions"] = x509.Extensions([*tbs["extensions"], *extra])
    return x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": cert["signature_algorithm"],
            "signature_value": issuer_key.sign(tbs.dump()),
        }
    )


def _aia(url: str) -> x509.Extension:
    return x509.Extension(
        {
            "extn_id": "authority_information_access",
            "critical": False,
            "extn_value": [
                {
                    "access_method": "ocsp",
                    "access_location": x509.GeneralName(
                        name="uniform_resource_identifier", value=url
                    ),
                }
            ],
        }
    )


def _index_time(value) -> str:
    return value.strftime("%y%m%d%H%M%SZ")


# `openssl ocsp` has no -engine option in OpenSSL 3: the GOST engine comes from a config file.
GOST_CONF = """openssl_conf = openssl_init
[openssl_init]
engines = engines
[engines]
gost = gost
[gost]
engine_id = gost
default_algorithms = ALL
"""


def _openssl_env(alg: str) -> dict[str, str]:
    env = dict(os.environ)
    if alg.startswith("gost"):
        conf = Path(tempfile.gettempdir(), "registry-test-openssl-gost.cnf")
        if not conf.exists():
            conf.write_text(GOST_CONF)
        env["OPENSSL_CONF"] = str(conf)
    return env


class _Front(BaseHTTPRequestHandler):
    """POSTed OCSP request -> `openssl ocsp -reqin` -> its signed response."""

    responder: Responder

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        answer = self.responder.answer(body)
        self.send_response(200 if answer else 500)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_args) -> None:
        pass


@dataclass
class Responder:
    workdir: Path
    alg: str
    port: int
    requests: int = 0
    signer: str = "ca"  # "ca": the CA signs its answers; "delegated": a responder certificate

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ocsp"

    def answer(self, request: bytes) -> bytes:
        self.requests += 1
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            req, resp = Path(tmp, "req.der"), Path(tmp, "resp.der")
            req.write_bytes(request)
            cmd = [
                OPENSSL,
                "ocsp",
                "-index",
                str(self.workdir / "index.txt"),
                "-rsigner",
                str(self.workdir / f"{self.signer}.pem"),
                "-rkey",
                str(self.workdir / f"{self.signer}.key"),
                "-CA",
                str(self.workdir / "ca.pem"),
                "-nmin",
                "10",
                "-reqin",
                str(req),
                "-respout",
                str(resp),
            ]
            done = subprocess.run(cmd, capture_output=True, timeout=20, env=_openssl_env(self.alg))
            return resp.read_bytes() if done.returncode == 0 and resp.exists() else b""


@dataclass
class OcspPki:
    alg: str
    root: x509.Certificate
    ca: x509.Certificate
    leaves: dict[int, bytes]
    root_crl: object
    fresh_ca_crl: object
    stale_ca_crl: object  # nextUpdate two hours ago
    responder: Responder
    dead_leaf: bytes  # AIA names a port where nothing listens
    now: object
    issue: Callable[[int, str], bytes]  # another leaf of this CA with the given OCSP URL

    def store(self, ca_crl=None) -> TrustStore:
        crls = [self.root_crl] + ([ca_crl] if ca_crl is not None else [])
        return TrustStore.build(
            [load_certificate(self.root.dump())], [load_certificate(self.ca.dump())], crls
        )


def _build(alg: str, workdir: Path, responder: Responder) -> OcspPki:
    now = utcnow()
    root_key, ca_key = generate_key(alg), generate_key(alg)
    start, end = now - timedelta(days=30), now + timedelta(days=365)
    root = build_certificate(
        subject=[("CN", f"OCSP тест корень ({alg})")],
        subject_key=root_key,
        issuer_key=root_key,
        issuer=None,
        not_before=start,
        not_after=end,
        ca=True,
        key_usage=("key_cert_sign", "crl_sign"),
    )
    ca = build_certificate(
        subject=[("CN", f"OCSP тест УЦ ({alg})")],
        subject_key=ca_key,
        issuer_key=root_key,
        issuer=root,
        not_before=start,
        not_after=end,
        ca=True,
        path_len=0,
        key_usage=("key_cert_sign", "crl_sign", "digital_signature"),
    )
    leaves, lines = {}, []
    revoked_at = now - timedelta(days=2)

    def leaf(serial: int, url: str) -> bytes:
        key = generate_key(alg)
        cert = build_certificate(
            subject=[("CN", f"Сотрудник {serial:X}"), ("C", "RU")],
            subject_key=key,
            issuer_key=ca_key,
            issuer=ca,
            not_before=start,
            not_after=end,
            serial=serial,
            key_usage=("digital_signature", "non_repudiation"),
        )
        return _pem(_with_extensions(cert, ca_key, [_aia(url)]))

    for serial in (GOOD, REVOKED, UNKNOWN):
        leaves[serial] = leaf(serial, responder.url)
        if serial == GOOD:
            lines.append(f"V\t{_index_time(end)}\t\t{serial:X}\tunknown\t/CN=good")
        elif serial == REVOKED:
            lines.append(
                f"R\t{_index_time(end)}\t{_index_time(revoked_at)}\t{serial:X}\tunknown\t/CN=revoked"
            )
    (workdir / "index.txt").write_text("\n".join(lines) + "\n")
    (workdir / "ca.pem").write_bytes(_pem(ca))
    (workdir / "ca.key").write_bytes(ca_key.private_pem())
    # A delegated responder (RFC 6960 §4.2.2.2): id-kp-OCSPSigning, and id-pkix-ocsp-nocheck
    # so that its own status is not asked about.
    responder_key = generate_key(alg)
    responder_cert = build_certificate(
        subject=[("CN", f"OCSP ответчик ({alg})")],
        subject_key=responder_key,
        issuer_key=ca_key,
        issuer=ca,
        not_before=start,
        not_after=end,
        key_usage=("digital_signature",),
        extended_key_usage=("ocsp_signing",),
    )
    nocheck = x509.Extension(
        {"extn_id": "ocsp_no_check", "critical": False, "extn_value": core.Null()}
    )
    (workdir / "delegated.pem").write_bytes(
        _pem(_with_extensions(responder_cert, ca_key, [nocheck]))
    )
    (workdir / "delegated.key").write_bytes(responder_key.private_pem())
    root_crl = build_crl(
        issuer=root,
        issuer_key=root_key,
        this_update=now - timedelta(hours=1),
        next_update=now + timedelta(days=7),
    )
    # The CRLs list the revoked leaf too: where a CRL decides, it decides the same way.
    fresh = build_crl(
        issuer=ca,
        issuer_key=ca_key,
        this_update=now - timedelta(hours=1),
        next_update=now + timedelta(days=7),
        revoked=[(REVOKED, revoked_at)],
    )
    stale = build_crl(
        issuer=ca,
        issuer_key=ca_key,
        this_update=now - timedelta(days=8),
        next_update=now - timedelta(hours=2),
        revoked=[(REVOKED, revoked_at)],
    )
    dead = leaf(0x1004, f"http://127.0.0.1:{free_port()}/ocsp")
    return OcspPki(alg, root, ca, leaves, root_crl, fresh, stale, responder, dead, now, leaf)


@pytest.fixture(scope="module", params=ALGS)
def pki(request, tmp_path_factory) -> Iterator[OcspPki]:
    assert OPENSSL, "openssl is required (Makefile SYSTEM_PACKAGES)"
    workdir = tmp_path_factory.mktemp(f"ocsp-{request.param}")
    responder = Responder(workdir, request.param, free_port())
    handler = type("Front", (_Front,), {"responder": responder})
    server = ThreadingHTTPServer(("127.0.0.1", responder.port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield _build(request.param, workdir, responder)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _no_cache():
    clear_all()
    yield
    clear_all()


def test_responder_answers_like_openssl_expects(pki):
    """The responder is real: OpenSSL's own client accepts its signed answer for the good leaf."""
    with tempfile.TemporaryDirectory() as tmp:
        leaf, issuer = Path(tmp, "leaf.pem"), Path(tmp, "ca.pem")
        leaf.write_bytes(pki.leaves[GOOD])
        issuer.write_bytes(_pem(pki.ca))
        cmd = [
            OPENSSL,
            "ocsp",
            "-issuer",
            str(issuer),
            "-cert",
            str(leaf),
            "-url",
            pki.responder.url,
            "-VAfile",
            str(issuer),
            "-no_nonce",
        ]
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=30, env=_openssl_env(pki.alg)
        )
    assert ": good" in out.stdout, out.stdout + out.stderr


def test_ocsp_good(pki):
    before = pki.responder.requests
    result = validate(
        pki.leaves[GOOD], trust_store=pki.store(), purpose="signature", revocation="ocsp"
    )
    assert (result.valid, result.code) == (True, R.OK), result.message
    assert pki.responder.requests > before


def test_ocsp_revoked_names_the_date(pki):
    result = validate(
        pki.leaves[REVOKED], trust_store=pki.store(), purpose="signature", revocation="ocsp"
    )
    assert result.code == R.REVOKED
    assert result.details["date"].date() == (pki.now - timedelta(days=2)).date()


def test_ocsp_unknown_is_revocation_unknown(pki):
    result = validate(
        pki.leaves[UNKNOWN], trust_store=pki.store(), purpose="signature", revocation="ocsp"
    )
    assert result.code == R.REVOCATION_UNKNOWN


def test_ocsp_unknown_falls_back_to_a_fresh_crl(pki):
    # The responder does not know the serial; the CA's current CRL does not list it.
    result = validate(
        pki.leaves[UNKNOWN],
        trust_store=pki.store(pki.fresh_ca_crl),
        purpose="signature",
        revocation="ocsp",
    )
    assert result.code == R.OK


def test_ocsp_unreachable_fails_closed(pki):
    result = validate(
        pki.dead_leaf, trust_store=pki.store(), purpose="signature", revocation="ocsp"
    )
    assert result.code == R.REVOCATION_UNKNOWN


def test_ocsp_silent_responder_times_out(pki, monkeypatch):
    monkeypatch.setattr(ocsp, "OCSP_TIMEOUT", 0.5)
    with socket.socket() as sink:  # accepts connections, never answers
        sink.bind(("127.0.0.1", 0))
        sink.listen()
        leaf = pki.issue(0x1005, f"http://127.0.0.1:{sink.getsockname()[1]}/ocsp")
        result = validate(
            leaf, trust_store=pki.store(), purpose="signature", revocation="ocsp", timeout=10
        )
    assert result.code == R.REVOCATION_UNKNOWN


def test_a_silent_responder_cannot_fill_the_workers(pki):
    """A validation past its deadline is answered at once, its worker stops waiting for the
    responder soon after, and while it is busy further validations are refused, not queued."""
    runner = ocsp.Runner(workers=1, waiting=0)
    with socket.socket() as sink:  # accepts connections, never answers
        sink.bind(("127.0.0.1", 0))
        sink.listen()
        leaf = pki.issue(0x1006, f"http://127.0.0.1:{sink.getsockname()[1]}/ocsp")
        started = time.monotonic()
        result = validate(leaf, trust_store=pki.store(), purpose="signature", revocation="ocsp",
                          timeout=0.5, runner=runner)
        assert result.code == R.TIMEOUT and time.monotonic() - started < 1.5
        busy = validate(pki.leaves[GOOD], trust_store=pki.store(), purpose="signature",
                        timeout=0.5, runner=runner)
        assert busy.code == R.TIMEOUT  # the one worker is still on the silent responder
        time.sleep(2)  # the OCSP wait is bounded by the first validation's deadline
        freed = validate(pki.leaves[GOOD], trust_store=pki.store(), purpose="signature",
                         revocation="ocsp", timeout=5, runner=runner)
    assert freed.code == R.OK


def test_crl_mode_never_asks_the_responder(pki):
    before = pki.responder.requests
    result = validate(
        pki.leaves[GOOD],
        trust_store=pki.store(pki.stale_ca_crl),
        purpose="signature",
        revocation="crl",
    )
    assert result.code == R.REVOCATION_UNKNOWN
    assert pki.responder.requests == before


def test_crl_then_ocsp_uses_the_crl_while_it_is_fresh(pki):
    before = pki.responder.requests
    result = validate(
        pki.leaves[GOOD],
        trust_store=pki.store(pki.fresh_ca_crl),
        purpose="signature",
        revocation="crl+ocsp",
    )
    assert result.code == R.OK
    assert pki.responder.requests == before
    revoked = validate(
        pki.leaves[REVOKED],
        trust_store=pki.store(pki.fresh_ca_crl),
        purpose="signature",
        revocation="crl+ocsp",
    )
    assert revoked.code == R.REVOKED


def test_crl_then_ocsp_asks_the_responder_when_the_crl_is_stale(pki):
    before = pki.responder.requests
    result = validate(
        pki.leaves[GOOD],
        trust_store=pki.store(pki.stale_ca_crl),
        purpose="signature",
        revocation="crl+ocsp",
    )
    assert result.code == R.OK, result.message
    assert pki.responder.requests > before
    assert "stale_crl_grace" not in result.details
    revoked = validate(
        pki.leaves[REVOKED],
        trust_store=pki.store(pki.stale_ca_crl),
        purpose="signature",
        revocation="crl+ocsp",
    )
    assert revoked.code == R.REVOKED
    # Without a fresh CRL and with a responder that cannot be reached: unknown, fail-closed.
    dead = validate(
        pki.dead_leaf,
        trust_store=pki.store(pki.stale_ca_crl),
        purpose="signature",
        revocation="crl+ocsp",
    )
    assert dead.code == R.REVOCATION_UNKNOWN


def test_grace_accepts_a_recently_stale_crl_with_a_warning(pki):
    store = pki.store(pki.stale_ca_crl)  # nextUpdate passed two hours ago
    strict = validate(pki.leaves[GOOD], trust_store=store, purpose="signature")
    assert strict.code == R.REVOCATION_UNKNOWN
    result = validate(
        pki.leaves[GOOD], trust_store=store, purpose="signature", crl_grace=timedelta(hours=3)
    )
    assert result.code == R.OK, result.message
    assert result.warnings == ["stale_crl_grace"]
    [stale] = result.details["stale_crl_grace"]
    assert "OCSP тест УЦ" in stale["issuer"]
    assert stale["next_update"].startswith((pki.now - timedelta(hours=2)).strftime("%Y-%m-%dT%H"))
    # A revoked certificate stays revoked on a stale CRL.
    revoked = validate(
        pki.leaves[REVOKED], trust_store=store, purpose="signature", crl_grace=timedelta(hours=3)
    )
    assert revoked.code == R.REVOKED


def test_grace_refuses_beyond_the_grace_period(pki):
    result = validate(
        pki.leaves[GOOD],
        trust_store=pki.store(pki.stale_ca_crl),
        purpose="signature",
        crl_grace=timedelta(hours=1),
    )
    assert result.code == R.REVOCATION_UNKNOWN
    assert not result.warnings


def test_grace_does_not_stretch_certificate_validity(pki):
    cert = load_certificate(pki.leaves[GOOD])
    store = pki.store(pki.stale_ca_crl)
    after = validate(
        pki.leaves[GOOD],
        trust_store=store,
        purpose="signature",
        at=cert.not_after + timedelta(seconds=1),
        crl_grace=timedelta(days=400),
    )
    assert after.code == R.EXPIRED


def test_cache_keeps_revocation_options_apart(pki):
    store = pki.store(pki.stale_ca_crl)
    first = validate(
        pki.leaves[GOOD], trust_store=store, purpose="signature", revocation="crl+ocsp"
    )
    assert first.code == R.OK
    assert (
        validate(pki.leaves[GOOD], trust_store=store, purpose="signature", revocation="crl+ocsp")
        is first
    )
    # The same certificate and store with CRLs only must not reuse the OCSP-based answer.
    assert (
        validate(pki.leaves[GOOD], trust_store=store, purpose="signature").code
        == R.REVOCATION_UNKNOWN
    )
    graced = validate(
        pki.leaves[GOOD], trust_store=store, purpose="signature", crl_grace=timedelta(hours=3)
    )
    assert graced.code == R.OK and graced is not first and graced.warnings
    # A decision taken on OCSP answers is reused no longer than the answer lasts.
    until = next(until for _k, (until, value) in CACHES.results.items() if value is first)
    assert until <= utcnow() + timedelta(seconds=OCSP_CACHE_SECONDS + 1)


def test_unknown_revocation_mode_is_an_error(pki):
    with pytest.raises(ValueError):
        validate(pki.leaves[GOOD], trust_store=pki.store(), revocation="ocsp-only")


def test_delegated_responder_with_nocheck(pki):
    pki.responder.signer = "delegated"
    try:
        good = validate(
            pki.leaves[GOOD], trust_store=pki.store(), purpose="signature", revocation="ocsp"
        )
        assert good.code == R.OK, good.details
        revoked = validate(
            pki.leaves[REVOKED], trust_store=pki.store(), purpose="signature", revocation="ocsp"
        )
        assert revoked.code == R.REVOKED
    finally:
        pki.responder.signer = "ca"


def test_point_in_time_check_does_not_ask_the_responder(pki):
    before = pki.responder.requests
    result = validate(pki.leaves[GOOD], trust_store=pki.store(pki.fresh_ca_crl),
                      purpose="signature", revocation="ocsp", at=utcnow() - timedelta(minutes=30))
    assert result.code == R.OK
    assert pki.responder.requests == before
