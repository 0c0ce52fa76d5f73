"""The operator console's trust page: the list, each CA's accreditation, CRL age and next
update, the last refresh, warnings, files that failed to load, grace sign-ins."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from registry.pki.demo_pki import PEOPLE
from registry.trust import import_tsl, refresh_crls

from .conftest import MSK, demo_ca, initial_store, issue_crl, now, tsl_xml


def test_trust_page_shows_every_ca_and_warns(
    trust_app_factory, demo_pki, tmp_path, db_session, http_server
):
    t = now()
    store = initial_store(demo_pki, tmp_path / "trust")
    # The RSA CA's CRL in place went stale an hour ago; a grace period of 6 h lets people in.
    (store / "ca-rsa.crl").write_bytes(
        issue_crl(
            demo_pki,
            "rsa",
            this_update=t - timedelta(days=2),
            next_update=t - timedelta(hours=1),
            number=100,
        )
    )
    app = trust_app_factory(REGISTRY_CRL_GRACE="6h")
    cas = [
        demo_ca(demo_pki, "ecdsa", crl_urls=[http_server.url("/ecdsa.crl")]),
        demo_ca(demo_pki, "rsa", crl_urls=[http_server.url("/rsa.crl")]),
        demo_ca(
            demo_pki,
            "gost256",
            statuses=[
                ("Действует", datetime(2020, 1, 1, tzinfo=MSK), None),
                ("Аннулирована", t - timedelta(days=1), None),
            ],
        ),
    ]
    cas[2].short_name = "Демо УЦ ГОСТ"
    source = tmp_path / "tsl.xml"
    source.write_bytes(tsl_xml(42, datetime(2026, 11, 30, 15, 0, tzinfo=MSK), cas))
    import_tsl(app, source)
    http_server.routes["/ecdsa.crl"] = issue_crl(
        demo_pki, "ecdsa", this_update=t, next_update=t + timedelta(hours=12), number=200
    )
    http_server.routes["/rsa.crl"] = 404
    refresh_crls(app)
    (Path(os.path.realpath(store)) / "ca" / "broken.crt").write_bytes(b"not a certificate")

    # A sign-in on the stale RSA CRL, within the grace period.
    head = app.test_client()
    head.certificate = demo_pki.person("head", "rsa").pem
    assert head.get("/").status_code == 200

    operator = app.test_client()
    operator.certificate = demo_pki.person("employee1", "ecdsa").pem
    assert operator.get("/").status_code == 200
    assert operator.get("/operator/trust").status_code == 404  # not an operator yet
    granted = app.test_cli_runner().invoke(args=["operator", "grant", PEOPLE["employee1"]["snils"]])
    assert granted.exit_code == 0, granted.output

    page = operator.get("/operator/trust").text
    assert '<dd class="trust-tsl-version">42</dd>' in page and "30.11.2026 15:00" in page
    ecdsa_row = _row(page, "Демо УЦ ECDSA")
    assert "Действует" in ecdsa_row and "истекает менее чем через 24 ч" in ecdsa_row
    assert "получен" in ecdsa_row
    rsa_row = _row(page, "Демо УЦ RSA")
    assert "недоступен" in rsa_row and "HTTP 404" in rsa_row
    assert "устарел — вход разрешён только в льготный период" in rsa_row
    gost_row = _row(page, "Демо УЦ ГОСТ")
    assert "Аннулирована — вход отклоняется" in gost_row
    assert "broken.crt" in page and "Файлы хранилища, которые не удалось загрузить" in page
    grace = page[page.index("Входы по просроченным СОС") :]
    assert "Вход по просроченному списку отзыва «C=RU, O=Демо УЦ RSA" in grace
    assert "SN=Иванов" in grace[: grace.index("</table>")]

    index = operator.get("/operator/").text
    assert "версия 42 от 30.11.2026 15:00" in index and "СОС скоро истекает: 1" in index


def _row(page: str, name: str) -> str:
    start = page.index(f"<td>{name}")
    return page[start : page.index("</tr>", start)]


def test_trust_page_warns_when_the_gost_engine_is_missing(
    trust_app_factory, demo_pki, tmp_path, db_session, monkeypatch
):
    from registry.pki import gost

    initial_store(demo_pki, tmp_path / "trust")  # with fresh CRLs, carried into the new store
    app = trust_app_factory()
    source = tmp_path / "tsl.xml"
    source.write_bytes(tsl_xml(43, now(), [demo_ca(demo_pki)]))
    import_tsl(app, source)
    operator = app.test_client()
    operator.certificate = demo_pki.person("employee1", "ecdsa").pem
    assert operator.get("/").status_code == 200
    granted = app.test_cli_runner().invoke(args=["operator", "grant", PEOPLE["employee1"]["snils"]])
    assert granted.exit_code == 0, granted.output
    monkeypatch.delenv("REGISTRY_GOST_BACKEND", raising=False)
    page = operator.get("/operator/trust").text
    assert "trust-gost-engine" not in page and "модуль gost для OpenSSL загружен" in page
    assert "проверена: C=RU, O=Минцифры России (демо)" in page

    monkeypatch.setitem(gost._loaded, "openssl", gost.GostUnavailable("gost engine not found (simulated)"))
    page = operator.get("/operator/trust").text
    warning = page[page.index('class="trust-gost-engine'):]
    warning = warning[: warning.index("</p>")]
    assert "не используется: gost engine not found (simulated)" in warning
    assert "на чистом Python" in warning and "libengine-gost-openssl" in warning
    index = operator.get("/operator/").text
    assert "trust-gost-engine" in index and "на чистом Python" in index
    status = app.test_cli_runner().invoke(args=["trust", "status"])
    assert "Внимание: Модуль ГОСТ для OpenSSL" in status.output
