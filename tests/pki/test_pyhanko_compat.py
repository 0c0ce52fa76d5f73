"""Each plug point of registry.pki.validation._pyhanko_compat (pyHanko and
pyhanko-certvalidator) rests on a shape of upstream's code; these tests fail when an upgrade
changes that shape, and check that each plug does its work."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
from importlib.metadata import version
from pathlib import Path

import pyhanko
import pyhanko_certvalidator
import pytest
from asn1crypto import algos, keys
from cryptography.exceptions import InvalidSignature
from pyhanko_certvalidator import registry as upstream_registry
from pyhanko_certvalidator import validate as upstream_validate
from pyhanko_certvalidator.revinfo import validate_ocsp as upstream_validate_ocsp
from pyhanko_certvalidator.sig_validate import SignatureValidationContext

from registry.pki import oids
from registry.pki.builder import generate_key
from registry.pki.gost import backend
from registry.pki.validation import _pyhanko_compat as compat
from registry.pki.validation import policy

SETUP_CFG = Path(__file__).resolve().parents[2] / "setup.cfg"


def _self_assignments(function) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name)
            and node.value.id == "self"}


def _as_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2])


def test_the_installed_version_is_the_supported_one_and_setup_cfg_pins_it():
    low, high = compat.SUPPORTED_VERSIONS
    assert _as_tuple(low) <= _as_tuple(version("pyhanko-certvalidator")) < _as_tuple(high)
    pin = re.search(r"^\s*pyhanko-certvalidator(\S+)", SETUP_CFG.read_text(), re.M)
    assert pin is not None and pin.group(1) == f">={low},<{high}"
    low, high = compat.SUPPORTED_PYHANKO_VERSIONS
    assert _as_tuple(low) <= _as_tuple(version("pyhanko")) < _as_tuple(high)
    pin = re.search(r"^\s*pyhanko([<>=]\S+)", SETUP_CFG.read_text(), re.M)
    assert pin is not None and pin.group(1) == f">={low},<{high}"


def test_supported_extensions_is_a_set_looked_up_at_call_time():
    assert isinstance(compat.UPSTREAM_SUPPORTED_EXTENSIONS, frozenset)
    source = inspect.getsource(upstream_validate)
    # read as a module global inside a function, not bound at import
    assert re.search(r"^\s+.*critical_extensions - SUPPORTED_EXTENSIONS", source, re.M)
    assert upstream_validate.SUPPORTED_EXTENSIONS >= {oids.SUBJECT_SIGN_TOOL, oids.ISSUER_SIGN_TOOL}
    assert policy.KNOWN_CRITICAL_EXTENSIONS >= compat.EXTRA_CRITICAL_EXTENSIONS


def test_lazy_path_iterator_sets_the_attributes_the_replacement_sets():
    upstream = compat.UPSTREAM_LAZY_PATH_ITERATOR
    assert list(inspect.signature(upstream.__init__).parameters) == ["self", "walker", "cert"]
    assert _self_assignments(upstream.__init__) == {"_as_root", "_walker", "emitted_count", "_name"}
    assert _self_assignments(compat.LazyNamePathIterator.__init__) == {
        "_as_root", "_walker", "emitted_count", "_cert"}
    # the name is only read for the "no issuer" error
    assert "self._name" in inspect.getsource(upstream.__anext__)
    assert upstream_registry.LazyPathIterator is compat.LazyNamePathIterator
    # the path builder looks the class up in its module at call time
    assert re.search(r"\bLazyPathIterator\(", inspect.getsource(upstream_registry.PathBuilder.async_build_paths_lazy))


def test_the_responder_check_builds_its_context_without_a_signature_validator():
    source = inspect.getsource(compat.UPSTREAM_RESPONDER_CONTEXT.__init__)
    assert "signature_validator" in source  # the keyword the replacement supplies
    module = ast.parse(inspect.getsource(upstream_validate_ocsp))
    calls = [n for n in ast.walk(module) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == "ValidationContext"]
    assert calls, "upstream no longer builds a ValidationContext for the responder"
    assert all("signature_validator" not in {k.arg for k in c.keywords} for c in calls)
    assert upstream_validate_ocsp.ValidationContext is compat.ResponderContext


def test_install_is_idempotent():
    before = upstream_validate.SUPPORTED_EXTENSIONS
    compat.install()
    assert upstream_validate.SUPPORTED_EXTENSIONS == before
    assert upstream_registry.LazyPathIterator is compat.LazyNamePathIterator


def test_every_rule_of_the_policy_names_its_source():
    rules = {name for name, value in vars(policy).items() if name.isupper()
             and not name.startswith("_") and name != "SOURCES"}
    assert rules == set(policy.SOURCES)
    for name, source in policy.SOURCES.items():
        assert re.search(r"RFC \d+|ФЗ-63|ФСБ № 795", source), name


# -- pyHanko: hashes, the signature mechanism, the validation context -------------------------
ABC_256 = "4e2919cf137ed41ec4fb6270c61826cc4fffb660341e0af3688cd0626d23b481"
# Modules that hash only for signing through a token or a remote service, which the product
# does not use; PDF encryption (pdf_utils.crypt) is not signature validation.
NOT_PLUGGED = {"pyhanko.sign.pkcs11", "pyhanko.sign.signers.csc_signer"}


def _modules_that_hash() -> set[str]:
    found = set()
    for package in (pyhanko_certvalidator, pyhanko):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.startswith("pyhanko.pdf_utils") or info.name.startswith("pyhanko.cli"):
                continue
            spec = importlib.util.find_spec(info.name)
            if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
                continue
            source = Path(spec.origin).read_text(encoding="utf-8")
            if re.search(r"\bget_pyca_cryptography_hash\(|\bhashes\.Hash\(", source):
                found.add(info.name)
    return found


def test_every_module_of_upstream_that_hashes_is_plugged():
    """A new upstream module hashing with ``cryptography`` would miss Streebog."""
    assert _modules_that_hash() - NOT_PLUGGED == set(compat.HASHING_MODULES)


def test_hash_lookup_is_a_getattr_on_cryptography_hashes():
    source = inspect.getsource(compat.UPSTREAM_HASH_LOOKUP)
    assert "getattr(hashes" in source
    with pytest.raises(AttributeError):  # what the plug is for
        compat.UPSTREAM_HASH_LOOKUP("streebog256")


def test_hash_lookup_knows_streebog():
    compat.install_pyhanko()
    from pyhanko.sign import general
    from pyhanko_certvalidator import util

    for module in (general, util):
        assert module.get_pyca_cryptography_hash("streebog256").digest_size == 32
        assert module.get_pyca_cryptography_hash("streebog512").name == "streebog512"
        assert module.get_pyca_cryptography_hash("sha256").name == "sha256"  # the rest upstream
    assert util.get_pyca_cryptography_hash_for_signing("streebog256").name == "streebog256"


def test_hashing_in_pyhanko_modules_computes_streebog():
    compat.install_pyhanko()
    from pyhanko.sign.validation import generic_cms

    for name in compat.HASHING_MODULES:  # each module's names are rebound, none left upstream's
        try:
            module = importlib.import_module(name)
        except ImportError:  # the ETSI report tools need xsdata, which is optional
            continue
        lookup, namespace = (getattr(module, n, None) for n in ("get_pyca_cryptography_hash", "hashes"))
        assert lookup is compat.hash_algorithm or getattr(namespace, "Hash", None) is compat.new_hash, name
        assert lookup is not compat.UPSTREAM_HASH_LOOKUP and namespace is not compat.hashes, name
    h = generic_cms.hashes.Hash(compat.Streebog256())
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


def test_signature_validator_interface_is_upstreams():
    from pyhanko_certvalidator.sig_validate import SignatureValidator

    assert list(inspect.signature(SignatureValidator.validate_signature).parameters) == [
        "self", "signature", "signed_data", "public_key_info", "signature_algorithm", "context"]
    assert "prehashed" in inspect.signature(SignatureValidationContext).parameters


@pytest.mark.parametrize("prehashed", [False, True])
def test_signature_mechanism_verifies_gost(prehashed):
    signature, payload, spki, algorithm = _gost_case(prehashed)
    context = SignatureValidationContext(contextual_md_algorithm="streebog256", prehashed=prehashed)
    compat.PYHANKO_SIGNATURE_VALIDATOR.validate_signature(signature, payload, spki, algorithm, context)
    broken = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises(InvalidSignature):
        compat.PYHANKO_SIGNATURE_VALIDATOR.validate_signature(broken, payload, spki, algorithm, context)


def test_signature_mechanism_named_by_the_key_oid():
    """openssl and CryptoPro name the GOST key algorithm as the signer info's signature algorithm."""
    signature, payload, spki, _ = _gost_case(False)
    by_key = algos.SignedDigestAlgorithm({"algorithm": oids.GOST_KEY_256})
    assert compat.signature_mechanism(by_key)["algorithm"].dotted == oids.GOST_SIGN_256
    compat.PYHANKO_SIGNATURE_VALIDATOR.validate_signature(signature, payload, spki, by_key)


def test_validation_context_carries_the_gost_validator():
    assert "signature_validator" in inspect.signature(compat.ValidationContext).parameters
    context = compat.pyhanko_context(trust_roots=[])
    assert context.sig_validator is compat.PYHANKO_SIGNATURE_VALIDATOR
