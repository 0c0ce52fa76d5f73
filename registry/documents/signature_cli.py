"""`registry signature verify FILE [SIG]`: the one verifier from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..pki.cli import parse_at
from ..pki.store import TrustStore, TrustStoreError
from ..trust.store import trust_store


@click.group("signature", help="Проверка электронных подписей (CAdES, PAdES, CMS).")
def signature_cli() -> None:
    pass


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.UsageError(f"не удалось прочитать {path}: {exc.strerror}") from exc


@signature_cli.command("verify")
@click.argument("file")
@click.argument("sig", required=False)
@click.option("--at", "at", help="Момент проверки, ISO 8601 (по умолчанию — сейчас).")
@click.option("--trust", "trust", multiple=True, help="Доверенные сертификаты и СОС: файл или каталог.")
@click.option("--json", "as_json", is_flag=True, help="Вывод в JSON.")
def verify(file: str, sig: str | None, at: str | None, trust: tuple[str, ...], as_json: bool) -> None:
    """FILE: a signed PDF, an attached signature, or the document of the detached SIG.

    Exit 0 if every signature is TOTAL_PASSED, 1 if not, 2 on a usage error."""
    from flask import current_app

    from ..pki.ades.limits import Limits
    from ..pki.ades.verify import verify_file
    from ..trust.decision import decide

    moment = parse_at(at)
    data = _read(file)
    signature = _read(sig) if sig else None
    try:
        store = TrustStore.from_paths(*trust) if trust else trust_store()
    except TrustStoreError as exc:
        raise click.UsageError(str(exc)) from exc
    verdicts = verify_file(data, signature, trust_store=store, at=moment, validate=decide,
                           limits=Limits.from_config(current_app.config))
    if as_json:
        click.echo(json.dumps({"signatures": [v.to_dict() for v in verdicts]}, ensure_ascii=False, indent=2))
    else:
        for v in verdicts:
            who = v.signer.full_name or v.signer.subject if v.signer else "—"
            click.echo(f"[{v.index}{'*' if v.counter_of is not None else ''}] {v.indication}"
                       f"{'/' + v.sub_indication if v.sub_indication else ''} {v.format}: {who}")
            click.echo(f"    {v.message}")
            for c in v.checks:
                mark = {True: "+", False: "-", None: "?"}[c.passed]
                click.echo(f"    {mark} {c.name}{': ' + c.detail if c.detail else ''}")
    sys.exit(0 if verdicts and all(v.passed for v in verdicts) else 1)
