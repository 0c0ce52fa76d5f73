"""Pages that stay bounded as the registry grows: statements per page, keyset journal pages,
streamed CSV with neutralised cells."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import insert

from registry.auth.models import User
from registry.core.journal import OrganizationJournalEntry
from registry.exports import csv_cell
from registry.extensions import db, utcnow
from registry.identifiers import make_inn, make_snils
from registry.members.models import Membership
from tests.helpers import statements


def add_members(app, org_id: int, count: int, start: int) -> None:
    with app.app_context():
        users = [{"full_name": f"Сотрудник {start + i}", "snils": make_snils(f"{700000000 + start + i:09d}"),
                  "inn": make_inn(f"{7000000000 + start + i:010d}"), "created_at": utcnow(),
                  "is_operator": False} for i in range(count)]
        ids = [row.id for row in db.session.execute(insert(User).returning(User.id), users)]
        db.session.execute(insert(Membership), [
            {"organization_id": org_id, "user_id": uid, "status": "active", "roles": ["applications"],
             "version": 1, "created_at": utcnow(), "updated_at": utcnow()} for uid in ids])
        db.session.commit()


def test_members_page_issues_the_same_statements_for_10_and_1000_members(app, org, wizard):
    add_members(app, org, 10, 0)
    # A warm-up request first: what the session does once in a while (refreshing its "last
    # seen" time) must not count on one side only.
    wizard.client.get(f"/organizations/{org}/members")
    with statements(app) as small:
        page = wizard.client.get(f"/organizations/{org}/members")
    assert page.status_code == 200 and "Сотрудник 9" in page.text
    add_members(app, org, 990, 10)
    wizard.client.get(f"/organizations/{org}/members")
    with statements(app) as large:
        page = wizard.client.get(f"/organizations/{org}/members")
    assert page.status_code == 200 and "Сотрудник 98<" in page.text and "Дальше →" in page.text
    assert len(large) == len(small), (len(small), len(large))
    # the last page, by keyset, costs the same
    import html
    names = []
    url = f"/organizations/{org}/members"
    for _ in range(20):
        with statements(app) as sql:
            text = wizard.client.get(url).text
        assert len(sql) == len(small)
        names += re.findall(r"<td>Сотрудник (\d+)</td>", text)
        link = re.search(r'href="([^"]+)">Дальше →', text)
        if link is None:
            break
        url = html.unescape(link.group(1))
    assert sorted(map(int, names)) == list(range(1000))


def add_journal(app, org_id: int, count: int) -> None:
    base = utcnow() - timedelta(days=1)
    with app.app_context():
        db.session.execute(insert(OrganizationJournalEntry), [
            {"organization_id": org_id, "event": "join", "created_at": base + timedelta(seconds=i // 3),
             "details": ("=HYPERLINK(\"x\")" if i == 0 else f"запись {i}")} for i in range(count)])
        db.session.commit()


def test_journal_pages_by_keyset_without_count_or_offset(app, org, wizard):
    add_journal(app, org, 130)
    with statements(app) as sql:
        first = wizard.client.get(f"/organizations/{org}/journal")
    assert first.status_code == 200
    journal = [(s, p) for s, p in sql if "organization_journal" in s]
    assert journal and not [s for s, _ in journal if "count(" in s.lower()]
    # SQLite's compiler writes "LIMIT ? OFFSET ?" for every LIMIT; the offset must be 0.
    offsets = [p[-1] for s, p in journal if "offset" in s.lower()]
    assert all(o == 0 for o in offsets), offsets
    seen = []
    url = f"/organizations/{org}/journal"
    for n in range(10):
        with statements(app) as sql:
            page = wizard.client.get(url).text
        assert all(p[-1] == 0 for s, p in sql if "offset" in s.lower() and "organization_journal" in s)
        if n:
            assert any("organization_journal.created_at <" in s for s, _ in sql)
        seen += [line for line in page.splitlines() if "запись " in line]
        if "Старее →" not in page:
            break
        import html
        url = html.unescape(re.search(r'href="([^"]+)">Старее →', page).group(1))
    texts = [s.strip() for s in seen]
    assert len(texts) == 129 and len(set(texts)) == 129  # every entry once, none repeated


def test_journal_csv_streams_and_neutralises_formulas(app, org, wizard):
    add_journal(app, org, 50)
    response = wizard.client.get(f"/organizations/{org}/journal?format=csv")
    assert response.status_code == 200 and response.is_streamed
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff") and "'=HYPERLINK" in body and ";=HYPERLINK" not in body
    assert body.count("\n") >= 51


def test_csv_cell_neutralises_every_formula_start():
    for start in "=+-@\t\r":
        assert csv_cell(start + "1") == "'" + start + "1"
    assert csv_cell("Иванов") == "Иванов" and csv_cell(None) == "" and csv_cell(5) == "5"


def test_join_never_shows_an_organization_the_person_did_not_find(app, demo_pki, org):

    from registry.pki.demo_pki import ORGANIZATION

    from .conftest import person_client

    person = person_client(app, demo_pki, "ip").client  # the ИП's certificate names no organization
    page = person.get("/join").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    submit = {"csrf_token": token, "organization": str(org), "unit": "", "position": "Бухгалтер",
              "department": "", "submit": "1"}
    refused = person.post("/join", data=submit)
    assert refused.status_code == 404 and "РОМАШКА" not in refused.text
    found = person.post("/join", data={"csrf_token": token, "query": ORGANIZATION["inn"], "find": "1"})
    assert "РОМАШКА" in found.text
    assert person.post("/join", data=submit).status_code == 302


SIGNED_IN_BUDGET = 8  # statements per signed-in page, whatever the data size


def test_signed_in_pages_read_the_session_account_and_memberships_once(app, org, wizard):
    wizard.client.get("/")  # signs in; the next requests only read
    wizard.client.get("/")
    with statements(app) as seen:
        page = wizard.client.get("/")
    assert page.status_code == 200 and "Профили организации" in page.text  # the admin's menu
    assert len(seen) <= SIGNED_IN_BUDGET, [s for s, _ in seen]
    assert sum("FROM auth_sessions" in s for s, _ in seen) == 1
    assert _membership_rows(seen) <= 1, [s for s, _ in seen]
    with statements(app) as seen:
        page = wizard.client.get(f"/organizations/{org}")
    assert page.status_code == 200
    assert len(seen) <= SIGNED_IN_BUDGET, [s for s, _ in seen]
    assert sum("FROM auth_sessions" in s for s, _ in seen) == 1
    assert _membership_rows(seen) <= 1, [s for s, _ in seen]


def _membership_rows(seen) -> int:
    """Statements loading membership rows (not an EXISTS test)."""
    return sum("memberships.roles" in statement for statement, _ in seen)


def test_the_organization_page_asks_every_domain_once_for_its_notices(app, org, wizard):
    """ЕГРЮЛ changes, expiring МЧД and documents: each domain runs its own small statement, once
    (the notices themselves are tested by their domains, with something to show)."""
    wizard.get(f"/organizations/{org}")
    with statements(app) as seen:
        page = wizard.get(f"/organizations/{org}")
    assert page.status_code == 200
    for table in ("egrul_changes", "powers_of_attorney", "documents"):
        assert sum(f"FROM {table}" in s for s, _ in seen) == 1, (table, [s for s, _ in seen])
    assert len(seen) <= SIGNED_IN_BUDGET, "\n".join(s[:150] for s, _ in seen)
