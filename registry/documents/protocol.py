"""«Протокол проверки электронной подписи» (PDF): one page section per signature."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timezone
from xml.sax.saxutils import escape

from ..pki.ades.verify import INDICATION_WORDS, Verdict
from .pdf import _fonts


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo("Europe/Moscow")).strftime("%d.%m.%Y %H:%M:%S МСК")


def protocol_pdf(verdicts: Sequence[Verdict], *, document_name: str, now: datetime | None = None) -> bytes:
    """The verification protocol of ``document_name``'s signatures, in Russian."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12)
    head = ParagraphStyle("head", fontName=bold, fontSize=13, leading=16, spaceAfter=6)
    sub = ParagraphStyle("sub", fontName=bold, fontSize=10.5, leading=14, spaceBefore=8)
    story = [Paragraph("Протокол проверки электронной подписи", head),
             Paragraph(f"Документ: {escape(document_name)}", body),
             Paragraph(f"Проверка выполнена: {_when(now or datetime.now(timezone.utc))}", body),
             Paragraph(f"Подписей: {len(verdicts)}", body)]
    for number, v in enumerate(verdicts, 1):
        who = (v.signer.full_name or v.signer.subject) if v.signer else "—"
        kind = " (заверяющая подпись)" if v.counter_of is not None else ""
        story += [Spacer(1, 4 * mm), Paragraph(f"Подпись {number}{kind}: {escape(who)}", sub)]
        rows = [
            ("Результат", f"{INDICATION_WORDS[v.indication]} ({v.indication}"
                          f"{' / ' + v.sub_indication if v.sub_indication else ''})"),
            ("Заключение", v.message),
            ("Формат", v.format),
            ("Время подписания (заявлено)", _when(v.signing_time)),
            ("Время подписания (подтверждено)", _when(v.best_signature_time)),
        ]
        if v.signer:
            rows += [("Владелец сертификата", v.signer.subject), ("Серийный номер", v.signer.serial),
                     ("Издатель", v.signer.issuer)]
        rows += [("Цепочка", " ← ".join(c.subject for c in v.chain) or "—")]
        for check in v.checks:
            mark = {True: "пройдена", False: "не пройдена", None: "не выполнена"}[check.passed]
            rows.append((f"Проверка: {check.name}", f"{mark}{': ' + check.detail if check.detail else ''}"))
        table = Table([[Paragraph(escape(a), body), Paragraph(escape(str(b)), body)] for a, b in rows],
                      colWidths=[55 * mm, 115 * mm])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, "#999999"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title="Протокол проверки электронной подписи",
                      leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm).build(story)
    return out.getvalue()
