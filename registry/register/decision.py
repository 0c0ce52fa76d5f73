"""The operator's decision: a PDF (reportlab) signed with the operator's certificate as a
detached CMS (CAdES-BES, ``openssl cms -sign -cades``), verified like organizations' documents."""

from __future__ import annotations

import io
import logging
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

from flask import current_app

from ..core import clock
from ..documents.pdf import _fonts
from ..extensions import db
from .models import Decision, Review, SpecialRecord

log = logging.getLogger(__name__)


def render_decision(review: Review, record: SpecialRecord | None, *, number: str, operator_name: str) -> bytes:
    """The decision as a one-page PDF: who, what was decided, on which application."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from .services import REFUSAL_REASONS

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=14)
    h1 = ParagraphStyle("h1", parent=body, fontName=bold, fontSize=13, leading=17, alignment=1, spaceAfter=4)
    org = review.organization
    today = clock.today()
    registered = review.status == Review.REGISTERED
    story = [Paragraph("Решение о постановке на специальный учет" if registered else
                       "Решение об отказе в постановке на специальный учет", h1),
             Paragraph(f"№ {escape(number)} от {today:%d.%m.%Y}", ParagraphStyle("c", parent=body, alignment=1)),
             Spacer(1, 8 * mm),
             Paragraph(f"Организация: {escape(org.full_name)}, ОГРН {escape(org.ogrn)}, ИНН {escape(org.inn)}.", body),
             Paragraph(f"Рассмотрено: {escape(review.application.title)}, подписано "
                       f"{escape(review.application.signer_name or '—')}.", body),
             Spacer(1, 4 * mm)]
    if registered and record is not None:
        story.append(Paragraph(f"Решено: поставить организацию на специальный учет. Номер записи "
                               f"{escape(record.number)}, дата постановки {record.registered_on:%d.%m.%Y}.", body))
    else:
        reason = REFUSAL_REASONS.get(review.refusal_code or "", "")
        story.append(Paragraph(f"Решено: отказать в постановке на специальный учет. Основание: "
                               f"{escape(reason)}. {escape(review.refusal_text or '')}", body))
    story += [Spacer(1, 10 * mm), Paragraph(f"Оператор реестра: {escape(operator_name)}", body)]
    out = io.BytesIO()
    # Fixed metadata: the same decision renders to the same bytes (no creation-time noise).
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"Решение № {number}", author="Оператор реестра",
                            leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
                            invariant=1)
    doc.build(story)
    return out.getvalue()


def signing_files() -> tuple[Path, Path] | None:
    cert, key = (current_app.config.get(k) for k in ("REGISTRY_OPERATOR_SIGNING_CERT",
                                                     "REGISTRY_OPERATOR_SIGNING_KEY"))
    if not cert or not key:
        return None
    return Path(cert), Path(key)


def sign(pdf: bytes) -> bytes | None:
    """A detached CAdES-BES signature of ``pdf`` by the configured operator certificate (None:
    no certificate configured — the decision is kept unsigned and the page says so)."""
    files = signing_files()
    if files is None:
        return None
    cert, key = files
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "decision.pdf", Path(tmp) / "decision.sig"
        source.write_bytes(pdf)
        gost = ["-engine", "gost"] if "gost" in cert.name.lower() else []
        done = subprocess.run(["openssl", "cms", "-sign", "-binary", "-cades", *gost, "-in", str(source),
                               "-signer", str(cert), "-inkey", str(key), "-outform", "DER", "-out", str(out)],
                              capture_output=True, timeout=60)
        if done.returncode != 0:
            log.error("decision signing failed: %s", done.stderr.decode(errors="replace")[-500:])
            from .services import RegisterError
            raise RegisterError("Не удалось подписать решение сертификатом оператора: обратитесь к администратору.")
        return out.read_bytes()


def verify(decision: Decision) -> dict | None:
    """The verdict on the decision's signature, as documents show theirs (None: unsigned)."""
    if decision.signature is None:
        return None
    from ..documents import signatures
    from ..trust import trust_store

    return signatures.verify_detached(decision.signature, decision.pdf, trust_store=trust_store()).to_dict()


def make_decision(review: Review, record: SpecialRecord | None, actor) -> Decision:
    from .services import DECISION_NUMBER_FORMAT, next_number

    number = next_number("decision", DECISION_NUMBER_FORMAT)
    pdf = render_decision(review, record, number=number, operator_name=getattr(actor, "full_name", "—"))
    decision = Decision(review_id=review.id, organization_id=review.organization_id,
                        kind=Decision.REGISTER if record is not None else Decision.REFUSE, number=number,
                        decided_on=clock.today(), operator_id=getattr(actor, "id", None), pdf=pdf,
                        signature=sign(pdf))
    db.session.add(decision)
    db.session.flush()
    return decision
