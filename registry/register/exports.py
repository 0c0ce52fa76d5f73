"""The register as a download: CSV (the shared writer) and XLSX, both streamed a batch at a time.

The XLSX is written part by part into a zip stream (the sheet's XML row by row): memory stays
constant however long the register is, and no spreadsheet library is needed.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from sqlalchemy.orm import Session

from ..exports import csv_cell
from ..extensions import db
from .models import SpecialRecord

HEADER = ("Номер записи", "Дата постановки", "ИНН", "ОГРН", "Наименование", "Статус")


def rows(query, batch: int = 2000) -> Iterator[tuple]:
    """The register's rows as plain tuples, read through a session of their own (a streamed
    body is produced after the request's unit of work has ended)."""
    session = Session(bind=db.session().get_bind())
    stmt = query.execution_options(yield_per=batch)

    def produce():
        try:
            for row in session.execute(stmt):
                yield (row.number, f"{row.registered_on:%d.%m.%Y}", row.inn, row.ogrn, row.full_name,
                       SpecialRecord.STATUS_TITLES.get(row.status, row.status))
        finally:
            session.close()
    return produce()


class _Sink:
    """A write-only stream whose written bytes are taken out as they come."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.offset = 0

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Реестр" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def _row(values: Iterable[object]) -> str:
    # Inline strings: every cell is text (ИНН and ОГРН keep their leading zeros).
    cells = "".join(f'<c t="inlineStr"><is><t>{escape(csv_cell(v))}</t></is></c>' for v in values)
    return f"<row>{cells}</row>"


def xlsx_stream(records: Iterable[Iterable[object]], header: Iterable[object] = HEADER) -> Iterator[bytes]:
    """An XLSX workbook of one sheet, yielded in pieces as ``records`` are read."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as book:  # type: ignore[arg-type]
        for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                           ("xl/workbook.xml", WORKBOOK), ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)):
            book.writestr(name, text)
        yield sink.take()
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        b"<sheetData>")
            sheet.write(_row(header).encode())
            for n, record in enumerate(records, 1):
                sheet.write(_row(record).encode())
                if n % 500 == 0:
                    yield sink.take()
            sheet.write(b"</sheetData></worksheet>")
    yield sink.take()
