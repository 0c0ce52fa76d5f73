"""`registry trust import-tsl FILE|URL`, `registry trust refresh`, `registry trust status`."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

MOSCOW_FORMAT = "%d.%m.%Y %H:%M"


@click.group("trust", help="Доверенные УЦ: список Минцифры (TSL) и списки отзыва (CRL).")
def trust_cli() -> None:
    pass


def _msk(value) -> str:
    from .validation import MOSCOW

    return value.astimezone(MOSCOW).strftime(MOSCOW_FORMAT) + " МСК" if value else "—"


@trust_cli.command("import-tsl")
@click.argument("source")
@with_appcontext
def import_tsl_command(source: str) -> None:
    """Build the trust store from the official list of accredited CAs (TSL.xml, file or URL)."""
    from .store import import_tsl
    from .tsl import TslError

    try:
        result = import_tsl(current_app._get_current_object(), source)
    except TslError as exc:
        raise click.ClickException(f"список не принят: {exc}") from None
    click.echo(
        f"Список аккредитованных УЦ версии {result.version} от {_msk(result.date)} "
        f"установлен в {result.path}."
    )
    if result.previous_version is not None:
        click.echo(f"  заменил версию {result.previous_version}")
    click.echo(
        f"  удостоверяющих центров: {result.cas} (аккредитация действует: "
        f"{result.active_cas}), сертификатов: {result.certificates}, "
        f"головных корневых: {result.head_roots}"
    )
    for problem in result.problems[:50]:
        click.echo(f"  пропущено: {problem}")
    if len(result.problems) > 50:
        click.echo(f"  … и ещё {len(result.problems) - 50}")


@trust_cli.command("refresh")
@click.option("--json", "as_json", is_flag=True, help="Вывод в JSON.")
@click.option("--wait", is_flag=True, help="Ждать, если обновление уже идёт в другом процессе.")
@with_appcontext
def refresh_command(as_json: bool, wait: bool) -> None:
    """Download, verify and install every CA's CRL (one refresh; locked across instances)."""
    from .refresh import run_refresh

    reports = run_refresh(current_app._get_current_object(), wait=wait)
    if reports is None:
        if as_json:
            click.echo(json.dumps({"skipped": True, "reports": []}))
        else:
            click.echo("Обновление уже выполняется другим процессом — пропущено.")
        return
    if as_json:
        click.echo(
            json.dumps(
                {"skipped": False, "reports": [r.to_dict() for r in reports]},
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    if not reports:
        click.echo("В хранилище нет удостоверяющих центров.")
        return
    width = min(60, max(len(r.ca) for r in reports))
    click.echo(f"{'УЦ':<{width}}  {'состояние':<11}  {'следующее обновление':<22}  обновлён")
    for r in reports:
        click.echo(
            f"{r.ca[:width]:<{width}}  {r.status_title:<11}  {_msk(r.next_update):<22}  "
            f"{'да' if r.updated else 'нет'}"
        )
        for error in r.errors[:3]:
            click.echo(f"{'':<{width}}    {error}")
    counts: dict[str, int] = {}
    for r in reports:
        counts[r.status_title] = counts.get(r.status_title, 0) + 1
    click.echo("Итого: " + ", ".join(f"{k} — {v}" for k, v in sorted(counts.items())))
    sys.stdout.flush()


@trust_cli.command("status")
@with_appcontext
def status_command() -> None:
    """Show the installed list and every CA's CRL state."""
    from .status import trust_status

    status = trust_status()
    states = {
        "fresh": "актуален",
        "expiring": "истекает менее чем через 24 ч",
        "grace": "устарел (льготный период)",
        "stale": "устарел",
        "none": "нет",
    }
    tsl = status["tsl"]
    if tsl:
        click.echo(f"Список УЦ: версия {tsl['version']} от {tsl['date_text']}, УЦ: {tsl['cas']}")
    else:
        click.echo("Список УЦ не импортирован (хранилище собрано вручную).")
    for ca in status["cas"]:
        accreditation = ca["accreditation"] or "не из списка"
        click.echo(
            f"  {ca['name']}: аккредитация — {accreditation}, СОС — "
            f"{states.get(ca['crl_state'], ca['crl_state'])}, следующее обновление "
            f"{ca['next_update_text']}"
        )
    for problem in status["problems"]:
        click.echo(f"  не загружен: {problem['path']}: {problem['error']}")
