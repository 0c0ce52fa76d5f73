"""The registry of powers of attorney, tested against a server on 127.0.0.1: found, revoked,
not found, unavailable (a 5xx, a timeout, nothing listening) — unavailable is not revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from registry.core import clock
from registry.mchd import provider
from registry.mchd import verify as V
from registry.mchd.document import read
from registry.pki.demo_pki import ORGANIZATION

from ..helpers import free_port
from .builder import build, sign
from .registry_server import registry_server

INN = ORGANIZATION["inn"]


@pytest.fixture
def registry(app, monkeypatch):
    with registry_server() as server:
        monkeypatch.setitem(app.config, "REGISTRY_MCHD_PROVIDER_URL", server.url)
        monkeypatch.setitem(app.config, "REGISTRY_MCHD_PROVIDER_TOKEN", "s3cret")
        monkeypatch.setitem(app.config, "REGISTRY_MCHD_PROVIDER_TIMEOUT", 1)
        yield server


@pytest.fixture
def signed(head):
    xml, name = build()
    return read(xml).number, xml, sign(xml, head), name


def test_found(app, registry, signed):
    number, xml, sig, name = signed
    registry.add(number, xml, sig, inn=INN, file_name=name + ".xml")
    with app.app_context():
        found = provider.lookup(number, INN)
    assert found.status == provider.FOUND and found.xml == xml and found.signature == sig
    assert found.file_name == name + ".xml"
    path, query, headers = registry.requests[-1]
    assert path == f"/mchd/{number}" and query == {"inn": INN}
    assert headers["Authorization"] == "Bearer s3cret"


def test_revoked(app, registry, signed, context):
    number, xml, sig, _ = signed
    registry.add(number, xml, sig, inn=INN, status="revoked", revoked_at="2026-11-30T10:00:00Z",
                 reason="Отозвана доверителем")
    with app.app_context():
        found = provider.lookup(number, INN)
        assert found.status == provider.REVOKED and found.reason == "Отозвана доверителем"
        result = V.verify(xml, sig, context=context(revocation=provider.revocation_status))
    assert result.code == V.REVOKED and "отозвана 30.11.2026" in result.message


def test_not_found(app, registry, signed):
    number, *_ = signed
    with app.app_context():
        assert provider.lookup(number, INN).status == provider.NOT_FOUND
        assert provider.lookup(number, "7700000000").status == provider.NOT_FOUND


def test_unavailable_is_not_revoked(app, registry, signed, context):
    number, xml, sig, _ = signed
    registry.add(number, xml, sig, inn=INN, status="revoked")
    registry.down = True
    with app.app_context():
        found = provider.lookup(number, INN)
        assert found.status == provider.UNAVAILABLE and "503" in found.error
        result = V.verify(xml, sig, context=context(revocation=provider.revocation_status))
    assert result.valid, result.message
    assert "Отзыв проверить не удалось" in result.checks[-1].message


def test_timeout_is_unavailable(app, registry, signed):
    number, xml, sig, _ = signed
    registry.add(number, xml, sig, inn=INN, status="revoked")
    registry.slow = 2
    with app.app_context():
        found = provider.lookup(number, INN)
    assert found.status == provider.UNAVAILABLE and "не ответил за 1 с" in found.error


def test_nothing_listening_is_unavailable(app, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRY_MCHD_PROVIDER_URL", f"http://127.0.0.1:{free_port()}")
    with app.app_context():
        found = provider.lookup("x", INN)
    assert found.status == provider.UNAVAILABLE and "недоступен" in found.error


def test_garbage_answer_is_unavailable():
    assert provider._answer(b"<html>").status == provider.UNAVAILABLE
    assert provider._answer(b'{"status": "active", "xml": "%%%"}').status == provider.UNAVAILABLE
    assert provider._answer(b'{"status": "maybe"}').status == provider.UNAVAILABLE
    assert provider._answer(b'[1]').status == provider.UNAVAILABLE


def test_parent_found_through_the_registry(app, registry, head, employee, trust, egrul):
    parent_xml, _ = build()
    parent = read(parent_xml)
    registry.add(parent.number, parent_xml, sign(parent_xml, head), inn=INN)
    child, _ = build(signatory=None, delegator="employee1", representative="ip",
                     parent=parent.number, powers=[("DMDK_APPLICATIONS", "Заявления")],
                     until=clock.today() + timedelta(days=30))
    with app.app_context():
        context = provider.check_context(trust_store=trust)
        context.head_of = lambda p: egrul.get(p.ogrn)
        result = V.verify(child, sign(child, employee), context=context)
    assert result.valid, result.message
    assert result.parent.number == parent.number


# -- the status at the address the document names (СведСист) ---------------------------------------
@pytest.fixture
def status(app, trust, egrul):
    """The check as the application makes it (its provider settings), ЕГРЮЛ as in the tests."""
    def run(xml, sig):
        with app.app_context():
            context = provider.check_context(trust_store=trust)
            context.head_of = lambda p: egrul.get(p.ogrn)
            return V.verify(xml, sig, context=context)
    return run


def test_the_status_is_asked_at_the_documents_own_address(app, status, head, monkeypatch):
    with registry_server() as server:
        port = server.url.rsplit(":", 1)[1]
        monkeypatch.setitem(app.config, "REGISTRY_MCHD_STATUS_HOSTS", f"127.0.0.1:{port}")
        xml, _ = build(system=server.url + "/emchd/check-status?guid={number}")
        sig = sign(xml, head)
        number = read(xml).number
        server.add(number, xml, sig, inn=INN)
        result = status(xml, sig)
        assert result.checks[-1].name == "revocation" and not result.checks[-1].skipped
        assert "Не отозвана по сведениям системы, указанной в доверенности" in result.checks[-1].message
        assert server.requests[-1][1] == {"guid": number, "inn": INN}
        server.entries[number]["status"], server.entries[number]["revoked_at"] = "revoked", "2026-12-01T09:00:00Z"
        result = status(xml, sig)
        assert result.code == V.REVOKED and "отозвана 01.12.2026" in result.message


def test_without_the_setting_the_status_is_not_asked_and_the_check_says_why(app, status, head):
    xml, _ = build()  # СведСист: https://m4d.nalog.gov.ru/…
    result = status(xml, sign(xml, head))
    revocation = result.checks[-1]
    assert revocation.skipped and "Статус доверенности не запрашивался" in revocation.message
    assert "REGISTRY_MCHD_STATUS_HOSTS" in revocation.message and "m4d.nalog.gov.ru" in revocation.message


def test_an_address_outside_the_list_is_never_called(app, status, head, monkeypatch):
    with registry_server() as server:
        monkeypatch.setitem(app.config, "REGISTRY_MCHD_STATUS_HOSTS", "m4d.nalog.gov.ru")
        xml, _ = build(system=server.url + "/emchd/check-status?guid={number}")
        result = status(xml, sign(xml, head))
        assert server.requests == []
        assert "не входит в список систем" in result.checks[-1].message and result.checks[-1].skipped


def test_without_network_the_status_is_not_revoked_but_said_unknown(app, status, head, monkeypatch):
    port = free_port()  # nothing listens there
    monkeypatch.setitem(app.config, "REGISTRY_MCHD_STATUS_HOSTS", f"127.0.0.1:{port}")
    xml, _ = build(system=f"http://127.0.0.1:{port}/emchd/check-status?guid={{number}}")
    result = status(xml, sign(xml, head))
    assert result.valid and result.checks[-1].skipped
    assert "Отзыв проверить не удалось: реестр доверенностей недоступен" in result.checks[-1].message
