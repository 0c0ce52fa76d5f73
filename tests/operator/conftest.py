from ..members.conftest import org, wizard  # noqa: F401  (fixtures)
