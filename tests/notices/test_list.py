"""«Уведомления»: the signed-in person's notices, newest first, paged; unread marked and
counted in the menu; mark read, all read; a notice's link; someone else's notice is a 404."""

from __future__ import annotations

import re

from sqlalchemy import select

from registry.auth.models import User
from registry.extensions import db
from registry.notices import services
from registry.notices.models import Notice

from ..auth.conftest import csrf_token
from ..auth.test_views import signed_in_as
from ..factories import make_notice, make_user


def _me(app) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id)).one()


def _count(page: str) -> int | None:
    match = re.search(r'class="header-link__count"[^>]*>(\d+)<', page)
    return int(match.group(1)) if match else None


def test_list_newest_first_with_the_unread_count(app, client, demo_pki):
    signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    assert _count(client.get("/").text) is None
    assert "Уведомлений пока нет." in client.get("/notices/").text
    user_id = _me(app)
    with app.app_context():
        me, other = db.session.get(User, user_id), make_user()
        first = make_notice(me, subject="Первое уведомление")
        second = make_notice(me, subject="Второе уведомление", url="/profile")
        make_notice(other, subject="Чужое уведомление")
        db.session.commit()
        first_id, second_id = first.id, second.id
    page = client.get("/notices/").text
    assert _count(page) == 2 and 'alt="Уведомления, непрочитанных: 2"' in page
    assert _count(client.get("/profile").text) == 2  # in the header of every page
    assert page.index("Второе уведомление") < page.index("Первое уведомление")
    assert "Чужое уведомление" not in page
    assert page.count("Новое") == 2

    # Its link: read, then taken where it points.
    opened = client.post(f"/notices/{second_id}/read", data={"csrf_token": csrf_token(page), "open": "1"})
    assert opened.status_code == 302 and opened.headers["Location"] == "/profile"
    page = client.get("/notices/").text
    assert _count(page) == 1
    marked = client.post(f"/notices/{first_id}/read", data={"csrf_token": csrf_token(page)})
    assert marked.status_code == 302 and marked.headers["Location"].endswith("/notices/")
    assert _count(client.get("/notices/").text) is None
    with app.app_context():
        assert all(n.read_at is not None for n in db.session.scalars(
            select(Notice).where(Notice.user_id == user_id)))


def test_mark_all_read_and_csrf(app, client, demo_pki):
    page = signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    user_id = _me(app)
    with app.app_context():
        me = db.session.get(User, user_id)
        for _ in range(3):
            make_notice(me)
        db.session.commit()
    assert client.post("/notices/read-all").status_code == 400  # no CSRF token
    assert _count(client.get("/notices/").text) == 3
    done = client.post("/notices/read-all", data={"csrf_token": csrf_token(page)})
    assert done.status_code == 302
    page = client.get("/notices/").text
    assert "Все уведомления отмечены прочитанными." in page and _count(page) is None


def test_someone_elses_notice_is_not_found(app, client, demo_pki):
    page = signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    with app.app_context():
        foreign = make_notice(make_user())
        db.session.commit()
        foreign_id = foreign.id
    answer = client.post(f"/notices/{foreign_id}/read", data={"csrf_token": csrf_token(page)})
    assert answer.status_code == 404
    with app.app_context():
        assert db.session.get(Notice, foreign_id).read_at is None


def test_keyset_pages(app, client, demo_pki):
    signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    user_id = _me(app)
    with app.app_context():
        me = db.session.get(User, user_id)
        ids = [make_notice(me, subject=f"Номер {n:02d}").id for n in range(services.PAGE_SIZE + 5)]
        db.session.commit()
    page = client.get("/notices/").text
    assert f"Номер {services.PAGE_SIZE + 4:02d}" in page and "Номер 04" not in page
    more = re.search(r'href="(/notices/\?before=\d+)"', page)
    assert more, "no link to older notices"
    older = client.get(more.group(1).replace("&amp;", "&")).text
    assert "Номер 04" in older and "Номер 00" in older and f"Номер {services.PAGE_SIZE + 4:02d}" not in older
    assert "Более ранние уведомления" not in older
    with app.app_context():
        first = services.notices_page(db.session.get(User, user_id), size=10)
        second = services.notices_page(db.session.get(User, user_id), before=first.next_before, size=10)
        assert [n.id for n in first.items + second.items] == sorted(ids, reverse=True)[:20]


def test_an_unsafe_link_is_not_followed(app, client, demo_pki):
    page = signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    with app.app_context():
        notice = make_notice(db.session.get(User, _me(app)), url="//evil.example/x")
        db.session.commit()
        notice_id = notice.id
    answer = client.post(f"/notices/{notice_id}/read", data={"csrf_token": csrf_token(page), "open": "1"})
    assert answer.headers["Location"].endswith("/notices/")
    assert services.safe_url("https://evil.example") is None and services.safe_url("/ok") == "/ok"


def test_each_person_sees_their_own_count_with_several_signed_in(app, client, demo_pki):
    """The bell's number is read with the session (a frame fact): with two people signed in at
    once, each sees their own count, not the other's and not the sum."""
    other_client = app.test_client()
    signed_in_as(client, demo_pki.person("employee1", "ecdsa"))
    signed_in_as(other_client, demo_pki.person("head", "ecdsa"))
    with app.app_context():
        anna = db.session.scalar(select(User).where(User.full_name.like("%Анна%")))
        ivan = db.session.scalar(select(User).where(User.full_name.like("%Иван Иванович%")))
        for n in range(3):
            make_notice(anna, subject=f"Анне {n}")
        make_notice(ivan, subject="Ивану")
        db.session.commit()
        ivan_id = ivan.id
    assert _count(client.get("/").text) == 3
    assert _count(other_client.get("/").text) == 1
    with app.app_context():
        services.mark_all_read(db.session.get(User, ivan_id))
        db.session.commit()
    assert _count(other_client.get("/profile").text) is None
    assert _count(client.get("/profile").text) == 3
