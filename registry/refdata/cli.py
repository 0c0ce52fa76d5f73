"""`registry refdata import-okved FILE` and `registry egrul import PATH...`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..core.uow import command_transaction


@click.group("refdata", help="Справочники: ОКВЭД2.")
def refdata_cli() -> None:
    pass


@refdata_cli.command("import-okved")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
@command_transaction
def import_okved_command(file: str) -> None:
    """Import the official OKVED2 CSV of Rosstat (windows-1251, ';', quoted)."""
    from .services import import_okved

    report = import_okved(file)
    click.echo(f"ОКВЭД2: разделов {report.sections}, кодов {report.codes}, ошибок {len(report.errors)}")
    for error in report.errors[:50]:
        click.echo(f"  {error}", err=True)
    sys.exit(1 if report.errors and not report.codes else 0)


@click.group("egrul", help="Выписки ЕГРЮЛ/ЕГРИП.")
def egrul_cli() -> None:
    pass


@egrul_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--quiet", is_flag=True, help="Не печатать ход импорта.")
@with_appcontext
@command_transaction
def import_egrul_command(paths: tuple[str, ...], quiet: bool) -> None:
    """Import ЕГРЮЛ/ЕГРИП XML extracts: files, folders or zip archives."""
    from .egrul import import_egrul

    report = import_egrul(paths, echo=None if quiet else click.echo)
    click.echo(report.summary())
    for error in report.errors[:200]:
        click.echo(f"  {error}", err=True)
    if len(report.errors) > 200:
        click.echo(f"  … и ещё {len(report.errors) - 200}", err=True)
