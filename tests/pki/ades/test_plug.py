"""Each point where GOST is plugged into pyHanko and pyhanko-certvalidator (registry.pki.ades.plug)."""

from __future__ import annotations

import pytest
from asn1crypto import algos, keys
from cryptography.exceptions import InvalidSignature
from pyhanko_certvalidator.sig_validate import SignatureValidationContext

from registry.pki import oids
from registry.pki.ades import plug
from registry.pki.builder import generate_key
from registry.pki.gost import backend

ABC_256 = "4e2919cf137ed41ec4fb6270c61826cc4fffb660341e0af3688cd0626d23b481"


def test_hash_lookup_knows_streebog():
    plug.install()
    from pyhanko.sign import general
    from pyhanko_certvalidator import util

    for module in (general, util):
        assert module.get_pyca_cryptography_hash("streebog256").digest_size == 32
        assert module.get_pyca_cryptography_hash("streebog512").name == "streebog512"
        assert module.get_pyca_cryptography_hash("sha256").name == "sha256"  # the rest upstream
    assert util.get_pyca_cryptography_hash_for_signing("streebog256").name == "streebog256"


def test_hashing_in_pyhanko_modules_computes_streebog():
    plug.install()
    from pyhanko.sign.validation import generic_cms

    h = generic_cms.hashes.Hash(plug.Streebog256())
    h.update(b"a")
    h.update(b"bc")
    assert h.copy().finalize().hex() == ABC_256
    assert h.finalize() == backend().streebog256(b"abc")
    sha = generic_cms.hashes.Hash(generic_cms.hashes.SHA256())
    sha.update(b"abc")
    assert len(sha.finalize()) == 32


def _gost_case(prehashed: bool):
    key = generate_key("gost256")
    spki = keys.PublicKeyInfo.load(key.private.public_key_info())
    data = b"signed attributes"
    signature = key.sign(data)
    algorithm = algos.SignedDigestAlgorithm({"algorithm": oids.GOST_SIGN_256})
    payload = backend().streebog256(data) if prehashed else data
    return signature, payload, spki, algorithm


@pytest.mark.parametrize("prehashed", [False, True])
def test_signature_mechanism_verifies_gost(prehashed):
    signature, payload, spki, algorithm = _gost_case(prehashed)
    context = SignatureValidationContext(contextual_md_algorithm="streebog256", prehashed=prehashed)
    plug.SIGNATURE_VALIDATOR.validate_signature(signature, payload, spki, algorithm, context)
    broken = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises(InvalidSignature):
        plug.SIGNATURE_VALIDATOR.validate_signature(broken, payload, spki, algorithm, context)


def test_validation_context_carries_the_gost_validator():
    context = plug.validation_context(trust_roots=[])
    assert context.sig_validator is plug.SIGNATURE_VALIDATOR


def test_signature_mechanism_named_by_the_key_oid():
    """openssl and CryptoPro name the GOST key algorithm as the signer info's signature algorithm."""
    signature, payload, spki, _ = _gost_case(False)
    by_key = algos.SignedDigestAlgorithm({"algorithm": oids.GOST_KEY_256})
    assert plug.signature_mechanism(by_key)["algorithm"].dotted == oids.GOST_SIGN_256
    plug.SIGNATURE_VALIDATOR.validate_signature(signature, payload, spki, by_key)
