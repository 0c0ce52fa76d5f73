"""Demo mode: a self-contained instance (SQLite database, demo PKI) in one directory.

``registry demo setup --dir DIR`` runs the registered demo steps in order; domains add their
own demo data (their ``demo_data`` modules) with :func:`registry.core.demo_steps.demo_step`::

    from ..core.demo_steps import DemoContext, demo_step

    @demo_step(order=100)
    def organizations(ctx):
        ...  # ctx.app (app context is active), ctx.directory, ctx.pki, ctx.echo()

Steps flush; setup commits once at the end. Every step must be idempotent: setup may run again
on the same directory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask

from .core.demo_steps import DemoContext, demo_step, set_demo_app_factory, steps
from .core.uow import command_transaction

# Persons and algorithms whose PKCS#12 files the demo offers for a browser (browsers cannot do
# GOST TLS without a GOST-enabled build; these are RSA/ECDSA).
BROWSER_CERTIFICATES = (("head", "ecdsa"), ("employee1", "ecdsa"), ("ip", "ecdsa"),
                        ("head", "rsa"), ("employee2", "ecdsa"))
P12_PASSWORD = "demo"


def demo_config(directory: str | Path) -> dict:
    """Configuration of the demo instance living in ``directory``."""
    directory = Path(directory).resolve()
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'registry.db'}",
        "REGISTRY_TRUST_STORE": str(directory / "pki" / "trust"),
        "REGISTRY_INSTANCE_PATH": str(directory),
        # The operator's decisions are signed with the demo employee1's (the demo operator's) key.
        "REGISTRY_OPERATOR_SIGNING_CERT": str(directory / "pki" / "people" / "employee1-ecdsa.crt"),
        "REGISTRY_OPERATOR_SIGNING_KEY": str(directory / "pki" / "people" / "employee1-ecdsa.key"),
        # Lists of accredited CAs are accepted only when signed by the demo «Минцифры».
        "REGISTRY_TSL_SIGNER_CERT": str(directory / "pki" / "tsl" / "signer-gost256.crt"),
    }


def create_demo_app(directory: str | Path) -> Flask:
    from . import create_app
    Path(directory).mkdir(parents=True, exist_ok=True)
    return create_app(demo_config(directory))


set_demo_app_factory(create_demo_app)


def setup(directory: str | Path, echo: Callable[[str], None] = print, *,
          without_organization: bool = False) -> DemoContext:
    """Create or bring up to date the demo instance in ``directory`` (``without_organization``:
    the demo organization is left for the head to register in the wizard)."""
    app = create_demo_app(directory)  # imports every domain, so all steps are registered
    ctx = DemoContext(app=app, directory=Path(directory).resolve(), echo=echo,
                      data={"without_organization": without_organization})
    with app.app_context():
        command_transaction(_run_steps)(ctx)
    return ctx


def _run_steps(ctx: DemoContext) -> None:
    for step in steps():
        ctx.echo(f"demo: {step.name}")
        step.run(ctx)


@demo_step(order=0)
def database(ctx: DemoContext) -> None:
    """Create or upgrade the database through the migrations."""
    from flask_migrate import upgrade
    upgrade()


@demo_step(order=10)
def pki(ctx: DemoContext) -> None:
    """Build (or reuse) the demo PKI: CAs, CRLs, people's certificates, the server certificate."""
    from .pki.demo_pki import build_demo_pki
    ctx.pki = build_demo_pki(ctx.directory / "pki")


DEMO_TSL = "TSL.xml"


@demo_step(order=11)
def trust_list(ctx: DemoContext) -> None:
    """A list of accredited CAs naming the demo CAs, signed by the demo «Минцифры» (pki/tsl/)."""
    from datetime import datetime, timezone

    from asn1crypto import pem

    from .pki.builder import load_key
    from .pki.demo_pki import ALG_LABELS, CRL_URL
    from .trust.tsl_write import ListedCa, signed_tsl_xml

    path = ctx.pki.tsl_signer.cert_path.parent / DEMO_TSL
    if path.exists():
        return
    cas = []
    for alg in ctx.pki.manifest["algorithms"]:
        label = ALG_LABELS[alg]
        cas.append(ListedCa(
            name=f"Акционерное общество «Демо УЦ {label}»", short_name=f"Демо УЦ {label}",
            inn="7701000099", ogrn="1027700000999",
            certificates=[pem.unarmor(ctx.pki.ca(alg).cert_path.read_bytes())[2]],
            crl_urls=[CRL_URL.format(name=f"ca-{alg}")]))
    signer = ctx.pki.tsl_signer
    key = load_key("gost256", signer.key_path.read_bytes()).private
    data = signed_tsl_xml(1, datetime.now(timezone.utc), cas, key,
                          pem.unarmor(signer.cert_path.read_bytes())[2])
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def load_pki(directory: str | Path):
    """The demo PKI of a demo directory set up before (paths only; nothing is generated)."""
    from .pki.demo_pki import DemoPKI
    return DemoPKI(Path(directory).resolve() / "pki")


def instructions(directory: str | Path, url: str) -> str:
    """What to tell a person who is about to open the demo in a browser."""
    demo_pki = load_pki(directory)
    lines = [
        f"The registry demo is serving on {url}",
        "",
        f"Import one of these PKCS#12 files into the browser (password: {P12_PASSWORD}):",
    ]
    for person, alg in BROWSER_CERTIFICATES:
        lines.append(f"  {demo_pki.person(person, alg).p12_path}   ({person}, {alg})")
    lines += [
        "head = head of the demo organization; employee1 = an employee; ip = an entrepreneur;",
        "employee2 = a REVOKED certificate (to see how a refusal is explained).",
        "To avoid the browser's warning about the server certificate, trust this CA:",
        f"  {Path(demo_pki.server_cert_path).parent / 'ca.crt'}",
        f"Make employee1 a registry operator: registry operator --dir {directory} grant 334-455-667 84",
        f"An МЧД for employee1 (upload it in «Доверенности (МЧД)»): {Path(directory).resolve() / 'mchd'}",
        "Another port: make demo PORT=9443 (or registry demo serve --port 9443).",
        "Stop with Ctrl+C.",
    ]
    return "\n".join(lines)
