"""/metrics: Prometheus text for the configured addresses only, with what an operator watches."""

from __future__ import annotations

import json
import logging


def test_metrics_only_for_configured_addresses(app, client, demo_pki, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRY_METRICS_FROM", "192.0.2.0/24")
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 404
    client.certificate = demo_pki.person("head", "ecdsa").pem
    assert client.get("/profile").status_code == 200  # a sign-in
    client.certificate = demo_pki.person("employee2", "ecdsa").pem  # the revoked one
    assert client.get("/profile").status_code == 403
    client.certificate = None
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.5"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'registry_sign_in_events_total{event="sign_in",reason="ok"}' in text
    assert 'registry_sign_in_events_total{event="refused",reason="revoked"}' in text
    assert "registry_certificate_validation_seconds_count" in text
    assert 'registry_http_request_seconds_count{endpoint="auth.profile",method="GET",status="200"}' in text
    assert "registry_crl_age_seconds{issuer=" in text and "registry_crl_seconds_to_next_update{" in text
    assert "registry_jobs_queued " in text and "registry_job_failures" in text


def test_json_log_lines():
    from registry.app import JsonFormatter

    record = logging.LogRecord("registry.x", logging.WARNING, __file__, 1, "проверка %s", ("ok",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "проверка ok" and line["level"] == "WARNING" and line["logger"] == "registry.x"
