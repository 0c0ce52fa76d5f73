from ..documents.conftest import as_person, org  # noqa: F401  (fixtures)
from ..exchange.conftest import system_cert  # noqa: F401  (fixture)
