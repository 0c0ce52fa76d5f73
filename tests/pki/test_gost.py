"""registry.pki.gost: both backends against published vectors, each other and the openssl CLI.

Vectors are read from ``$REGISTRY_CONFORMANCE_DIR/gost`` (default: ``../shared/conformance``
next to the repository). The OpenSSL backend must load here: `make test` installs
libengine-gost-openssl, so its absence is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from asn1crypto import core, crl, csr, pem, x509

from registry.pki import gost
from registry.pki.gost import (
    BACKEND_NAMES,
    PARAMSETS,
    GostError,
    GostPrivateKey,
    GostUnavailable,
    get_backend,
    load_public_key,
)
from registry.pki.gost._keys import encode_public_key_info
from registry.pki.gost._params import CURVES, curve_of
from registry.pki.gost._pure import _sign_with_k

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = Path(os.environ.get("REGISTRY_CONFORMANCE_DIR",
                                  ROOT.parent / "shared" / "conformance")) / "gost"
OPENSSL = shutil.which("openssl")
RFC9215_CASES = ("256_test_paramset", "256a_paramset", "512_test_paramset")
CONTRACT_PARAMSETS = {
    "tc26-256-A": "1.2.643.7.1.2.1.1.1", "tc26-256-B": "1.2.643.2.2.35.1", "tc26-256-C": "1.2.643.2.2.35.2",
    "tc26-256-D": "1.2.643.2.2.35.3", "cp-xch-A": "1.2.643.2.2.36.0", "cp-xch-B": "1.2.643.2.2.36.1",
    "test-256": "1.2.643.2.2.35.0", "tc26-512-A": "1.2.643.7.1.2.1.2.1", "tc26-512-B": "1.2.643.7.1.2.1.2.2",
    "tc26-512-C": "1.2.643.7.1.2.1.2.3", "test-512": "1.2.643.7.1.2.1.2.0",
}


# -- fixtures and helpers ----------------------------------------------------------------------

def _conformance(relative: str) -> Path:
    path = CONFORMANCE / relative
    if not path.exists():
        pytest.fail(f"conformance data missing: {path} (set REGISTRY_CONFORMANCE_DIR)")
    return path


def _json(relative: str) -> dict:
    return json.loads(_conformance(relative).read_text())


def _vector_params(relative: str, key: str) -> list:
    """Vectors for parametrize; a missing file becomes one failing case instead of a collection error."""
    try:
        items = json.loads((CONFORMANCE / relative).read_text())[key]
    except FileNotFoundError:
        return [pytest.param(None, id="missing-conformance-data")]
    return [pytest.param(item, id=item["id"]) for item in items]


def _require(vector):
    if vector is None:
        pytest.fail(f"conformance data missing under {CONFORMANCE}")
    return vector


@pytest.fixture(params=BACKEND_NAMES)
def gb(request) -> gost.GostBackend:
    """Each backend in turn; GostUnavailable here fails the test (the engine is a requirement)."""
    return get_backend(request.param)


@pytest.fixture(scope="module")
def openssl_b() -> gost.GostBackend:
    return get_backend("openssl")


@pytest.fixture(scope="module")
def pure_b() -> gost.GostBackend:
    return get_backend("pure")


def _openssl(*args: str) -> str:
    if OPENSSL is None:
        pytest.fail("openssl CLI not found")
    proc = subprocess.run([OPENSSL, *args], capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode(errors="replace")


def _der_sequence(body: bytes) -> bytes:
    length = bytes([len(body)]) if len(body) < 128 else bytes([0x81, len(body)])
    return b"\x30" + length + body


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def _signed_objects(case: str) -> dict[str, tuple[bytes, bytes, bytes]]:
    """kind -> (spki, tbs, signature) for the RFC 9215 certificate, CRL and CSR of ``case``."""
    cert = x509.Certificate.load(_conformance(f"rfc9215/{case}/cert.der").read_bytes())
    spki = cert["tbs_certificate"]["subject_public_key_info"].dump()
    lst = crl.CertificateList.load(_conformance(f"rfc9215/{case}/crl.der").read_bytes())
    req = csr.CertificationRequest.load(_conformance(f"rfc9215/{case}/csr.der").read_bytes())
    return {
        "cert": (spki, cert["tbs_certificate"].dump(), cert["signature_value"].native),
        "crl": (spki, lst["tbs_cert_list"].dump(), lst["signature"].native),
        "csr": (req["certification_request_info"]["subject_pk_info"].dump(),
                req["certification_request_info"].dump(), req["signature"].native),
    }


# -- backend selection -------------------------------------------------------------------------

def test_both_backends_load_and_openssl_is_preferred(monkeypatch):
    monkeypatch.delenv("REGISTRY_GOST_BACKEND", raising=False)
    assert [b.name for b in gost.available_backends()] == ["openssl", "pure"]
    active = gost.backend()
    assert active.name == "openssl"
    assert active.description.startswith("OpenSSL 3.") and "gost engine" in active.description


def test_environment_forces_a_backend(monkeypatch):
    monkeypatch.setenv("REGISTRY_GOST_BACKEND", "pure")
    assert gost.backend().name == "pure"
    monkeypatch.setenv("REGISTRY_GOST_BACKEND", "openssl")
    assert gost.backend().name == "openssl"
    monkeypatch.setenv("REGISTRY_GOST_BACKEND", "bogus")
    with pytest.raises(GostUnavailable):
        gost.backend()
    with pytest.raises(GostUnavailable):
        get_backend("bogus")


def test_falls_back_to_pure_without_openssl():
    """A process whose libcrypto cannot be used still works, on the pure backend."""
    code = ("from registry.pki import gost\n"
            "print(gost.backend().name, [b.name for b in gost.available_backends()])\n"
            "try:\n    gost.get_backend('openssl')\nexcept gost.GostUnavailable as exc:\n    print('unavailable')\n")
    env = {**os.environ, "REGISTRY_LIBCRYPTO": "/nonexistent/libcrypto.so.3"}
    env.pop("REGISTRY_GOST_BACKEND", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split("\n")
    assert out[:2] == ["pure ['pure']", "unavailable"]


def test_paramset_table_matches_contract():
    for name, oid in CONTRACT_PARAMSETS.items():
        assert PARAMSETS[name].oid == oid
        assert PARAMSETS[name].size == (512 if "512" in name else 256)
    assert gost.get_paramset("1.2.643.7.1.2.1.1.1") is PARAMSETS["tc26-256-A"]
    for b in gost.available_backends():
        assert b.paramsets == frozenset(PARAMSETS), b.name
    assert (gost.SIGN_OID_256, gost.SIGN_OID_512) == ("1.2.643.7.1.1.3.2", "1.2.643.7.1.1.3.3")
    assert (gost.KEY_OID_256, gost.KEY_OID_512) == ("1.2.643.7.1.1.1.1", "1.2.643.7.1.1.1.2")
    assert (gost.DIGEST_OID_256, gost.DIGEST_OID_512) == ("1.2.643.7.1.1.2.2", "1.2.643.7.1.1.2.3")


def test_curve_constants_match_gostcrypto_and_vectors():
    from gostcrypto import gostsignature as gs

    names = {"id-tc26-gost-3410-2012-256-paramSetA": "tc26-256-A",
             "id-tc26-gost-3410-2012-256-paramSetB": "tc26-256-B",
             "id-tc26-gost-3410-2012-256-paramSetC": "tc26-256-C",
             "id-tc26-gost-3410-2012-256-paramSetD": "tc26-256-D",
             "id-tc26-gost-3410-12-512-paramSetA": "tc26-512-A",
             "id-tc26-gost-3410-12-512-paramSetB": "tc26-512-B",
             "id-tc26-gost-3410-2012-512-paramSetC": "tc26-512-C"}
    for theirs, ours in names.items():
        ref = gs.new(gs.MODE_256 if "256" in ours else gs.MODE_512, gs.CURVES_R_1323565_1_024_2019[theirs])
        c = CURVES[ours]
        assert (ref._p, ref._a, ref._b, ref._q, ref._x, ref._y) == (c.p, c.a, c.b, c.q, c.x, c.y), ours
    vectors = _json("gost3410_2012_signature_vectors.json")["vectors"]
    for vector, name in zip(vectors, ("test-256", "test-512"), strict=False):
        c, given = CURVES[name], vector["curve_params"]
        assert (c.p, c.a, c.b, c.q, c.x, c.y) == tuple(int(given[k], 16) for k in "pabqxy")
    for name, c in CURVES.items():
        assert c.contains(c.x, c.y), name


# -- Streebog ----------------------------------------------------------------------------------

@pytest.mark.parametrize("vector", _vector_params("streebog_vectors.json", "vectors"))
def test_streebog_vectors(gb, vector):
    vector = _require(vector)
    message = bytes.fromhex(vector["message_hex"])
    assert len(message) == vector["message_len"]
    size = int(vector["id"].rsplit("-", 1)[1])
    digest = gb.streebog256(message) if size == 256 else gb.streebog512(message)
    assert digest.hex() == vector["digest_hex"]
    if "digest_hex_rfc_display_order" in vector:
        assert digest[::-1].hex() == vector["digest_hex_rfc_display_order"]


def test_streebog_backends_agree_on_random_data(openssl_b, pure_b):
    rng = random.Random(20240611)
    for length in (0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 1000, rng.randrange(2000, 5000)):
        data = rng.randbytes(length)
        assert openssl_b.streebog256(data) == pure_b.streebog256(data), length
        assert openssl_b.streebog512(data) == pure_b.streebog512(data), length


def test_streebog_10mb_matches_openssl_cli(openssl_b, tmp_path):
    data = os.urandom(10 * 1024 * 1024)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    for size in (256, 512):
        out = _openssl("dgst", "-engine", "gost", f"-md_gost12_{size}", "-r", str(path))
        assert openssl_b.streebog(size, data).hex() == out.split()[0]


def test_hash_inputs_accept_bytes_like_only(gb):
    assert gb.streebog256(bytearray(b"abc")) == gb.streebog256(memoryview(b"abc")) == gb.streebog256(b"abc")
    spki = GostPrivateKey("tc26-256-A", 12345).public_key_info()
    assert gb.verify(bytearray(spki), memoryview(b"x"), bytearray(64)) is False
    with pytest.raises(TypeError):
        gb.verify(spki, "text", bytes(64))  # type: ignore[arg-type]


# -- GOST R 34.10-2012 example vectors ---------------------------------------------------------

def _example(vector: dict) -> tuple[GostPrivateKey, bytes, bytes, bytes]:
    paramset = PARAMSETS["test-512" if vector["id"].endswith("512") else "test-256"]
    n = paramset.nbytes
    key = GostPrivateKey(paramset, int(vector["d"], 16))
    spki = encode_public_key_info(paramset, int(vector["Q_x"], 16), int(vector["Q_y"], 16))
    # The vector gives e, the digest already read little-endian; the hash outputs its bytes.
    digest = int(vector["e_digest_as_integer_hex"], 16).to_bytes(n, "little")
    signature = int(vector["s"], 16).to_bytes(n, "big") + int(vector["r"], 16).to_bytes(n, "big")
    return key, spki, digest, signature


@pytest.mark.parametrize("vector", _vector_params("gost3410_2012_signature_vectors.json", "vectors"))
def test_signature_vectors(gb, vector):
    key, spki, digest, signature = _example(_require(vector))
    assert gb.public_key_info(key) == spki
    assert gb.verify_digest(spki, digest, signature) is True
    assert gb.verify_digest(spki, _flip(digest, 0), signature) is False
    assert gb.verify_digest(spki, digest, _flip(signature, 5)) is False
    assert gb.verify_digest(spki, digest, signature[::-1]) is False
    fresh = gb.sign_digest(key, digest)
    assert fresh != signature  # random nonce
    assert gb.verify_digest(spki, digest, fresh) is True


@pytest.mark.parametrize("vector", _vector_params("gost3410_2012_signature_vectors.json", "vectors"))
def test_signature_vectors_reproduced_with_their_nonce(pure_b, vector):
    vector = _require(vector)
    key, _spki, digest, signature = _example(vector)
    assert _sign_with_k(pure_b, key, digest, int(vector["k"], 16)) == signature


# -- RFC 9215 and TC26 certificates ------------------------------------------------------------

@pytest.mark.parametrize("kind", ["cert", "crl", "csr"])
@pytest.mark.parametrize("case", RFC9215_CASES)
def test_rfc9215_signatures(gb, case, kind):
    spki, tbs, signature = _signed_objects(case)[kind]
    readme = _json("rfc9215/README.json")["cases"][case]
    assert signature.hex().upper() == readme[f"{kind}_signature_hex"]
    assert gb.verify(spki, tbs, signature) is True
    assert gb.verify(spki, _flip(tbs, len(tbs) // 2), signature) is False
    assert gb.verify(spki, tbs, _flip(signature, 3)) is False  # in s
    assert gb.verify(spki, tbs, _flip(signature, len(signature) - 3)) is False  # in r


@pytest.mark.parametrize("case", RFC9215_CASES)
def test_rfc9215_private_keys(gb, case):
    readme = _json("rfc9215/README.json")["cases"][case]
    spki, tbs, _sig = _signed_objects(case)["cert"]
    paramset = load_public_key(spki).paramset
    key = GostPrivateKey(paramset, int(readme["private_key_hex_big_endian"], 16))
    assert gb.public_key_info(key) == spki  # byte for byte, digest parameter rule included
    signature = gb.sign(key, tbs)
    assert len(signature) == 2 * paramset.nbytes
    assert gb.verify(spki, tbs, signature) is True


@pytest.mark.parametrize("size", ["256", "512"])
def test_tk26iok_certificates(gb, size):
    case = _json("tk26iok/README.json")["cases"][size]
    cert = x509.Certificate.load(_conformance(f"tk26iok/{size}-selfsigned.der").read_bytes())
    spki = cert["tbs_certificate"]["subject_public_key_info"].dump()
    tbs = cert["tbs_certificate"].dump()
    sign_oid = gost.SIGN_OID_256 if size == "256" else gost.SIGN_OID_512
    assert cert["signature_algorithm"]["algorithm"].dotted == sign_oid
    assert gb.verify(spki, tbs, cert["signature_value"].native) is True
    assert gb.verify(spki, tbs + b"\x00", cert["signature_value"].native) is False
    pub = load_public_key(spki)
    key = GostPrivateKey(pub.paramset, int(case["private_key_hex_big_endian"], 16))
    # The 512-bit sample carries an optional digest OID that we do not write: compare the point.
    assert load_public_key(gb.public_key_info(key)) == pub
    assert gb.verify(spki, b"payload", gb.sign(key, b"payload")) is True


# -- both backends together --------------------------------------------------------------------

@pytest.mark.parametrize("paramset", sorted(PARAMSETS))
def test_sign_with_one_backend_verify_with_the_other(openssl_b, pure_b, paramset):
    key = gost.generate_private_key(paramset)
    assert key.size == PARAMSETS[paramset].size
    spki = openssl_b.public_key_info(key)
    assert pure_b.public_key_info(key) == spki == key.public_key_info()
    data = os.urandom(300)
    by_openssl, by_pure = openssl_b.sign(key, data), pure_b.sign(key, data)
    assert pure_b.verify(spki, data, by_openssl) is True
    assert openssl_b.verify(spki, data, by_pure) is True
    assert openssl_b.verify(spki, data + b"!", by_pure) is False
    assert pure_b.verify(spki, data + b"!", by_openssl) is False


@pytest.mark.parametrize("paramset", ["tc26-256-A", "tc26-512-A"])
def test_tampering_is_rejected(gb, paramset):
    key = gost.generate_private_key(paramset)
    spki, n = key.public_key_info(), key.paramset.nbytes
    q = curve_of(key.paramset).q
    data = b"registry: " + os.urandom(64)
    sig = gb.sign(key, data)
    assert gb.verify(spki, data, sig) is True
    assert gb.verify(spki, data[:-1], sig) is False
    assert gb.verify(spki, _flip(data, 0), sig) is False
    for index in (0, n - 1, n, 2 * n - 1):
        assert gb.verify(spki, data, _flip(sig, index)) is False
    assert gb.verify(spki, data, sig[n:] + sig[:n]) is False  # r||s instead of s||r
    assert gb.verify(spki, data, sig[:-1]) is False
    assert gb.verify(spki, data, sig + b"\x00") is False
    assert gb.verify(spki, data, b"") is False
    assert gb.verify(spki, data, bytes(2 * n)) is False
    assert gb.verify(spki, data, q.to_bytes(n, "big") + sig[n:]) is False  # s == q
    assert gb.verify(spki, data, sig[:n] + q.to_bytes(n, "big")) is False  # r == q
    other = gost.generate_private_key(paramset).public_key_info()
    assert gb.verify(other, data, sig) is False


def _garbage_spkis() -> dict[str, bytes]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    good = GostPrivateKey("tc26-256-A", 0x1234567890ABCDEF)  # fixed, so every run builds the same inputs
    valid = good.public_key_info()
    paramset = good.paramset
    p = curve_of(paramset).p
    ecdsa = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pub = load_public_key(valid)

    def spki(key_oid: str, params: bytes | None, bitstring: bytes) -> bytes:
        alg = core.ObjectIdentifier(key_oid).dump() + (params or b"")
        return _der_sequence(_der_sequence(alg) + bitstring)

    def params(*oids: str) -> bytes:
        return _der_sequence(b"".join(core.ObjectIdentifier(o).dump() for o in oids))

    def bits(payload: bytes, unused: int = 0) -> bytes:
        return b"\x03" + bytes([len(payload) + 1, unused]) + payload

    def octets(x: int, y: int) -> bytes:
        return core.OctetString(x.to_bytes(32, "little") + y.to_bytes(32, "little")).dump()

    point = octets(pub.x, pub.y)
    off_curve = octets(pub.x, (pub.y + 1) % p)
    too_big = octets(p, pub.y)
    a256 = "1.2.643.7.1.2.1.1.1"
    return {
        "empty": b"",
        "zero": b"\x00",
        "random": os.urandom(91),
        "truncated": valid[:-1],
        "trailing": valid + b"\x00",
        "ecdsa": ecdsa,
        "not-a-sequence": core.OctetString(valid).dump(),
        "rebuilt-valid-control": spki(gost.KEY_OID_256, params(a256), bits(point)),
        "gost2001-key-oid": spki("1.2.643.2.2.19", params("1.2.643.2.2.35.1", "1.2.643.2.2.30.1"),
                                 bits(point)),
        "unknown-paramset": spki(gost.KEY_OID_256, params("1.2.643.7.1.2.1.1.9"), bits(point)),
        "512-paramset-on-256-key": spki(gost.KEY_OID_256, params("1.2.643.7.1.2.1.2.1"), bits(point)),
        "no-parameters": spki(gost.KEY_OID_256, None, bits(point)),
        "null-parameters": spki(gost.KEY_OID_256, b"\x05\x00", bits(point)),
        "empty-parameters": spki(gost.KEY_OID_256, b"\x30\x00", bits(point)),
        "off-curve": spki(gost.KEY_OID_256, params(a256), bits(off_curve)),
        "coordinate-not-reduced": spki(gost.KEY_OID_256, params(a256), bits(too_big)),
        "short-point": spki(gost.KEY_OID_256, params(a256), bits(core.OctetString(b"\x01" * 63).dump())),
        "raw-point-without-octet-string": spki(gost.KEY_OID_256, params(a256), bits(point[2:])),
        "unused-bits": spki(gost.KEY_OID_256, params(a256), bits(point, unused=3)),
        "all-zero-point": spki(gost.KEY_OID_256, params(a256), bits(core.OctetString(bytes(64)).dump())),
    }


def test_garbage_spki_raises_gost_error(gb):
    cases = _garbage_spkis()
    control = cases.pop("rebuilt-valid-control")
    assert gb.verify(control, b"x", bytes(64)) is False  # the builder itself makes valid keys
    accepted = []
    for name, spki in cases.items():
        try:
            gb.verify(spki, b"data", bytes(64))
        except GostError:
            continue
        accepted.append(name)
    assert accepted == []


def test_every_single_byte_corruption_of_an_spki_is_handled(gb):
    key = gost.generate_private_key("tc26-256-A")
    spki = key.public_key_info()
    sig = get_backend("openssl").sign(key, b"data")
    for index in range(len(spki)):
        for value in (spki[index] ^ 0xFF, 0x00, 0x80):
            mutated = spki[:index] + bytes([value]) + spki[index + 1:]
            try:
                result = gb.verify(mutated, b"data", sig)
            except GostError:
                continue
            assert result is (mutated == spki), (index, value)


def test_wrong_digest_length_is_an_error(gb):
    key = gost.generate_private_key("tc26-256-A")
    with pytest.raises(GostError):
        gb.verify_digest(key.public_key_info(), bytes(31), bytes(64))
    with pytest.raises(GostError):
        gb.sign_digest(key, bytes(64))


# -- private keys ------------------------------------------------------------------------------

def test_private_key_validation_and_hygiene():
    with pytest.raises(GostError):
        GostPrivateKey("tc26-256-A", 0)
    with pytest.raises(GostError):
        GostPrivateKey("tc26-256-A", curve_of(PARAMSETS["tc26-256-A"]).q)
    with pytest.raises(GostError):
        GostPrivateKey("no-such-set", 5)
    with pytest.raises(GostError):
        gost.generate_private_key("1.2.3.4")
    key = gost.generate_private_key("tc26-512-B")
    assert hex(key.d)[2:] not in repr(key) and str(key.d) not in repr(key)
    assert key == GostPrivateKey("tc26-512-B", key.d)
    assert key.paramset is PARAMSETS["tc26-512-B"] and key.size == 512


@pytest.mark.parametrize("paramset", sorted(PARAMSETS))
def test_pkcs8_round_trip_and_openssl_cli_reads_it(paramset, tmp_path):
    key = gost.generate_private_key(paramset)
    der = key.to_pkcs8_der()
    assert GostPrivateKey.from_pkcs8_der(der) == key
    path = tmp_path / "key.der"
    path.write_bytes(der)
    text = _openssl("pkey", "-engine", "gost", "-inform", "DER", "-in", str(path), "-noout", "-text")
    assert int(re.search(r"Private key:\s*([0-9A-F]+)", text).group(1), 16) == key.d
    x = int(re.search(r"X:\s*([0-9A-F]+)", text).group(1), 16)
    y = int(re.search(r"Y:\s*([0-9A-F]+)", text).group(1), 16)
    pub = load_public_key(key.public_key_info())
    assert (x, y) == (pub.x, pub.y)


def test_pkcs8_other_layouts_read_like_the_engine(tmp_path):
    """Bare, INTEGER and CryptoPro-masked private keys decode to the d openssl reports."""
    rng = random.Random(7)  # fixed: a short INTEGER could otherwise look like a bare key
    q = curve_of(PARAMSETS["tc26-256-A"]).q
    key = GostPrivateKey("tc26-256-A", rng.randrange(q // 2, q))
    der = key.to_pkcs8_der()
    algorithm = core.Sequence.load(der)[1].dump()
    mask = rng.randrange(2, q)
    masked_value = key.d * pow(mask, -1, q) % q

    def pkcs8(blob: bytes) -> bytes:
        return _der_sequence(core.Integer(0).dump() + algorithm + core.OctetString(blob).dump())

    layouts = {
        "bare": key.d.to_bytes(32, "little"),
        "integer": core.Integer(key.d).dump(),
        "masked": masked_value.to_bytes(32, "little") + mask.to_bytes(32, "little"),
    }
    for name, blob in layouts.items():
        data = pkcs8(blob)
        assert GostPrivateKey.from_pkcs8_der(data) == key, name
        path = tmp_path / f"{name}.der"
        path.write_bytes(data)
        text = _openssl("pkey", "-engine", "gost", "-inform", "DER", "-in", str(path), "-noout", "-text")
        assert int(re.search(r"Private key:\s*([0-9A-F]+)", text).group(1), 16) == key.d, name
    for bad in (b"", b"\x00", der[:-1], der + b"\x00", pkcs8(b"\x05\x00"), pkcs8(bytes(32))):
        with pytest.raises(GostError):
            GostPrivateKey.from_pkcs8_der(bad)


@pytest.mark.parametrize("paramset", ["tc26-256-A", "tc26-256-B", "tc26-512-A", "tc26-512-C"])
def test_openssl_cli_signature_verifies_with_ours(gb, paramset, tmp_path):
    key = gost.generate_private_key(paramset)
    (tmp_path / "key.pem").write_bytes(pem.armor("PRIVATE KEY", key.to_pkcs8_der()))
    message = os.urandom(1000)
    (tmp_path / "msg").write_bytes(message)
    _openssl("dgst", "-engine", "gost", f"-md_gost12_{key.size}", "-sign", str(tmp_path / "key.pem"),
             "-out", str(tmp_path / "sig"), str(tmp_path / "msg"))
    sig = (tmp_path / "sig").read_bytes()
    n = key.paramset.nbytes
    # `openssl dgst -sign` writes the engine's raw signature: s||r big-endian, the X.509 layout.
    assert gb.verify(key.public_key_info(), message, sig) is True
    assert gb.verify(key.public_key_info(), message, sig[::-1]) is False
    assert gb.verify(key.public_key_info(), message, sig[n:] + sig[:n]) is False


@pytest.mark.parametrize("paramset", ["tc26-256-A", "test-256", "tc26-512-B"])
def test_our_signature_verifies_with_openssl_cli(gb, paramset, tmp_path):
    key = gost.generate_private_key(paramset)
    (tmp_path / "pub.pem").write_bytes(pem.armor("PUBLIC KEY", key.public_key_info()))
    message = os.urandom(500)
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig").write_bytes(gb.sign(key, message))
    out = _openssl("dgst", "-engine", "gost", f"-md_gost12_{key.size}", "-verify", str(tmp_path / "pub.pem"),
                   "-signature", str(tmp_path / "sig"), str(tmp_path / "msg"))
    assert "Verified OK" in out


def test_openssl_generated_key_is_readable(gb, tmp_path):
    path = tmp_path / "key.der"
    _openssl("genpkey", "-engine", "gost", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:TCA",
             "-outform", "DER", "-out", str(path))
    key = GostPrivateKey.from_pkcs8_der(path.read_bytes())
    text = _openssl("pkey", "-engine", "gost", "-inform", "DER", "-in", str(path), "-noout", "-text")
    assert int(re.search(r"Private key:\s*([0-9A-F]+)", text).group(1), 16) == key.d
    assert key.paramset.name == "tc26-256-A"
    assert gb.verify(key.public_key_info(), b"m", gb.sign(key, b"m")) is True


# -- concurrency -------------------------------------------------------------------------------

def test_thread_safety(openssl_b, pure_b):
    spki, tbs, signature = _signed_objects("256a_paramset")["cert"]
    spki512, tbs512, signature512 = _signed_objects("512_test_paramset")["cert"]
    keys = [gost.generate_private_key(ps) for ps in ("tc26-256-A", "tc26-256-B", "tc26-512-A", "tc26-512-C")]
    blobs = [os.urandom(random.randrange(1, 300_000)) for _ in range(8)]
    expected = [(pure_b.streebog256(b[:2000]), openssl_b.streebog256(b), openssl_b.streebog512(b))
                for b in blobs]

    def openssl_task(i: int) -> bool:
        blob, (_small, h256, h512) = blobs[i % len(blobs)], expected[i % len(blobs)]
        key = keys[i % len(keys)]
        sig = openssl_b.sign(key, blob)
        return (openssl_b.streebog256(blob) == h256 and openssl_b.streebog512(blob) == h512
                and openssl_b.verify(spki, tbs, signature) and openssl_b.verify(spki512, tbs512, signature512)
                and not openssl_b.verify(spki, tbs + b"x", signature)
                and openssl_b.verify(key.public_key_info(), blob, sig)
                and not openssl_b.verify(key.public_key_info(), blob, _flip(sig, 1)))

    def pure_task(i: int) -> bool:
        blob, (small, _h256, _h512) = blobs[i % len(blobs)], expected[i % len(blobs)]
        return pure_b.streebog256(blob[:2000]) == small and pure_b.verify(spki, tbs, signature)

    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(openssl_task, i) for i in range(400)]
        futures += [pool.submit(pure_task, i) for i in range(16)]
        assert all(f.result(timeout=300) for f in futures)


# --- GOST R 34.10-2001 / 34.11-94 (certificates of before 2020) ------------------------------
_REAL_PKI = Path(__file__).resolve().parents[3] / "shared" / "data" / "real-pki" / "certs"
_GUC_2001 = "58b615d2af309c42c48794b70a474bbacfebfd18.pem"  # Головной УЦ, GOST R 34.10-2001
_GUC_2012 = "f7fe78a97b5177828feb6cf97507d9119f4d2b1e.pem"  # Минкомсвязь России, 34.10-2012


def _real(name: str) -> x509.Certificate:
    return x509.Certificate.load(pem.unarmor((_REAL_PKI / name).read_bytes())[2])


def test_openssl_verifies_gost_2001_self_signature():
    root = _real(_GUC_2001)
    assert root["signature_algorithm"]["algorithm"].dotted == "1.2.643.2.2.3"
    backend = gost.get_backend("openssl")
    assert backend.supports_gost2001 and not gost.get_backend("pure").supports_gost2001
    spki, tbs = root.public_key.dump(), root["tbs_certificate"].dump()
    signature = root["signature_value"].native
    assert backend.verify_gost2001(spki, tbs, signature) is True
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert backend.verify_gost2001(spki, tbs, flipped) is False
    assert backend.verify_gost2001(spki, tbs + b"x", signature) is False
    assert backend.verify_gost2001(spki, tbs, signature[:-1]) is False
    with pytest.raises(GostError):  # a GOST R 34.10-2012 key is not a 2001 key
        backend.verify_gost2001(_real(_GUC_2012).public_key.dump(), tbs, signature)


def test_pure_backend_says_it_cannot_do_gost_2001():
    root = _real(_GUC_2001)
    with pytest.raises(GostUnavailable, match="34.10-2001"):
        gost.get_backend("pure").verify_gost2001(root.public_key.dump(),
                                                 root["tbs_certificate"].dump(),
                                                 root["signature_value"].native)
