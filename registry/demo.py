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
    }


def create_demo_app(directory: str | Path) -> Flask:
    from . import create_app
    Path(directory).mkdir(parents=True, exist_ok=True)
    return create_app(demo_config(directory))


set_demo_app_factory(create_demo_app)


def setup(directory: str | Path, echo: Callable[[str], None] = print) -> DemoContext:
    """Create or bring up to date the demo instance in ``directory``."""
    app = create_demo_app(directory)  # imports every domain, so all steps are registered
    ctx = DemoContext(app=app, directory=Path(directory).resolve(), echo=echo)
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
