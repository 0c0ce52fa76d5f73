"""Trust operations (spec §7): the trust store, the official CA list, CRL refresh.

Public API::

    init_app(app)                        # the holder of the app's trust store, CLI, schedule
    holder() / trust_store()             # the current TrustStoreHolder / TrustStore
    decide(cert, *, trust_store=None, intermediates=(), at=None, purpose="login")
    import_tsl(app, source) -> ImportResult          # `registry trust import-tsl`
    refresh_crls(app) -> list[CaRefreshReport]       # `registry trust refresh`
"""

from __future__ import annotations

from flask import Flask

from .decision import decide
from .install import ImportResult, import_tsl
from .refresh import CaRefreshReport, refresh_crls
from .store import EXTENSION_KEY, LoadProblem, TrustStoreHolder, holder, load_store, trust_store
from .tsl import TrustList, TslError, parse_tsl


def init_app(app: Flask) -> None:
    from .cli import cert_cli, trust_cli
    from .decision import revocation_options
    from .schedule import init_schedule
    from .store import init_app as init_holder

    revocation_options(app.config)  # a wrong REGISTRY_REVOCATION / REGISTRY_CRL_GRACE stops here
    init_holder(app)
    app.cli.add_command(trust_cli)
    app.cli.add_command(cert_cli)
    init_schedule(app)


__all__ = [
    "EXTENSION_KEY",
    "LoadProblem",
    "TrustStoreHolder",
    "holder",
    "load_store",
    "trust_store",
    "CaRefreshReport",
    "refresh_crls",
    "ImportResult",
    "import_tsl",
    "TrustList",
    "TslError",
    "parse_tsl",
    "decide",
    "init_app",
]
