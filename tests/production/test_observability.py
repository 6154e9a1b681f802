"""Probes, metrics, security headers, request ids and log hygiene; production settings."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest

from dashboard import create_app
from dashboard.config import TestConfig
from dashboard.extensions import db
from dashboard.observability.logs import configure_logging
from dashboard.observability.redact import redact
from tests.support.connections import direct_connection, signed

# Uses a PostgreSQL database of its own whatever TEST_DATABASE_URL says: run once, in the first pass.
pytestmark = pytest.mark.own_postgres

SECRET_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                  "Strict-Transport-Security")


@pytest.mark.parametrize("url", ["/login", "/healthz", "/readyz", "/metrics", "/static/js/app.js",
                                 "/no-such-page", "/a/not-a-real-token"])
def test_security_headers_and_request_id_on_every_response(client, url):
    resp = client.get(url)
    for header in SECRET_HEADERS:
        assert header in resp.headers, f"{header} missing on {url}"
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert len(resp.headers["X-Request-ID"]) >= 8


def test_pages_are_never_cached_but_static_files_may_be(app, owner, owner_client):
    from dashboard.attempts import services as attempts
    from tests.support.platform import analyst_assessment

    org_id = owner.organisation_id
    assessment = analyst_assessment(org_id)
    candidate = attempts.find_or_create_candidate(org_id, "cache@example.com", "Cache")
    attempt = attempts.create_attempt(org_id, candidate.id, assessment.id)
    db.session.commit()
    for url in ("/lever/", "/settings", "/outbox", "/lever/candidates", f"/lever/candidates/{candidate.id}"):
        assert owner_client.get(url).headers["Cache-Control"] == "no-store", url
    anonymous = app.test_client()
    for url in (f"/a/{attempt.token}", "/login", "/a/unknown-token"):
        assert anonymous.get(url).headers["Cache-Control"] == "no-store", url
    assert anonymous.get("/static/js/app.js").headers.get("Cache-Control") != "no-store"


def test_incoming_request_id_is_kept_and_bad_ones_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc12345-trace"}).headers["X-Request-ID"] == \
        "abc12345-trace"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id; with spaces"}).headers["X-Request-ID"]
    assert replaced != "bad id; with spaces" and " " not in replaced


def test_no_hsts_in_development(app, tmp_path):
    dev = create_app({**{k: v for k, v in vars(TestConfig).items() if k.isupper()}, "ENV_NAME": "development",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}"})
    resp = dev.test_client().get("/healthz")
    assert "Strict-Transport-Security" not in resp.headers
    assert "Content-Security-Policy" in resp.headers


def test_pages_carry_no_inline_script(owner_client):
    html = owner_client.get("/settings").get_data(as_text=True)
    assert "onclick=" not in html.split("<main", 1)[0]
    assert "/static/js/app.js" in html


def test_readyz_is_503_on_an_unmigrated_database(client):
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["database"] == "reachable"


def test_readyz_is_200_once_migrated(tmp_path):
    from flask_migrate import upgrade

    migrated = create_app({**{k: v for k, v in vars(TestConfig).items() if k.isupper()},
                           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.db'}"})
    loggers = {name: (lg.disabled, lg.level) for name, lg in logging.root.manager.loggerDict.items()
               if isinstance(lg, logging.Logger)}
    root = (logging.root.level, list(logging.root.handlers))
    try:
        with migrated.app_context():
            upgrade()  # alembic's logging config mutes existing loggers: put them back afterwards
    finally:
        for name, (disabled, level) in loggers.items():
            logging.getLogger(name).disabled = disabled
            logging.getLogger(name).setLevel(level)
        logging.root.setLevel(root[0])
        logging.root.handlers[:] = root[1]
    resp = migrated.test_client().get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ready", "database": "reachable", "migrations": "current"}


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    broken = create_app({**{k: v for k, v in vars(TestConfig).items() if k.isupper()},
                         "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    resp = broken.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["database"] == "unreachable"


def test_metrics_count_webhooks_and_report_queue_depth(app, client, make_org):
    org = make_org("Metrics Org")
    connection = direct_connection(org.id, signature_token="metrics-signature-token")
    url = f"/webhooks/lever/{connection.public_id}"
    assert client.post(url, data=b"not json", content_type="application/json").status_code == 400
    body = signed("wrong-token", data={"opportunityId": "opp-1"})
    assert client.post(url, json=body).status_code == 401
    good = signed("metrics-signature-token", data={"opportunityId": "opp-1"})
    assert client.post(url, json=good).status_code == 200
    assert client.post(url, json=good).status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    for outcome in ("bad_request", "bad_signature", "stored", "duplicate"):
        assert f'dashboard_webhooks_received_total{{outcome="{outcome}"}}' in text
    assert 'dashboard_inbox_depth{state="pending"} 1.0' in text
    assert "dashboard_outbox_oldest_pending_age_seconds" in text
    assert "dashboard_http_requests_total" in text


def test_metrics_token_when_configured(app, client):
    app.config["METRICS_TOKEN"] = "scrape-secret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}).status_code == 200


def test_observe_job_and_lever_call_hooks_show_up(client):
    from dashboard.observability import metrics

    metrics.observe_job("reconcile", 1.5)
    metrics.lever_call("GET", 429, 0.1)
    metrics.refresh_failed("invalid_grant")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'dashboard_job_duration_seconds_count{job="reconcile"}' in text
    assert 'dashboard_lever_calls_total{method="GET",status="429"}' in text
    assert "dashboard_lever_rate_limited_total" in text
    assert 'dashboard_lever_token_refresh_failures_total{reason="invalid_grant"}' in text


def test_json_logs_have_request_ids_and_no_secrets(app, client, capsys, make_org):
    previous_level = logging.getLogger().level
    configure_logging("json")
    try:
        org = make_org("Log Org")
        connection = direct_connection(org.id, signature_token="log-signature-token-123")
        body = signed("log-signature-token-123", data={"opportunityId": "opp-9"})
        client.post(f"/webhooks/lever/{connection.public_id}", json=body)
        client.get("/a/secret-candidate-link-token")
        with app.test_request_context("/x"):
            logging.getLogger("dashboard.test").warning(
                "calling Lever with Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIx.sig and refresh_token=rt-123456")
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_dashboard_handler", False):
                logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(previous_level)
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [entry for entry in lines if entry["logger"] == "dashboard.access"]
    assert access and all(entry["request_id"] for entry in access)
    assert any(entry["route"] == "/a/<token>" for entry in access)
    for secret in ("log-signature-token-123", body["signature"], body["token"], "secret-candidate-link-token",
                   "eyJhbGciOi", "rt-123456", "Bearer e"):
        assert secret not in err


def test_redact_masks_credentials():
    assert "s3cr3t" not in redact("password=s3cr3t")
    assert "abcdef123" not in redact('{"access_token": "abcdef123"}')
    assert "xyz12345" not in redact("Authorization: Basic xyz12345")
    assert redact("GET /lever/overview 200") == "GET /lever/overview 200"


def test_production_refuses_the_development_secret_and_a_missing_public_url(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", TestConfig.TOKEN_ENCRYPTION_KEYS)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://dashboard.example.com")
    monkeypatch.setenv("SECRET_KEY", "dev-generated-development-key")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "a-real-production-secret")
    monkeypatch.delenv("PUBLIC_BASE_URL")
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://dashboard.example.com")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app()
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15")
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    with pytest.raises(RuntimeError, match="METRICS_TOKEN"):
        create_app()
    monkeypatch.setenv("METRICS_TOKEN", "a-scrape-token")
    app = create_app()
    assert app.config["ENV_NAME"] == "production"
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_postgres_pacer_is_shared_and_keeps_the_rate(pg_app):
    from dashboard.extensions import db
    from dashboard.lever.connection.pacing import PostgresPacer

    waits: list[float] = []
    lock = threading.Lock()
    pacers = [PostgresPacer(db.engine, rate=10, burst=5, sleep=lambda s: None) for _ in range(3)]

    def take(pacer):
        for _ in range(10):
            wait = pacer.reserve("acct-1")
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=take, args=(p,)) for p in pacers]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refilled = 10 * (time.monotonic() - started)  # slots the rate gave back while the 30 were taken
    waits.sort()
    assert sum(1 for w in waits if w == 0) <= 5 + refilled  # the burst, shared by every pacer
    assert waits[-1] >= (30 - 5 - refilled) / 10 - 0.1  # the slots beyond the burst, at 10/s
    assert PostgresPacer(db.engine, rate=10, burst=5, sleep=lambda s: None).reserve("acct-2") == 0
