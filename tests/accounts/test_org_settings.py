"""Organisation settings: name and timezone, read-only for recruiters."""

from __future__ import annotations

import pytest

from dashboard.config import ROOT
from dashboard.extensions import db
from dashboard.org import services
from tests.support.clients import login


def test_owner_sees_editable_settings_with_users_link(owner_client, owner):
    body = owner_client.get("/settings").get_data(as_text=True)
    assert 'action="/settings"' in body and owner.organisation.name in body
    assert "/settings/users" in body
    assert "ATS integrations" in body
    if (ROOT / "templates" / "lever" / "_card.html").exists():
        assert 'id="lever-card"' in body  # the integration's own card is included


def test_owner_updates_name_and_timezone(owner_client, owner):
    resp = owner_client.post("/settings", data={"name": "  Acme   Data ", "timezone": "Europe/Berlin"})
    assert resp.status_code == 302
    db.session.refresh(owner.organisation)
    assert (owner.organisation.name, owner.organisation.timezone) == ("Acme Data", "Europe/Berlin")


@pytest.mark.parametrize("data", [
    {"name": "Acme", "timezone": "Mars/Olympus"},
    {"name": "Acme", "timezone": "../../etc/passwd"},
    {"name": "", "timezone": "UTC"},
    {"name": "   ", "timezone": "UTC"},
    {"name": "x" * 201, "timezone": "UTC"},
    {},
])
def test_bad_input_is_refused_and_changes_nothing(owner_client, owner, data):
    before = (owner.organisation.name, owner.organisation.timezone)
    resp = owner_client.post("/settings", data=data)
    assert resp.status_code == 400
    db.session.refresh(owner.organisation)
    assert (owner.organisation.name, owner.organisation.timezone) == before


def test_recruiter_sees_read_only_page_and_cannot_post(client, make_user, owner):
    recruiter = make_user("recruiter", org=owner.organisation)
    login(client, recruiter)
    page = client.get("/settings")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and owner.organisation.name in body
    assert 'action="/settings"' not in body and "/settings/users" not in body
    assert client.post("/settings", data={"name": "Hijack", "timezone": "UTC"}).status_code == 403
    db.session.refresh(owner.organisation)
    assert owner.organisation.name != "Hijack"


def test_admin_can_edit(client, make_user, owner):
    admin = make_user("admin", org=owner.organisation)
    login(client, admin)
    assert client.post("/settings", data={"name": "Renamed", "timezone": "Asia/Tokyo"}).status_code == 302
    db.session.refresh(owner.organisation)
    assert owner.organisation.timezone == "Asia/Tokyo"


def test_service_refuses_recruiters_and_strangers(make_user, owner):
    recruiter = make_user("recruiter", org=owner.organisation)
    stranger = make_user("owner")
    with pytest.raises(services.OrgError, match="Only owners and admins"):
        services.update_organisation(owner.organisation_id, recruiter.id, "X", "UTC")
    with pytest.raises(services.OrgError, match="not a member"):
        services.update_organisation(owner.organisation_id, stranger.id, "X", "UTC")


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/settings")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
