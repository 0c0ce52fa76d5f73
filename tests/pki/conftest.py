"""Fixtures for pki tests: the conformance data and the demo trust store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from registry.pki import TrustStore

ROOT = Path(__file__).resolve().parents[2]


def conformance_dir() -> Path:
    """``../shared/conformance`` beside the checkout, or REGISTRY_CONFORMANCE_DIR."""
    path = Path(os.environ.get("REGISTRY_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))
    assert path.is_dir(), f"conformance data not found at {path}; set REGISTRY_CONFORMANCE_DIR"
    return path


@pytest.fixture(scope="session")
def conformance() -> Path:
    return conformance_dir()


@pytest.fixture(scope="session")
def trust_store(demo_pki) -> TrustStore:
    return TrustStore.from_paths(demo_pki.trust_dir)
