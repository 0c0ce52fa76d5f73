"""The register at 10,000 organizations: each page, search and download within the SQL budget."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from sqlalchemy import insert, select

from registry.extensions import db, utcnow
from registry.organizations.models import Organization
from registry.register.models import SpecialRecord

from ..helpers import statements

BUDGET = 8
COUNT = 10_000


def _fill(app, count: int) -> None:
    with app.app_context():
        now = utcnow()
        db.session.execute(insert(Organization), [
            {"kind": "ul", "ogrn": f"9{n:012d}", "inn": f"9{n:09d}", "full_name": f"ООО «ПОСТАВЩИК {n}»",
             "short_name": f"ПОСТАВЩИК {n}", "data": {}, "status": "registered", "egrul_confirmed": True,
             "version": 1, "registered_at": now, "updated_at": now} for n in range(count)])
        ids = db.session.execute(select(Organization.id, Organization.ogrn).where(
            Organization.ogrn.like("9%"))).all()
        db.session.execute(insert(SpecialRecord), [
            {"organization_id": ident, "number": f"СУ-2026-{int(ogrn[1:]):06d}", "registered_on": date(2026, 12, 1),
             "status": "active", "egrul_flag": False, "created_at": now} for ident, ogrn in ids])
        db.session.commit()


def test_register_pages_stay_within_the_budget(app, org, as_person):
    _fill(app, COUNT)
    head = as_person("head")
    head.get("/register")  # warm-up: the session's occasional "last seen" write is not counted
    with app.app_context():  # the keyset of a row deep in the register (the 9,000th)
        deep = db.session.scalar(select(SpecialRecord.id).where(SpecialRecord.number == "СУ-2026-001000"))
    pages = (("/register", "СУ-2026-009999"), (f"/register?after=2026-12-01.{deep}", "СУ-2026-000999"),
             (f"/api/v1/register?after=2026-12-01.{deep}", "СУ-2026-000950"),
             ("/register?q=9000000001234", "СУ-2026-001234"),
             ("/register?q=поставщик+4321", "ООО «ПОСТАВЩИК 4321»"),
             ("/register?q=СУ-2026-00777", "СУ-2026-007770"),
             ("/register?q=су-2026-001234", "ООО «ПОСТАВЩИК 1234»"), ("/api/v1/register", "СУ-2026-"))
    for url, expect in pages:
        with statements(app) as sql:
            response = head.client.get(url)
        assert response.status_code == 200 and expect in response.text, url
        assert len(sql) <= BUDGET, (url, len(sql), [s for s, _ in sql])
        # no offset (SQLite's compiler writes "LIMIT ? OFFSET ?" for every LIMIT: it must be 0)
        offsets = [p[-1] for s, p in sql if "register_records" in s and "OFFSET" in s.upper()]
        assert all(o == 0 for o in offsets), (url, offsets)
    # the next links walk the register without repeating a row
    seen: list[str] = []
    url: str | None = "/api/v1/register?q=поставщик"
    for _ in range(3):
        assert url is not None
        found = head.client.get(url).get_json()
        seen += [r["number"] for r in found["records"]]
        url = found["next"]
    assert len(seen) == len(set(seen)) == 150 and seen[0] == "СУ-2026-009999" and seen[-1] == "СУ-2026-009850"
    assert head.client.get("/api/v1/register?after=x").status_code == 400
    text = head.client.get("/register").text
    assert "Следующие →" in text and "after=2026-12-01." in text
    # the downloads stream every row in a bounded number of batches
    with statements(app) as sql:
        text = head.client.get("/register.csv").data.decode("utf-8-sig")
    assert text.count("\n") == COUNT + 1 and len(sql) <= BUDGET
    with statements(app) as sql:
        book = zipfile.ZipFile(io.BytesIO(head.client.get("/register.xlsx").data))
    assert book.read("xl/worksheets/sheet1.xml").decode().count("<row>") == COUNT + 1 and len(sql) <= BUDGET
    assert book.testzip() is None
