"""The members domain's fixtures (a registered organization, the head's browser) for the shell's tests."""

from tests.members.conftest import org, wizard  # noqa: F401  (fixtures)
