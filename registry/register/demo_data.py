"""Demo data: the demo organization's application waiting in the operator's queue."""

from __future__ import annotations

from ..core.demo_steps import DemoContext, demo_step


@demo_step(order=70)
def register_queue(ctx: DemoContext) -> None:
    """Submit the demo organization's application the head has signed (once the head has
    registered ООО «РОМАШКА» in the demo and signed an application): it enters the operator's
    queue. Nothing to do on a fresh demo."""
    from sqlalchemy import select

    from ..documents.models import Application
    from ..extensions import db
    from ..organizations.models import Organization
    from ..pki.demo_pki import ORGANIZATION

    organization = db.session.scalar(select(Organization).where(Organization.ogrn == ORGANIZATION["ogrn"]))
    if organization is None:
        ctx.echo("demo: no demo organization yet: the operator's queue stays empty")
        return
    signed = db.session.scalar(select(Application).where(
        Application.organization_id == organization.id, Application.status == Application.SIGNED)
        .order_by(Application.id.desc()).limit(1))
    if signed is not None:
        from ..documents.services.applications import submit_application
        submit_application(signed, actor=organization.registered_by)
        ctx.echo(f"demo: {signed.title} submitted to the operator")
