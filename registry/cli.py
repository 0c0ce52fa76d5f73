"""The ``registry`` command: the Flask CLI of this application plus demo and doctor commands."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from . import create_app, demo

DEFAULT_DEMO_DIR = Path("instance/demo")
# Commands that may run on a database that does not exist yet (they create or serve it).
_CREATING_COMMANDS = {"db", "demo", "run", "shell", "routes", None}
NOT_READY = ("База данных не готова ({where}): {reason}. Создайте её таблицы командой "
             "`registry db upgrade`, или укажите экземпляр: `REGISTRY_DEMO_DIR=instance/demo` "
             "(его создаёт `make demo`) или `DATABASE_URL`.")


def _configured() -> bool:
    return bool(os.environ.get("DATABASE_URL") or os.environ.get("REGISTRY_INSTANCE_PATH"))


_COMMAND_KEY = "registry.command"


def _invoked_command() -> str | None:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_COMMAND_KEY) if ctx is not None else None


def default_create_app():
    """The application of the instance the server uses: the demo instance named by
    ``REGISTRY_DEMO_DIR``; else the environment's (``DATABASE_URL``, ``REGISTRY_INSTANCE_PATH``);
    else, run from the project directory, the demo instance ``make demo`` made.

    A command that needs the database refuses an SQLite file that is not there (instead of
    creating an empty one beside the real instance).
    """
    directory = os.environ.get("REGISTRY_DEMO_DIR") or None
    if directory is None and not _configured() and (DEFAULT_DEMO_DIR / "registry.db").exists():
        directory = str(DEFAULT_DEMO_DIR)
    needs_database = _invoked_command() not in _CREATING_COMMANDS
    if directory is not None:
        if needs_database and not (Path(directory) / "registry.db").exists():
            raise click.ClickException(
                f"В каталоге {directory} нет демо-экземпляра: создайте его командой `make demo` "
                f"(или `registry demo setup --dir {directory}`).")
        return demo.create_demo_app(directory)
    app = create_app()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if needs_database and url.get_backend_name() == "sqlite" and url.database \
            and url.database != ":memory:" and not Path(url.database).exists():
        _refuse_to_create(app, url.database)
    return app


def _refuse_to_create(app, path: str) -> None:
    """Opening the missing SQLite file ``path`` is a message (sqlite3 would create it empty).
    Checked when a connection is opened, not now: a command may use another instance
    (``registry operator --dir``)."""
    from sqlalchemy import event

    from .extensions import db

    def refuse(*_args):
        if not Path(path).exists():
            raise click.ClickException(NOT_READY.format(where=path, reason="файла базы нет"))

    with app.app_context():
        event.listen(db.engine, "do_connect", refuse)


default_create_app.registry_default = True  # type: ignore[attr-defined]


def _missing_tables(exc: Exception) -> bool:
    message = str(getattr(exc, "orig", exc))
    return "no such table" in message or ("relation" in message and "does not exist" in message)


class RegistryGroup(FlaskGroup):
    """The Flask CLI group whose commands answer a database without its tables with a
    message, not a traceback."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        # before the command is looked up, which loads the application (default_create_app)
        ctx.meta[_COMMAND_KEY] = args[0] if args else None
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as exc:
            if not _missing_tables(exc):
                raise
            app = ctx.ensure_object(ScriptInfo).load_app()  # the one the command used
            where = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(
                hide_password=True)
            first = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise click.ClickException(NOT_READY.format(where=where, reason=first)) from None


@click.group(cls=RegistryGroup, create_app=default_create_app)
def main():
    """Registry of organizations (Flask CLI with the application loaded)."""


@main.command()
@with_appcontext
def doctor():
    """Print configuration facts: database, trust store, CRLs, proxies, GOST backend and engine."""
    from .extensions import db
    from .pki import doctor_info
    from .trust import holder

    cfg = current_app.config

    def fact(name, value):
        click.echo(f"{name:<28} {value}")

    fact("python", f"{platform.python_version()} ({sys.executable})")
    fact("instance path", current_app.instance_path)
    url = make_url(cfg["SQLALCHEMY_DATABASE_URI"])
    fact("database", url.render_as_string(hide_password=True))
    try:
        db.session.execute(text("SELECT 1"))
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        fact("database status", f"reachable, migration {revision}")
    except Exception as exc:
        db.session.rollback()
        fact("database status", f"NOT READY: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
                                " (run `registry db upgrade`)")
    h = holder()
    store = h.get()
    fact("trust store", f"{h.path} ({len(store.roots)} roots, {len(store.intermediates)} "
                        f"intermediates, {len(store.crls)} CRLs)")
    if h.error:
        fact("trust store error", h.error)
    from .trust.status import trust_status

    trust = trust_status(h)
    if trust["tsl"]:
        tsl = trust["tsl"]
        fact("trusted CA list (TSL)", f"version {tsl['version']} of {tsl['date']} "
                                      f"({tsl['cas']} CAs, imported {tsl['imported_at']})")
    else:
        fact("trusted CA list (TSL)", "not imported (`registry trust import-tsl FILE|URL`)")
    for problem in trust["problems"]:
        fact("  not loaded", f"{problem['path']}: {problem['error']}")
    last = trust["last_refresh"]
    fact("last CRL refresh", last["finished_at"] if last else "never (`registry trust refresh`)")
    fact("revocation", f"{cfg['REGISTRY_REVOCATION']}, CRL grace "
                       f"{cfg['REGISTRY_CRL_GRACE'] or 'none (fail closed)'}")
    for crl in store.crl_status():
        state = "fresh" if crl.get("fresh") else "STALE"
        fact("  CRL", f"{state}, next update {crl.get('next_update')}: {crl.get('issuer')}")
    fact("trusted proxies", cfg["REGISTRY_TRUSTED_PROXIES"] or "(none: X-SSL-Client-Cert ignored)")
    fact("МЧД registry", cfg.get("REGISTRY_MCHD_PROVIDER_URL") or "(none: МЧД uploaded as files, "
                                                                  "revocation not checked)")
    fact("session idle timeout", f"{cfg['REGISTRY_SESSION_IDLE_MINUTES']} min")
    fact("session lifetime", f"{cfg['REGISTRY_SESSION_LIFETIME_HOURS']} h")
    fact("secure cookies", cfg["SESSION_COOKIE_SECURE"])
    fact("secret key", cfg.get("REGISTRY_SECRET_KEY_SOURCE")
         + ("" if cfg.get("REGISTRY_SECRET_KEY_SOURCE") == "SECRET_KEY"
            else "  (set SECRET_KEY in production, the same on every instance)"))
    info = doctor_info()
    for key, value in info.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value)) or "(none)"
        fact(f"pki: {key}", value)
    from .pki.gost_engine import engine_status

    engine = engine_status()
    if engine.loaded:
        fact("GOST engine", f"loaded: {engine.description}")
    elif engine.backend is None:
        fact("GOST engine", f"WARNING: no GOST backend loads ({engine.reason}): GOST signatures "
                            f"and certificates cannot be checked; {engine.remedy}")
    else:
        fact("GOST engine", f"WARNING: not in use ({engine.reason}); GOST validation falls back to "
                            f"pure Python (about ten times slower): {engine.remedy}")
    _doctor_tsl_signer(fact, cfg)


def _doctor_tsl_signer(fact, cfg) -> None:
    from .trust.signature import CONFIG_KEY, signer_certificates
    from .trust.tsl import TslError

    try:
        certs = signer_certificates(cfg)
    except TslError as exc:
        fact("TSL signer certificate", f"WARNING: {exc} (`registry trust import-tsl` refuses every list)")
        return
    for cert in certs:
        fact("TSL signer certificate", f"{cert.subject}, valid until {cert.not_after:%Y-%m-%d} "
                                       f"({cfg[CONFIG_KEY]})")


@main.group("demo")
def demo_group():
    """Self-contained demo instance (database, demo PKI, demo data) in one directory."""


@demo_group.command("setup")
@click.option("--dir", "directory", default="instance/demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--without-organization", is_flag=True,
              help="Leave ООО «РОМАШКА» unregistered (for the head to register it in the wizard).")
def demo_setup(directory: Path, without_organization: bool):
    """Create or update the demo instance: migrations, demo PKI, demo data."""
    demo.setup(directory, echo=click.echo, without_organization=without_organization)
    click.echo(f"demo instance ready in {directory.resolve()}")


@demo_group.command("serve")
@click.option("--dir", "directory", default="instance/demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8443, show_default=True, type=int)
def demo_serve(directory: Path, host: str, port: int):
    """Serve the demo instance over HTTPS, asking browsers for a client certificate."""
    from .web.server import make_server

    if not (directory / "registry.db").exists():
        raise click.ClickException(f"no demo instance in {directory}: run `registry demo setup "
                                   f"--dir {directory}` first")
    app = demo.create_demo_app(directory)
    from .jobs import start_embedded_consumer, stop_embedded_consumer
    start_embedded_consumer(app)  # the demo's background jobs run in threads of this process
    pki = demo.load_pki(directory)
    server = make_server(app, host, port, str(pki.server_cert_path), str(pki.server_key_path))
    shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    if not app.config.get("REGISTRY_SITE_ORIGIN"):
        # Challenges of sign-in by signature name this origin (never a request's Host).
        app.config["REGISTRY_SITE_ORIGIN"] = f"https://{shown_host}:{server.port}"
    # No timer in the demo: a background thread re-issues the demo CAs' CRLs when they near
    # their nextUpdate and runs the CRL refresh, at start and then periodically.
    from .pki.demo_pki import build_demo_pki
    from .trust.schedule import start_refresh_thread

    refresher = start_refresh_thread(app, before=lambda: build_demo_pki(pki.root))
    click.echo(demo.instructions(directory, f"https://{shown_host}:{server.port}"))
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        refresher.stop()
        server.server_close()
        stop_embedded_consumer()
