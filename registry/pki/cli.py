"""`registry cert show|verify` and `registry pki demo-ca`."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from .certificate import MalformedCertificate, load_certificate
from .truststore import TrustStore, TrustStoreError
from .validation import PURPOSES, validate

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


def _read(path: str) -> bytes:
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


@click.group("cert", help="Показать и проверить сертификаты.")
def cert_cli() -> None:
    pass


@cert_cli.command("show")
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Вывод в JSON.")
def show(file: str, as_json: bool) -> None:
    """Print what a certificate says (PEM, DER, base64 or URL-escaped PEM)."""
    try:
        cert = load_certificate(_read(file))
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


def _parse_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter("ожидается дата в формате ISO 8601, например 2026-01-31T12:00:00Z") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# ``app.extensions[TRUST_STORE_PROVIDER]()`` gives the application's current trust store.
TRUST_STORE_PROVIDER = "registry.pki.trust_store"

def configured_trust_store() -> TrustStore:
    """The application's trust store (REGISTRY_TRUST_STORE), or ``certs/`` outside an app."""
    try:
        from flask import current_app

        # installed by the application (registry.trust): pki itself stays below it
        return current_app.extensions[TRUST_STORE_PROVIDER]()
    except (RuntimeError, KeyError, ImportError):
        return TrustStore.from_paths(Path("certs"))


@cert_cli.command("verify")
@click.argument("file")
@click.option("--chain", "chain", multiple=True, help="Промежуточный сертификат (можно несколько).")
@click.option("--trust", "trust", multiple=True, help="Доверенные сертификаты: файл или каталог.")
@click.option("--crl", "crls", multiple=True, help="Файл СОС (CRL).")
@click.option("--at", "at", help="Момент проверки, ISO 8601 (по умолчанию — сейчас).")
@click.option("--purpose", type=click.Choice(PURPOSES), default="login", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Вывод в JSON.")
def verify(file: str, chain: tuple[str, ...], trust: tuple[str, ...], crls: tuple[str, ...],
           at: str | None, purpose: str, as_json: bool) -> None:
    """Exit 0 if the certificate is trusted for the purpose, 1 if not, 2 on bad input."""
    moment = _parse_at(at)
    data = _read(file)
    intermediates = [_read(path) for path in chain]
    try:
        if trust:
            store = TrustStore.from_paths(*trust, crls=crls)
        else:
            base = configured_trust_store()
            store = TrustStore.build(base.roots, base.intermediates,
                                     (*base.crls, *TrustStore.from_paths(crls=crls).crls),
                                     base.problems)
    except TrustStoreError as exc:
        raise click.UsageError(str(exc)) from exc
    for problem in store.problems:
        click.echo(f"Предупреждение: файл хранилища доверия пропущен: {problem}", err=True)
    result = validate(data, trust_store=store, intermediates=intermediates, at=moment, purpose=purpose)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        mark = "ДЕЙСТВИТЕЛЕН" if result.valid else "НЕ ДЕЙСТВИТЕЛЕН"
        click.echo(f"{mark}: {result.title} [{result.code}]")
        click.echo(result.message)
        for cert in result.chain:
            click.echo(f"  ← {cert.subject}")
    sys.exit(0 if result.valid else 2 if result.code == "malformed" else 1)


@click.group("pki", help="Демонстрационная инфраструктура ключей.")
def pki_cli() -> None:
    pass


@pki_cli.command("demo-ca")
@click.argument("outdir")
@click.option("--algorithms", default="gost256,ecdsa,rsa", show_default=True)
def demo_ca(outdir: str, algorithms: str) -> None:
    """Create the demo PKI in OUTDIR (roots, intermediates, people, CRL, PKCS#12)."""
    from .demo import build_demo_pki

    algs = tuple(a.strip() for a in algorithms.split(",") if a.strip())
    demo = build_demo_pki(outdir, algorithms=algs)
    click.echo(f"Демо-PKI: {demo.root}")
    click.echo(f"  доверенные сертификаты и СОС: {demo.trust_dir}")
    for name in ("head", "ip", "employee1", "employee2"):
        for alg in algs:
            item = demo.person(name, alg)
            click.echo(f"  {name:<10} {alg:<8} {item.p12_path or item.cert_path}")
    click.echo(f"Пароль файлов PKCS#12: {demo.manifest.get('p12_password')}")
