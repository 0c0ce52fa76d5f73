"""The Flask application factory (re-exported lazily as ``registry.create_app``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from . import config as config_module
from .extensions import csrf, db, login_manager, migrate

MIGRATIONS_DIR = config_module.PROJECT_ROOT / "migrations"


def _settings(config) -> dict:
    settings = config_module.from_environ()
    if config is None:
        return settings
    if isinstance(config, Mapping):
        settings.update(config)
    else:
        settings.update({k: getattr(config, k) for k in dir(config) if k.isupper()})
    return settings


class JsonFormatter(logging.Formatter):
    """One JSON object per line (REGISTRY_LOG_FORMAT=json), for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        import json
        from datetime import datetime, timezone

        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                 "pid": record.process}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _configure_logging(level: str, fmt: str = "text") -> None:
    log = logging.getLogger("registry")
    log.setLevel(level.upper())
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter() if fmt == "json" else
                             logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)


def create_app(config: Mapping | object | None = None) -> Flask:
    """Create the application: defaults, then environment variables, then ``config``."""
    settings = _settings(config)
    # Named after the package: templates, static files and the logger are found by it.
    app = Flask("registry", instance_path=settings.get("REGISTRY_INSTANCE_PATH") or None)
    from .web import IdConverter
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.update(settings)
    instance = Path(app.instance_path)

    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        instance.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{instance / 'registry.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalize_database_url(uri)
    if uri.startswith("sqlite"):
        # A local file cannot go stale the way a server connection can; skip the extra query.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.instance_secret_key(instance)
        app.config["REGISTRY_SECRET_KEY_SOURCE"] = str(instance / "secret_key")
    else:
        app.config.setdefault("REGISTRY_SECRET_KEY_SOURCE", "SECRET_KEY")
    _configure_logging(str(app.config["REGISTRY_LOG_LEVEL"]), str(app.config.get("REGISTRY_LOG_FORMAT")))

    db.init_app(app)
    from .core import access, uow
    uow.init_app(app)  # first, so that its after_request runs last
    access.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    # Flask-Login's own context processor loads the account for every template; templates get
    # the lazy current_user proxy instead (see web.init_app), so pages not using it skip the query.
    login_manager.init_app(app, add_context_processor=False)

    from . import (
        auth,
        documents,
        exchange,
        jobs,
        mchd,
        members,
        notices,
        operator,
        organizations,
        refdata,
        register,
        trust,
        web,
    )
    jobs.init_app(app)
    from . import metrics
    metrics.init_app(app)
    trust.init_app(app)
    web.init_app(app)
    auth.init_app(app)
    refdata.init_app(app)
    organizations.init_app(app)
    members.init_app(app)
    mchd.init_app(app)
    notices.init_app(app)
    documents.init_app(app)
    exchange.init_app(app)
    operator.init_app(app)
    register.init_app(app)

    from .pki.cli import pki_cli
    app.cli.add_command(pki_cli)
    from . import indexes  # noqa: F401  (search indexes declared beside the models)
    jobs.start(app)  # once every domain has registered its jobs
    return app
