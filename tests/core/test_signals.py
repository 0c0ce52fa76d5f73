"""Signals between domains (registry.core.signals): a receiver hears its own application only,
with the keyword arguments the signal is sent with; collect joins the receivers' lists."""

from __future__ import annotations

from flask import Flask

from registry.core import signals


def test_a_receiver_hears_its_own_application_only():
    first, second = Flask("first"), Flask("second")
    heard: list[tuple[str, object]] = []
    signals.receive(signals.organization_notices, first,
                    lambda organization: heard.append(("first", organization)) or [("info", "a")])
    signals.receive(signals.organization_notices, first, lambda organization: [("warning", "b")])
    with first.app_context():
        found = signals.collect(signals.organization_notices, organization="org")
    with second.app_context():
        nothing = signals.collect(signals.organization_notices, organization="org")
    assert found == [("info", "a"), ("warning", "b")]
    assert nothing == [] and heard == [("first", "org")]


def test_every_domain_connects_its_receivers(app):
    receivers = {signal.name: list(signal.receivers_for(app)) for signal in (
        signals.signed_in, signals.organization_registered, signals.profile_saved,
        signals.organization_notices, signals.member_facts, signals.profile_sections,
        signals.application_submitted, signals.egrul_changes_found)}
    assert len(receivers["signed-in"]) == 2  # the visit journal's grace note, the memberships' journal
    assert len(receivers["organization-notices"]) == 4  # ЕГРЮЛ changes, МЧД, documents, the record
    assert all(receivers.values()), receivers
