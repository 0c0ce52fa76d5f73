"""Demo data: ООО «РОМАШКА» registered by the demo head and its signed application waiting in
the operator's queue — made through the services the wizard and the application pages use."""

from __future__ import annotations

import io
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

from ..core.demo_steps import DemoContext, demo_step

# What the wizard's steps would be typed with (the rest comes from the demo ЕГРЮЛ record).
GENERAL = {"email": "office@romashka.example", "phone": "+74951234567", "fax": "",
           "website": "https://romashka.example", "applicant_category": "producer",
           "postal_same": True, "postal_index": "", "postal_address": ""}
HEAD_DOCUMENT = {"birth_date": "1975-05-15", "doc_type": "21", "doc_series": "45 08", "doc_number": "123456",
                 "doc_date": "2020-06-01", "doc_issuer": "ГУ МВД России по г. Москве",
                 "reg_address": "г. Москва, ул. Тверская, д. 1", "actual_address": "г. Москва, ул. Тверская, д. 1"}
PREMISES = {"address": "г. Москва, ул. Тверская, д. 1, стр. 2", "postal_index": "125009",
            "cadastral_number": "77:01:0001001:1234", "purpose": "Мастерская"}


def _head(ctx: DemoContext):
    """The demo head's certificate and account (created as the first sign-in would)."""
    from ..auth.services import find_account, sign_in
    from ..pki.certificate import load_certificate
    from ..pki.demo_pki import DemoPKI

    person = DemoPKI(ctx.directory / "pki").person("head", "ecdsa")
    cert = load_certificate(person.pem)
    user = find_account(cert) or sign_in(cert, remote_addr=None, user_agent="registry demo setup")
    return person, cert, user


def register_organization(ctx: DemoContext, user, cert):
    """Register ООО «РОМАШКА» from the demo ЕГРЮЛ record, step by step as the wizard does
    (None, told why, when a step is refused: e.g. OKVED2 is not loaded)."""
    from ..organizations.services import operations, wizard
    from ..organizations.services.search import start_registration
    from ..pki.demo_pki import ORGANIZATION

    found = start_registration(user, cert, ORGANIZATION["ogrn"])
    draft = found.draft
    if draft is None:
        ctx.echo(f"  ООО «РОМАШКА» not registered: {found.error or found.ended or 'not found in the demo ЕГРЮЛ'}")
        return None
    try:
        wizard.save_step(draft, "general", GENERAL)
        wizard.save_step(draft, "okved", dict(draft.data["okved"]))
        wizard.save_step(draft, "head", {**draft.data["head"], **HEAD_DOCUMENT})
        wizard.save_item(draft, "premises", PREMISES)
        for branch in draft.data.get("branches") or []:
            wizard.save_item(draft, "branches", {**branch, "okved": draft.data["okved"]["main"]}, branch["id"])
        for step in ("premises", "branches", "beneficiaries"):
            wizard.finish_list_step(draft, step)
        return operations.register(draft, user, cert)
    except wizard.WizardError as exc:
        problems = getattr(exc, "errors", None) or getattr(exc, "problems", None) or ""
        ctx.echo(f"  ООО «РОМАШКА» not registered: {exc} {problems}".rstrip())
        return None


def _charter_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    from ..documents.pdf import _fonts

    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setFont(_fonts()[0], 14)
    page.drawString(72, 760, "Устав ООО «РОМАШКА» (демонстрационный документ)")
    page.save()
    return out.getvalue()


def _sign(person, data: bytes) -> bytes:
    """A detached CMS by the demo head's key, as a head's signing program makes it."""
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "application.pdf", Path(tmp) / "application.pdf.sig"
        source.write_bytes(data)
        subprocess.run(["openssl", "cms", "-sign", "-binary", "-in", str(source), "-signer", str(person.cert_path),
                        "-inkey", str(person.key_path), "-outform", "DER", "-out", str(out)],
                       check=True, capture_output=True, timeout=60)
        return out.read_bytes()


def submit_application(ctx: DemoContext, organization, user, person) -> None:
    """Upload the demo charter, form the application, sign it with the head's key, submit it."""
    from ..core import clock
    from ..documents.services import applications, uploads
    from ..documents.services.store import FileCleanup, read_file

    cleanup = FileCleanup()
    today = clock.today()
    charter = uploads.add_document(organization, user=user, stream=io.BytesIO(_charter_pdf()),
                                   filename="ustav-romashka.pdf", doc_type="charter", number="У-1",
                                   doc_date=today - timedelta(days=30), expires_on=today + timedelta(days=365),
                                   cleanup=cleanup)
    application = applications.create_application(organization, user=user, document_ids=[charter.id],
                                                  cleanup=cleanup)
    pdf = read_file(application.pdf_key)
    verdict = applications.sign_application(application, stream=io.BytesIO(_sign(person, pdf)),
                                            filename="zayavlenie.pdf.sig", cleanup=cleanup, actor=user)
    if not verdict["valid"]:
        ctx.echo(f"  {application.title} not signed: {verdict['message']}")
        return
    applications.submit_application(application, actor=user)
    ctx.echo(f"  {application.title} of ООО «РОМАШКА» signed by the head and submitted to the operator")


@demo_step(order=70)
def register_queue(ctx: DemoContext) -> None:
    """ООО «РОМАШКА» registered by the demo head, its application signed and submitted: it
    waits in the operator's queue. Once done (the organization registered), left as it is."""
    from sqlalchemy import select

    from ..documents.models import Application
    from ..extensions import db
    from ..organizations.models import Organization
    from ..pki.demo_pki import ORGANIZATION

    organization = db.session.scalar(select(Organization).where(Organization.ogrn == ORGANIZATION["ogrn"]))
    if organization is None and ctx.data.get("without_organization"):
        ctx.echo("  ООО «РОМАШКА» left for the demo head to register")
        return
    person, cert, user = _head(ctx)
    if organization is None:
        organization = register_organization(ctx, user, cert)
        if organization is None:
            return
        ctx.echo(f"  {organization.full_name} registered by {user.full_name}")
    elif db.session.scalar(select(Application.id).where(Application.organization_id == organization.id)
                           .limit(1)) is not None:
        return  # the demo organization has applications already: its history is left alone
    submit_application(ctx, organization, user, person)
