"""`registry cert show` and `registry pki demo-ca`.

`registry cert verify` gives the application's verdict (accreditation included), so it lives
with the trust decision in :mod:`registry.trust.cli`, which builds the ``cert`` group.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from .certificate import MalformedCertificate, load_certificate

_LABELS = [
    ("full_name", "Владелец (ФИО)"), ("snils", "СНИЛС"), ("inn", "ИНН ФЛ"), ("inn_le", "ИНН ЮЛ"),
    ("ogrn", "ОГРН"), ("ogrnip", "ОГРНИП"), ("title", "Должность"), ("organization", "Организация"),
    ("org_unit", "Подразделение"), ("email", "E-mail"), ("holder_kind_label", "Тип владельца"),
    ("subject", "Субъект"), ("issuer", "Издатель"), ("serial", "Серийный номер"),
    ("not_before", "Действует с"), ("not_after", "Действует по"),
    ("private_key_not_before", "Ключ действует с"), ("private_key_not_after", "Ключ действует по"),
    ("algorithm", "Алгоритм"), ("parameter_set", "Параметры"), ("signature_algorithm", "Алгоритм подписи"),
    ("key_usage", "Использование ключа"), ("extended_key_usage", "Расширенное назначение"),
    ("qualified_classes", "Класс средства ЭП"), ("subject_sign_tool", "Средство ЭП владельца"),
    ("issuer_sign_tool", "Средства ЭП и УЦ издателя"), ("is_ca", "Сертификат УЦ"),
    ("fingerprint_sha256", "Отпечаток SHA-256"), ("checksum_errors", "Ошибки контрольных сумм"),
]


def read_input(path: str) -> bytes:
    """The bytes of a file named on the command line («-»: standard input)."""
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise click.UsageError(f"не удалось прочитать {path}: {exc.strerror}") from exc


def _text(value) -> str:
    if isinstance(value, list):
        return ", ".join(value) if value else "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    return "—" if value in (None, "") else str(value)


@click.command("show")
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Вывод в JSON.")
def show(file: str, as_json: bool) -> None:
    """Print what a certificate says (PEM, DER, base64 or URL-escaped PEM)."""
    try:
        cert = load_certificate(read_input(file))
    except MalformedCertificate as exc:
        if as_json:
            click.echo(json.dumps({"error": "malformed", "message": str(exc)}, ensure_ascii=False))
        else:
            click.echo(f"Ошибка: сертификат не читается: {exc}", err=True)
        sys.exit(2)
    data = cert.to_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    width = max(len(label) for _k, label in _LABELS)
    for key, label in _LABELS:
        click.echo(f"{label:<{width}}  {_text(data.get(key))}")


def parse_at(value: str | None) -> datetime | None:
    """An ``--at`` option: ISO 8601, UTC when no offset is given."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter("ожидается дата в формате ISO 8601, например 2026-01-31T12:00:00Z") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@click.group("pki", help="Демонстрационная инфраструктура ключей.")
def pki_cli() -> None:
    pass


@pki_cli.command("demo-ca")
@click.argument("outdir")
@click.option("--algorithms", default="gost256,ecdsa,rsa", show_default=True)
def demo_ca(outdir: str, algorithms: str) -> None:
    """Create the demo PKI in OUTDIR (roots, intermediates, people, CRL, PKCS#12)."""
    from .demo_pki import build_demo_pki

    algs = tuple(a.strip() for a in algorithms.split(",") if a.strip())
    demo = build_demo_pki(outdir, algorithms=algs)
    click.echo(f"Демо-PKI: {demo.root}")
    click.echo(f"  доверенные сертификаты и СОС: {demo.trust_dir}")
    for name in ("head", "ip", "employee1", "employee2"):
        for alg in algs:
            item = demo.person(name, alg)
            click.echo(f"  {name:<10} {alg:<8} {item.p12_path or item.cert_path}")
    click.echo(f"Пароль файлов PKCS#12: {demo.manifest.get('p12_password')}")
