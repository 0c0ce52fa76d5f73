"""`registry operator [--dir DIR] grant|revoke <СНИЛС>` and `registry operator list`.

Which instance: ``--dir`` (or ``REGISTRY_DEMO_DIR``) names a demo instance directory such as
``instance/demo`` made by ``make demo``; otherwise the configured application
(``DATABASE_URL`` / ``REGISTRY_INSTANCE_PATH``); with neither configured and ``instance/demo``
present, that demo instance.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..core.uow import command_transaction
from ..identifiers import format_snils
from ..text import agree

DEFAULT_DEMO_DIR = Path("instance/demo")
DIR_KEY = "registry.operator_dir"


@click.group("operator", help="Операторы реестра: назначение и снятие.")
@click.option("--dir", "directory", default=None, envvar="REGISTRY_DEMO_DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Каталог демо-экземпляра (например instance/demo, его создаёт make demo).")
@click.pass_context
def operator_cli(ctx: click.Context, directory: Path | None) -> None:
    ctx.meta[DIR_KEY] = directory


def _configured() -> bool:
    return bool(os.environ.get("DATABASE_URL") or os.environ.get("REGISTRY_INSTANCE_PATH"))


def _application(ctx: click.Context) -> tuple[Flask, str]:
    from ..core import demo_steps as demo

    directory = ctx.meta.get(DIR_KEY)
    info = ctx.ensure_object(ScriptInfo)
    if directory is None and not _configured() and demo.is_default_factory(info.create_app) \
            and (DEFAULT_DEMO_DIR / "registry.db").exists():
        directory = DEFAULT_DEMO_DIR
    if directory is not None:
        if not (Path(directory) / "registry.db").exists():
            raise click.ClickException(
                f"В каталоге {directory} нет демо-экземпляра: создайте его командой `make demo` "
                f"(или `registry demo setup --dir {directory}`).")
        return demo.create_demo_app(directory), f"демо-экземпляр {directory}"
    app = info.load_app()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    return app, f"база {url}"


@contextmanager
def _instance() -> Iterator[str]:
    """The chosen application's context; a database that is missing or not migrated is a
    clear message, not a traceback."""
    app, where = _application(click.get_current_context())
    with app.app_context():
        try:
            yield where
        except SQLAlchemyError as exc:
            first = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else exc.__class__.__name__
            raise click.ClickException(
                f"База данных не готова ({where}: {first}). Создайте её таблицы командой "
                "`registry db upgrade`, или укажите демо-экземпляр: "
                "`registry operator --dir instance/demo …` (его создаёт `make demo`).") from None


def _snils(parts: tuple[str, ...]) -> str:
    if not parts:
        raise click.UsageError("Укажите СНИЛС, например: registry operator grant 334-455-667 84")
    return " ".join(parts)


def _set(parts: tuple[str, ...], granted: bool) -> None:
    from .services import OperatorError, set_operator
    snils = _snils(parts)
    with _instance() as where:
        try:
            user = command_transaction(set_operator)(snils, granted)
        except OperatorError as exc:
            raise click.ClickException(exc.message) from None
        state = (agree(user.full_name, "назначен", "назначена") + " оператором реестра" if granted
                 else "больше не оператор реестра")
        click.echo(f"{user.full_name} (СНИЛС {format_snils(user.snils)}) {state} ({where})")


@operator_cli.command("grant")
@click.argument("snils", nargs=-1, metavar="СНИЛС")
def grant(snils: tuple[str, ...]) -> None:
    """Make the person with this СНИЛС a registry operator (spaces and dashes allowed)."""
    _set(snils, True)


@operator_cli.command("revoke")
@click.argument("snils", nargs=-1, metavar="СНИЛС")
def revoke(snils: tuple[str, ...]) -> None:
    """Take the operator role away."""
    _set(snils, False)


@operator_cli.command("list")
def list_operators() -> None:
    """Print the registry operators."""
    from .services import operators
    with _instance() as where:
        found = operators()
        for user in found:
            click.echo(f"{format_snils(user.snils or '')}\t{user.full_name}")
    if not found:
        click.echo(f"Операторов нет ({where}).")
