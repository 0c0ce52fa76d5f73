"""Every page type, rendered through the HTTP client for a person holding every role (and for
the operator): Russian, lang="ru", no English words or internal codes in what people read.
(Horizontal scrolling at 390 px is checked in the browser by tests/test_walk.py.)"""

from __future__ import annotations

import html as html_lib
import re

from registry.extensions import db
from registry.members.models import Role

from .factories import make_member, make_organization, make_user, make_user_certificate
from .test_permissions import ROUTES, _documents_of

# English words and internal terms that must never reach a person.
INTERNAL = re.compile(
    r"\b(Forbidden|Not Found|Bad Request|Method Not Allowed|Internal Server Error|Unauthorized|"
    r"permission|Redirecting|digitalSignature|nonRepudiation|clientAuth|keyUsage|"
    r"revoked|expired|untrusted_root|wrong_purpose|exchange|documents|applications|roles|"
    r"sign_in|pending|active|removed|blocked|draft|signed|submitted|registered|"
    r"None|null|True|False|UTC|СвПодразд|СведДолжнФЛ|СвУпрОрг|СвОКВЭД|le_\w+|fo_\w+)\b")

# A message in English, such as a library's own (three Latin words in a row, as in a sentence).
LATIN_SENTENCE = re.compile(r"\b[A-Za-z]*[a-z][A-Za-z]*(?: [A-Za-z]*[a-z][A-Za-z]*){2,}\b")


def visible_text(page: str) -> str:
    match = re.search(r"<body.*?</body>", page, re.S)
    body = match.group(0) if match else page
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)  # attributes (names, urls) are not read by people
    return html_lib.unescape(body)


def _check(path: str, response) -> list[str]:
    problems = []
    if response.status_code >= 500:
        problems.append(f"{path}: {response.status_code}")
    if not response.content_type.startswith("text/html") or 300 <= response.status_code < 400:
        return problems  # files, CSV, JSON; a redirect's body is never shown
    page = response.text
    if 'lang="ru"' not in page:
        problems.append(f"{path}: no lang=ru")
    text = visible_text(page)
    found = sorted(set(INTERNAL.findall(text)) | set(LATIN_SENTENCE.findall(text)))
    if found:
        problems.append(f"{path}: {found}")
    return problems


def test_every_page_is_russian(app, client, demo_pki):
    cert = demo_pki.person("employee1", "ecdsa")
    with app.app_context():
        org = make_organization()
        person = make_user(full_name="Сидорова Анна Сергеевна", snils=None, inn=None, is_operator=True)
        make_user_certificate(person, cert.certificate)
        make_member(person, org, *Role)
        pending = make_member(make_user(), org, status="pending")
        db.session.flush()
        placeholders = {"member": pending.id, **_documents_of(org)}
        org_id = org.id
        db.session.commit()
    client.certificate = cert.pem
    paths = {template.split("?")[0].format(org=org_id, **placeholders)
             for method, template, _p in ROUTES if method == "GET" and not template.startswith("/api/")}
    paths |= {"/", "/profile", "/journal", "/join", "/notices/", "/mchd", "/organizations/?all=1",
              "/organizations/register",
              "/organizations/register/general", f"/organizations/{org_id}?tab=head",
              f"/organizations/{org_id}?tab=branches", f"/organizations/{org_id}/journal?event=x",
              "/operator/", "/operator/people", f"/operator/organizations/{org_id}",
              "/no-such-page", f"/organizations/{org_id}/edit", "/register",
              f"/operator/applications/{placeholders['review']}", "/operator/applications?status=&since=31.02.2026"}
    problems, shown = [], 0
    for path in sorted(paths):
        response = client.get(path)
        shown += response.status_code == 200 and response.content_type.startswith("text/html")
        problems += _check(path, response)
    assert shown >= 22  # the pages were really rendered, not redirected away
    # POST-only and refused actions answer with styled pages too.
    problems += _check("POST /organizations/register (no token)", client.post("/organizations/register"))
    assert problems == []
    # The check itself catches what it is for.
    assert INTERNAL.findall(visible_text("<body><p>Код причины: revoked</p><p>UTC</p></body>")) == ["revoked", "UTC"]
    assert LATIN_SENTENCE.findall(visible_text("<body><p>Ошибка: The CSRF token is missing.</p>"
                                               "<p>PNG, JPEG, TIFF</p></body>")) == ["token is missing"]
