"""CSV exports: streamed row by row, every cell safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell as text; one starting like a formula (= + - @, tab, CR) gets a leading apostrophe,
    so a spreadsheet shows it instead of evaluating it (names from certificates included)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _lines(header: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    # UTF-8 with a BOM so that Excel opens the Russian text correctly.
    writer.writerow([csv_cell(c) for c in header])
    yield "\ufeff" + out.getvalue()
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow([csv_cell(c) for c in row])
        yield out.getvalue()


def csv_response(filename: str, header: Iterable[object], rows: Iterable[Iterable[object]]) -> Response:
    """A streamed CSV download: ``rows`` is consumed lazily, after the request has ended (so it
    must not need the request's context or session: see members.services.journal.journal_rows)."""
    # content_type, not mimetype: Werkzeug adds "; charset=utf-8" to a text/* mimetype again.
    return Response(_lines(header, rows), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "X-Accel-Buffering": "no"})
