"""`registry trust import-tsl FILE|URL`, `registry trust refresh`, `registry trust status`,
and `registry cert show|verify` (verify gives the application's verdict: :func:`.decide`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app, has_app_context
from flask.cli import with_appcontext

from ..pki import TrustStore, TrustStoreError
from ..pki.cli import parse_at, read_input, show
from ..pki.validation import PURPOSES
from .accreditation import AccreditationIndex
from .decision import decide
from .metadata import read_metadata

MOSCOW_FORMAT = "%d.%m.%Y %H:%M"


@click.group("trust", help="Доверенные УЦ: список Минцифры (TSL) и списки отзыва (CRL).")
def trust_cli() -> None:
    pass


def _msk(value) -> str:
    from .decision import MOSCOW

    return value.astimezone(MOSCOW).strftime(MOSCOW_FORMAT) + " МСК" if value else "—"


@trust_cli.command("import-tsl")
@click.argument("source")
@with_appcontext
def import_tsl_command(source: str) -> None:
    """Build the trust store from the official list of accredited CAs (TSL.xml, file or URL)."""
    from .install import import_tsl
    from .tsl import TslError

    try:
        result = import_tsl(current_app._get_current_object(), source)
    except TslError as exc:
        raise click.ClickException(f"список не принят: {exc}") from None
    click.echo(
        f"Список аккредитованных УЦ версии {result.version} от {_msk(result.date)} "
        f"установлен в {result.path}."
    )
    click.echo(f"  подпись Минцифры проверена: {result.signer}")
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
    if status["gost_engine"]["warning"]:
        click.echo(f"Внимание: {status['gost_engine']['warning']}")


def _verify_store(trust: tuple[str, ...], crls: tuple[str, ...]
                  ) -> tuple[TrustStore, AccreditationIndex]:
    """The store and CA list to judge by: ``--trust`` paths (a built store's tsl.json counts),
    else the application's store, else ``certs/``; ``--crl`` files added to it."""
    if trust:
        store = TrustStore.from_paths(*trust, crls=crls)
        lists = [read_metadata(p) for p in trust if Path(p).is_dir()]
        return store, AccreditationIndex.from_metadata(next((m for m in lists if m), None))
    if has_app_context():
        from .store import holder

        current = holder()
        base, accreditation = current.get(), current.accreditation
    else:
        base = TrustStore.from_paths(Path("certs"))
        accreditation = AccreditationIndex.from_metadata(read_metadata(Path("certs")))
    if not crls:
        return base, accreditation
    extra = TrustStore.from_paths(crls=crls).crls
    return TrustStore.build(base.roots, base.intermediates, (*base.crls, *extra),
                            base.problems), accreditation


@click.command("verify")
@click.argument("file")
@click.option("--chain", "chain", multiple=True, help="Промежуточный сертификат (можно несколько).")
@click.option("--trust", "trust", multiple=True, help="Доверенные сертификаты: файл или каталог.")
@click.option("--crl", "crls", multiple=True, help="Файл СОС (CRL).")
@click.option("--at", "at", help="Момент проверки, ISO 8601 (по умолчанию — сейчас).")
@click.option("--purpose", type=click.Choice(PURPOSES), default="login", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Вывод в JSON.")
def verify(file: str, chain: tuple[str, ...], trust: tuple[str, ...], crls: tuple[str, ...],
           at: str | None, purpose: str, as_json: bool) -> None:
    """Exit 0 if the certificate is trusted for the purpose, 1 if not, 2 on bad input.

    The verdict is the application's (the same as at sign-in): path, revocation as configured,
    and the accreditation of every CA of the chain at the moment of the check.
    """
    moment = parse_at(at)
    data = read_input(file)
    intermediates = [read_input(path) for path in chain]
    try:
        store, accreditation = _verify_store(trust, crls)
    except (TrustStoreError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    for problem in store.problems:
        click.echo(f"Предупреждение: файл хранилища доверия пропущен: {problem}", err=True)
    result = decide(data, trust_store=store, intermediates=intermediates, at=moment,
                    purpose=purpose, accreditation=accreditation)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        mark = "ДЕЙСТВИТЕЛЕН" if result.valid else "НЕ ДЕЙСТВИТЕЛЕН"
        click.echo(f"{mark}: {result.title} [{result.code}]")
        click.echo(result.message)
        for cert in result.chain:
            click.echo(f"  ← {cert.subject}")
    sys.exit(0 if result.valid else 2 if result.code == "malformed" else 1)


cert_cli = click.Group("cert", help="Показать и проверить сертификаты.",
                       commands=[show, verify])
