"""The application factory and the things every request relies on."""

import pytest

from dashboard import create_app
from dashboard.config import TestConfig


def test_factory_collects_every_feature_job_with_intervals_from_the_config(tmp_path):
    """The registry the scheduler and worker read is built by the factory from the features, and
    each job's interval comes from the configuration passed in."""
    from dashboard.jobs.registry import intervals, registry

    app = create_app({**{k: v for k, v in vars(TestConfig).items() if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                      "SCHEDULE_OPPORTUNITIES_SECONDS": 123})
    with app.app_context():
        jobs = {spec.id for spec in registry().jobs}
        assert {"postings", "opportunities", "tokens", "inbox", "outbox"} <= jobs
        assert [source.name for source in registry().work] == ["lever-inbox", "lever-effects", "mail"]
        assert intervals()["opportunities"].total_seconds() == 123
        assert intervals()["postings"].total_seconds() == 300  # the default when nothing is configured


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_favicon_ico_leads_to_the_svg_icon_every_page_links(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 301 and resp.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page


def test_production_refuses_dev_secret(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_missing_public_url(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", TestConfig.TOKEN_ENCRYPTION_KEYS)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app()


def test_index_redirects_anonymous_to_login(client):
    resp = client.get("/")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/login")
