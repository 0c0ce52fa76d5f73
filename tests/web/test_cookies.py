"""The cookie session remembers a verified cookie, never a forged or expired one."""

from __future__ import annotations

from flask import Flask, session

from registry.web import cookies
from registry.web.cookies import CachedCookieSessionInterface


def make_app(size: int = 4096) -> Flask:
    app = Flask("cookies-test")
    app.secret_key = "k" * 32
    app.session_interface = CachedCookieSessionInterface(size=size)

    @app.route("/set/<value>")
    def set_value(value):
        session["v"] = value
        return "ok"

    @app.route("/get")
    def get_value():
        return repr(sorted(session.items()))

    @app.route("/flash")
    def flash_in_place():
        session.setdefault("n", 0)
        session["extra"] = "changed"  # a change in one request stays out of the next's copy
        return "ok"

    return app


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def test_a_verified_cookie_is_read_again_the_same_and_changes_do_not_leak():
    app = make_app()
    client = app.test_client()
    client.get("/set/a")
    value = cookie_of(client)
    assert client.get("/get").text == "[('v', 'a')]"
    assert app.session_interface._verified  # remembered
    other = app.test_client()
    other.set_cookie("session", value)
    other.get("/flash")  # modifies its session (and is sent a new cookie)
    third = app.test_client()
    third.set_cookie("session", value)
    assert third.get("/get").text == "[('v', 'a')]"


def test_a_forged_cookie_opens_an_empty_session():
    app = make_app()
    client = app.test_client()
    client.get("/set/a")
    value = cookie_of(client)
    client.get("/get")
    forged = app.test_client()
    forged.set_cookie("session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert forged.get("/get").text == "[]"
    # another secret: the remembered cookie is not believed either
    app.secret_key = "x" * 32
    assert client.get("/get").text == "[]"


def test_an_expired_cookie_is_refused_even_when_remembered(monkeypatch):
    app = make_app()
    client = app.test_client()
    client.get("/set/a")
    assert client.get("/get").text == "[('v', 'a')]"
    lifetime = app.permanent_session_lifetime.total_seconds()
    real = cookies.time.time
    monkeypatch.setattr(cookies.time, "time", lambda: real() + lifetime + 5)
    import itsdangerous.timed
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() + lifetime + 5)
    assert client.get("/get").text == "[]"


def test_the_memory_is_bounded():
    app = make_app(size=3)
    for i in range(10):
        client = app.test_client()
        client.get(f"/set/{i}")
        client.get("/get")
    assert len(app.session_interface._verified) == 3
