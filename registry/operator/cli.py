"""`registry operator grant|revoke <СНИЛС>` and `registry operator list`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..core.uow import command_transaction
from ..refdata.identifiers import format_snils


@click.group("operator", help="Операторы реестра: назначение и снятие.")
def operator_cli() -> None:
    pass


def _set(snils: str, granted: bool) -> None:
    from .services import OperatorError, set_operator
    try:
        user = set_operator(snils, granted)
    except OperatorError as exc:
        raise click.ClickException(exc.message) from None
    state = "назначен оператором реестра" if granted else "больше не оператор реестра"
    click.echo(f"{user.full_name} (СНИЛС {format_snils(user.snils)}) {state}")


@operator_cli.command("grant")
@click.argument("snils")
@with_appcontext
@command_transaction
def grant(snils: str) -> None:
    """Make the person with this СНИЛС a registry operator."""
    _set(snils, True)


@operator_cli.command("revoke")
@click.argument("snils")
@with_appcontext
@command_transaction
def revoke(snils: str) -> None:
    """Take the operator role away."""
    _set(snils, False)


@operator_cli.command("list")
@with_appcontext
def list_operators() -> None:
    """Print the registry operators."""
    from .services import operators
    for user in operators():
        click.echo(f"{format_snils(user.snils or '')}\t{user.full_name}")
