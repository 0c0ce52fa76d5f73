"""Russian registration identifiers (re-exported from :mod:`registry.identifiers`)."""

from registry.identifiers import *  # noqa: F401,F403
from registry.identifiers import __all__  # noqa: F401
