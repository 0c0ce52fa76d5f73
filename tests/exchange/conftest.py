"""An organization with an exchange profile, and the certificates of its information systems."""

from __future__ import annotations

import pytest

from registry.pki.demo_pki import ORGANIZATION

from ..documents.conftest import Browser, as_person, org  # noqa: F401  (fixtures)


def system_subject(name: str) -> list[tuple[str, str]]:
    return [("C", "RU"), ("O", ORGANIZATION["name"]), ("CN", name)]


@pytest.fixture(scope="session")
def system_cert(issue_certificate):
    """A certificate of an information system, issued by the demo CA (ECDSA)."""
    return issue_certificate(system_subject("ИС «Учёт»"))


@pytest.fixture(scope="session")
def branch_cert(issue_certificate):
    return issue_certificate(system_subject("ИС филиала"), alg="rsa")


@pytest.fixture(scope="session")
def stranger_cert(issue_certificate):
    """Valid, trusted, but in no exchange profile and of nobody's account."""
    return issue_certificate(system_subject("Посторонняя ИС"))
