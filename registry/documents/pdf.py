"""The application as a PDF (reportlab, DejaVu Sans for Cyrillic).

The PDF is built from the data frozen in the application (``services.applications.application_data``) and
rendered once; the head signs those exact bytes.
"""

from __future__ import annotations

import io
import os
import re
from datetime import datetime
from xml.sax.saxutils import escape

from ..core import clock
from ..identifiers import format_snils
from ..organizations import ru_date
from ..text import format_phone

FONT_PATHS = {
    "DejaVuSans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "DejaVuSans-Bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}
_registered = False


def _fonts() -> tuple[str, str]:
    """Register DejaVu Sans (Debian's fonts-dejavu-core); the bold face falls back to regular."""
    global _registered
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if not _registered:
        regular = os.environ.get("REGISTRY_PDF_FONT", FONT_PATHS["DejaVuSans"])
        if not os.path.exists(regular):
            raise RuntimeError(f"font {regular} is missing: install fonts-dejavu-core")
        pdfmetrics.registerFont(TTFont("DejaVuSans", regular))
        bold = FONT_PATHS["DejaVuSans-Bold"]
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", bold if os.path.exists(bold) else regular))
        _registered = True
    return "DejaVuSans", "DejaVuSans-Bold"


def _v(value) -> str:
    return escape(str(value)) if value not in (None, "", [], {}) else "—"


def _full_name(item: dict) -> str:
    return " ".join(p for p in (item.get("surname"), item.get("given"), item.get("patronymic")) if p) or "—"


def _identity(person: dict) -> str:
    """The identity document as the interface shows it: type, series and number, date, issuer."""
    from ..refdata.dictionaries import IDENTITY_DOCUMENT_TYPES, title
    parts = [title(IDENTITY_DOCUMENT_TYPES, person.get("doc_type")) or ""]
    number = " ".join(str(person.get(k) or "") for k in ("doc_series", "doc_number")).strip()
    if number:
        parts.append(f"№ {number}")
    if person.get("doc_date"):
        parts.append(f"выдан {ru_date(person.get('doc_date'))}")
    if person.get("doc_issuer"):
        parts.append(str(person["doc_issuer"]))
    return ", ".join(p for p in parts if p)


def render_application(data: dict, *, number: int, created_at: datetime) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12.5)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.grey)
    h1 = ParagraphStyle("h1", parent=body, fontName=bold, fontSize=13, leading=17, alignment=1, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontName=bold, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=3)
    org, party, profile = data["organization"], data.get("party") or {}, data.get("profile") or {}
    general = profile.get("general") or {}
    story = []

    def table(rows, widths=(60 * mm, 110 * mm)):
        t = Table([[Paragraph(escape(k), body), Paragraph(v, body)] for k, v in rows], colWidths=widths)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)]))
        story.append(t)

    story.append(Paragraph("Заявление о постановке на специальный учет", h1))
    story.append(Paragraph(f"№ {number} от {clock.local(created_at):%d.%m.%Y}",
                           ParagraphStyle("c", parent=body, alignment=1)))
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(
        f"{_v(org.get('full_name'))} просит поставить организацию на специальный учет "
        "в соответствии с нижеследующими сведениями.", body))

    story.append(Paragraph("1. Общие реквизиты", h2))
    ogrn_label = "ОГРНИП" if org.get("kind") == "ip" else "ОГРН"
    postal = party.get("address") if general.get("postal_same") else general.get("postal_address")
    table([("Полное наименование", _v(org.get("full_name"))),
           ("Сокращённое наименование", _v(org.get("short_name"))),
           ("ОПФ", _v(party.get("opf"))),
           (ogrn_label, _v(org.get("ogrn"))), ("ИНН", _v(org.get("inn"))), ("КПП", _v(org.get("kpp"))),
           ("Дата регистрации", ru_date(party.get("reg_date"))),
           ("Адрес (место нахождения)", _v(party.get("address"))),
           ("Почтовый адрес", _v(postal)),
           ("Электронная почта", _v(general.get("email"))), ("Телефон", _v(format_phone(general.get("phone")))),
           ("Факс", _v(general.get("fax"))), ("Сайт", _v(general.get("website"))),
           ("Категория заявителя", _v(_category(general.get("applicant_category")))),
           ("Сведения ЕГРЮЛ", "подтверждены" if org.get("egrul_confirmed") else "не подтверждено ЕГРЮЛ")])

    okved = profile.get("okved") or {}
    names = data.get("okved_names") or {}

    def codes(*values) -> str:
        found = [c for v in values for c in re.split(r"[\s,;]+", v or "") if c]
        return "<br/>".join(escape(f"{c} — {names[c]}" if names.get(c) else c) for c in found) or "—"

    story.append(Paragraph("2. Виды деятельности (ОКВЭД2)", h2))
    table([("Основной", codes(okved.get("main"))),
           ("Вспомогательные", codes(okved.get("auxiliary_1"), okved.get("auxiliary_2"))),
           ("Прочие", codes(okved.get("others"))), ("Пояснения", _v(okved.get("notes")))])

    head = profile.get("head") or {}
    story.append(Paragraph("3. Руководитель", h2))
    if head.get("kind") in ("legal", "legal_entity"):
        table([("Управляющая организация", _v(head.get("le_full_name"))), ("ИНН / КПП",
               _v(f"{head.get('le_inn') or '—'} / {head.get('le_kpp') or '—'}")),
               ("ОГРН", _v(head.get("le_ogrn"))), ("Адрес", _v(head.get("le_address")))])
    elif head.get("kind") == "foreign":
        table([("Иностранная организация", _v(head.get("fo_name"))),
               ("Идентификационный номер", _v(head.get("fo_ident"))), ("Страна", _v(head.get("fo_country")))])
    else:
        table([("ФИО", _v(_full_name(head))), ("Дата рождения", ru_date(head.get("birth_date"))),
               ("ИНН", _v(head.get("inn"))),
               ("СНИЛС", _v(format_snils(head["snils"]) if head.get("snils") else "")),
               ("Документ, удостоверяющий личность", _v(_identity(head))),
               ("Адрес регистрации", _v(head.get("reg_address"))),
               ("Адрес фактического проживания", _v(head.get("actual_address")))])

    story.append(Paragraph("4. Объекты недвижимости нежилого назначения", h2))
    premises = profile.get("premises") or []
    if premises:
        table([(f"Объект {i}", _v(", ".join(str(p.get(k)) for k in ("address", "cadastral_number", "purpose")
                                           if p.get(k)))) for i, p in enumerate(premises, 1)])
    else:
        story.append(Paragraph("Не указаны.", body))

    story.append(Paragraph("5. Территориально-обособленные подразделения", h2))
    branches = profile.get("branches") or []
    if branches:
        table([(_v(b.get("name")), _v(f"КПП {b.get('kpp') or '—'}; {b.get('address') or ''}")
                + "<br/>ОКВЭД2: " + codes(b.get("okved"))) for b in branches])
    else:
        story.append(Paragraph("Не указаны.", body))

    story.append(Paragraph("6. Бенефициары", h2))
    beneficiaries = profile.get("beneficiaries") or []
    if beneficiaries:
        table([(_v(_full_name(b)), _v(f"дата рождения {ru_date(b.get('birth_date'))}; "
                                      + ("действующий" if b.get("active") else f"до {ru_date(b.get('valid_until'))}")))
               for b in beneficiaries])
    else:
        story.append(Paragraph("Не указаны.", body))

    story.append(Paragraph("7. Приложения", h2))
    docs = data.get("documents") or []
    rows = [[Paragraph(h, body) for h in ("№", "Документ", "Действует до", "Файл, SHA-256")]]
    for i, d in enumerate(docs, 1):
        rows.append([Paragraph(str(i), body),
                     Paragraph(f"{_v(d.get('type_title'))} № {_v(d.get('number'))} от {ru_date(d.get('date'))}", body),
                     Paragraph(ru_date(d.get("expires_on")) if d.get("expires_on") else "Бессрочно", body),
                     Paragraph(f"{_v(d.get('file_name'))}<br/><font size=6>{_v(d.get('sha256'))}</font>", body)])
    t = Table(rows, colWidths=(8 * mm, 70 * mm, 25 * mm, 67 * mm), repeatRows=1)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
    story.append(t)
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph("Достоверность сведений подтверждаю. Заявление подписывается усиленной "
                           "квалифицированной электронной подписью руководителя организации.", body))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(f"Руководитель: {_v(_head_name(head))}", body))
    story.append(Spacer(1, 6 * mm))
    formed = clock.local(created_at)
    story.append(Paragraph(f"Сформировано в реестре организаций {formed:%d.%m.%Y %H:%M} "
                           f"({clock.zone_title(formed)}).", small))

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"Заявление № {number}",
                            author=str(org.get("short_name") or org.get("full_name") or ""),
                            subject="Заявление о постановке на специальный учет")
    doc.build(story)
    return out.getvalue()


def _head_name(head: dict) -> str:
    if head.get("kind") in ("legal", "legal_entity"):
        return head.get("le_full_name") or "—"
    if head.get("kind") == "foreign":
        return head.get("fo_name") or "—"
    return _full_name(head)


def _category(code: str | None) -> str | None:
    from ..refdata.dictionaries import APPLICANT_CATEGORIES, title
    return title(APPLICANT_CATEGORIES, code) or code
