"""`registry mchd verify FILE [SIG]`: the checks of an МЧД from the command line (FILE: the XML
with its detached SIG, a ZIP package, or an attached signature carrying the XML)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..pki import TrustStore, TrustStoreError
from ..pki.cli import parse_at, read_input
from ..trust import trust_store

# Input the command cannot read at all: exit 2, like `registry cert verify` on a malformed file.
UNREADABLE = ("xml_malformed", "signature_unreadable", "package_invalid", "xml_wrong_encoding")


@click.group("mchd", help="Машиночитаемые доверенности (МЧД).")
def mchd_cli() -> None:
    pass


@mchd_cli.command("verify")
@click.argument("xml_file", metavar="FILE")
@click.argument("sig_file", metavar="[SIG]", required=False)
@click.option("--at", "at", help="Момент проверки, ISO 8601 (по умолчанию — сейчас).")
@click.option("--json", "as_json", is_flag=True, help="Вывод в JSON.")
@click.option("--parent", "parents", nargs=2, multiple=True, metavar="XML SIG",
              help="Исходная доверенность для передоверия (можно несколько).")
@click.option("--representative", help="СНИЛС или ИНН, который должен быть у представителя.")
@click.option("--no-file-name", "no_file_name", is_flag=True,
              help="Не сверять имя файла с ИдФайл.")
@click.option("--trust", "trust", multiple=True,
              help="Доверенные сертификаты и СОС: файл или каталог (по умолчанию — хранилище реестра).")
@with_appcontext
def verify_command(xml_file: str, sig_file: str | None, at: str | None, as_json: bool,
                   parents: tuple[tuple[str, str], ...], representative: str | None,
                   no_file_name: bool, trust: tuple[str, ...]) -> None:
    """Exit 0 if the МЧД is valid, 1 if not, 2 on a usage error or unreadable input."""
    from .provider import check_context
    from .verify import verify

    moment = parse_at(at)
    xml, signature = read_input(xml_file), read_input(sig_file) if sig_file else None
    parent_files = [(read_input(x), read_input(s)) for x, s in parents]
    who = _representative(representative) if representative else None
    try:
        store = TrustStore.from_paths(*trust) if trust else trust_store()
    except TrustStoreError as exc:
        raise click.UsageError(str(exc)) from exc
    context = check_context(parent_files, trust_store=store)
    name = None if no_file_name or xml_file == "-" else Path(xml_file).name
    result = verify(xml, signature, file_name=name, at=moment, representative=who, context=context)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(f"{'ДЕЙСТВИТЕЛЬНА' if result.valid else 'НЕ ДЕЙСТВИТЕЛЬНА'} [{result.code}]")
        click.echo(result.message)
        for check in result.checks:
            mark = "–" if check.skipped else "!" if check.warning else "✓" if check.ok else "✗"
            click.echo(f"  {mark} {check.title}: {check.message}")
        for power in result.powers:
            click.echo(f"  • {power['name']}" + (f" (код {power['code']})" if power["code"] else " (текстом)"))
    sys.exit(0 if result.valid else 2 if result.code in UNREADABLE else 1)


def _representative(value: str):
    from ..identifiers import digits
    from .model import Person

    number = digits(value)
    if len(number) == 11:
        return Person("", "", None, None, number)
    if len(number) == 12:
        return Person("", "", None, number, None)
    raise click.BadParameter("ожидается СНИЛС (11 цифр) или ИНН физического лица (12 цифр)",
                             param_hint="--representative")
