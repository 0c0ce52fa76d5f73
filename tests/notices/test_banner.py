"""«Адрес не подтверждён» on every signed-in page until the address is confirmed, with a link to
«Мой профиль»; read by the same statement as the bell's count (no statement of its own)."""

from __future__ import annotations

import re

from sqlalchemy import select

from registry.auth.models import User
from registry.extensions import db

from ..auth.test_views import signed_in_as
from ..factories import make_confirmed_address
from ..helpers import statements

BANNER = 'class="notice notice--warning page-banner"'


def _me(app) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id)).one()


def _set_email(app, user_id: int, email: str | None) -> None:
    with app.app_context():
        db.session.get(User, user_id).email = email
        db.session.commit()


def test_the_banner_shows_until_the_address_is_confirmed(app, client, demo_pki):
    signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    user_id = _me(app)
    cert_email = demo_pki.person("employee1", "ecdsa").certificate.email
    assert cert_email
    # The certificate's address: not confirmed either.
    page = client.get("/").text
    assert BANNER in page
    assert f"Адрес электронной почты из сертификата {cert_email} не подтверждён" in page
    assert 'href="/profile#notices">Подтвердить в разделе «Мой профиль»</a>' in page

    _set_email(app, user_id, "anna@example.ru")
    for path in ("/", "/journal", "/join"):
        page = client.get(path).text
        assert BANNER in page and "Адрес электронной почты anna@example.ru не подтверждён" in page, path
    # «Мой профиль» and «Уведомления» say it in full themselves, once.
    for path in ("/profile", "/notices/"):
        page = client.get(path).text
        assert BANNER not in page and "anna@example.ru не подтверждён" in page, path

    with app.app_context():
        make_confirmed_address(db.session.get(User, user_id), "anna@example.ru")
        db.session.commit()
    assert BANNER not in client.get("/").text
    # A new address starts unconfirmed again.
    _set_email(app, user_id, "sidorova@example.ru")
    assert "sidorova@example.ru не подтверждён" in client.get("/").text


def test_no_banner_once_the_certificate_address_is_confirmed(app, client, demo_pki):
    signed_in_as(client, demo_pki.person("head", "ecdsa"))
    user_id = _me(app)
    with app.app_context():
        make_confirmed_address(db.session.get(User, user_id), "head@example.ru")
        db.session.commit()
    assert BANNER not in client.get("/").text


def test_the_banner_costs_no_statement_of_its_own(app, client, demo_pki):
    signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    _set_email(app, _me(app), "anna@example.ru")
    with statements(app) as sql:
        page = client.get("/journal").text
    assert BANNER in page
    reading = [s for s, _ in sql if "notice_addresses" in s]
    assert len(reading) == 1, reading
    assert "FROM notices" in reading[0]  # the bell's count, in the same statement
    # counted over a bounded read (LIMIT inside), never a COUNT over the whole history
    bounded = r"count\(\*\) AS \w+\s+FROM \(SELECT notices\.id AS id\s+FROM notices\s+WHERE [^;]*?LIMIT"
    assert re.search(bounded, reading[0]), reading[0]


def test_the_profile_says_when_no_letter_was_sent_yet(app, client, demo_pki):
    signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    _set_email(app, _me(app), "anna@example.ru")  # set without the profile form: no letter yet
    page = client.get("/profile").text
    assert "Письмо со ссылкой для подтверждения ещё не отправлено." in page
    assert ">Отправить ссылку для подтверждения</button>" in page and ">Отправить ещё раз<" not in page


def test_the_home_page_names_the_notices(app, client, demo_pki):
    page = signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    assert '<li><a href="/notices/">Уведомления</a> — сроки сертификата, доверенностей и документов' in page
