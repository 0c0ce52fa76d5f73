from ..members.conftest import org  # noqa: F401  (fixture)
from ..organizations.conftest import demo_extract, refdata, wizard  # noqa: F401  (fixtures)
