"""Each patch of pyhanko-certvalidator in registry.pki.validation._pyhanko_compat rests on a
shape of upstream's code; these tests fail when an upgrade changes that shape."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from importlib.metadata import version
from pathlib import Path

from pyhanko_certvalidator import registry as upstream_registry
from pyhanko_certvalidator import validate as upstream_validate
from pyhanko_certvalidator.revinfo import validate_ocsp as upstream_validate_ocsp

from registry.pki import oids
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
