"""The scopes the integration requests: every one a feature uses; the required ones refuse a connection
without them, the optional ones switch only their feature off, and the card says which and offers
Reconnect. Over HTTP against the sandbox's consent page."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.lever.api.oauth import (
    APPLICATIONS_SCOPE,
    ARCHIVE_REASONS_SCOPE,
    CONFIDENTIAL_SCOPE,
    DEFAULT_SCOPES,
    OPTIONAL_SCOPES,
    REQUIRED_SCOPES,
)
from dashboard.lever.connection import scopes
from dashboard.lever.connection.models import LeverConnection, LeverWebhook
from tests.support.clients import login
from tests.support.connections import direct_connection
from tests.support.lever import CONNECT, connect, flash_text, start_consent

PERMISSIONS_NOTICE = 'id="lever-missing-permissions"'


def _connection(org_id) -> LeverConnection | None:
    db.session.expire_all()
    return db.session.scalar(select(LeverConnection).where(LeverConnection.organisation_id == org_id))


def test_the_consent_asks_for_every_scope_a_feature_uses(app, client, owner, lever):
    login(client, owner)
    _, params = start_consent(client)
    asked = params["scope"].split()
    assert asked == list(DEFAULT_SCOPES)
    for scope in (APPLICATIONS_SCOPE, CONFIDENTIAL_SCOPE, ARCHIVE_REASONS_SCOPE):
        assert scope in asked
    assert set(scopes.FEATURES) == set(OPTIONAL_SCOPES)  # each optional scope says what it is for
    assert not set(REQUIRED_SCOPES) & set(OPTIONAL_SCOPES)


def test_a_connection_with_every_scope_shows_no_missing_feature(app, client, owner, lever):
    login(client, owner)
    connect(client, lever)
    assert "did not grant" not in flash_text(client)
    page = client.get(f"{CONNECT}/").get_data(as_text=True)
    assert PERMISSIONS_NOTICE not in page
    assert 'class="banner"' not in client.get("/lever/").get_data(as_text=True)


def test_without_a_required_scope_nothing_is_connected(app, client, owner, lever):
    login(client, owner)
    connect(client, lever, untick=("webhooks:write:admin",))
    assert "fewer permissions than needed (missing: webhooks:write:admin)" in flash_text(client)
    assert _connection(owner.organisation_id) is None
    assert lever.state()["webhooks"] == []


def test_without_optional_scopes_it_connects_and_says_which_features_are_off(app, client, owner, make_user,
                                                                            lever):
    login(client, owner)
    connect(client, lever, untick=(CONFIDENTIAL_SCOPE, ARCHIVE_REASONS_SCOPE))
    messages = flash_text(client)
    assert "Lever is connected" in messages
    assert "these features are off: Confidential jobs, Stage changes" in messages
    conn = _connection(owner.organisation_id)
    assert conn.status == "connected" and CONFIDENTIAL_SCOPE not in conn.scope_list
    assert APPLICATIONS_SCOPE in conn.scope_list
    assert "without confidential:access:admin (confidential jobs)" in conn.events[0].detail
    assert len(db.session.scalars(select(LeverWebhook)).all()) == 5  # everything else is set up

    page = client.get(f"{CONNECT}/").get_data(as_text=True)
    notice = page[page.index(PERMISSIONS_NOTICE):]
    notice = notice[:notice.index("</div>")]
    assert "Confidential jobs" in notice and CONFIDENTIAL_SCOPE in notice
    assert "Stage changes" in notice and ARCHIVE_REASONS_SCOPE in notice
    assert "Reconnect to allow stage changes" in notice
    assert "New applicants at once" not in notice
    assert f'action="{CONNECT}/enable"' in notice and "Reconnect" in notice
    banner = client.get("/lever/").get_data(as_text=True)
    assert 'class="banner"' in banner and "Confidential jobs, Stage changes are off" in banner

    recruiter = app.test_client()
    login(recruiter, make_user("recruiter", org=owner.organisation))
    page = recruiter.get(f"{CONNECT}/").get_data(as_text=True)
    assert PERMISSIONS_NOTICE in page and "Ask an owner or admin to reconnect" in page
    assert 'class="banner"' not in recruiter.get("/lever/").get_data(as_text=True)

    # Reconnect from the card with every permission ticked: the features are back.
    resp = client.post(f"{CONNECT}/enable")
    url = resp.headers["Location"]
    assert dict(parse_qsl(urlsplit(url).query))["scope"].split() == list(DEFAULT_SCOPES)
    connect(client, lever)
    conn = _connection(owner.organisation_id)
    assert scopes.missing_features(conn) == []
    assert PERMISSIONS_NOTICE not in client.get(f"{CONNECT}/").get_data(as_text=True)


def test_an_older_connection_lists_the_features_it_lacks(app, client, owner, lever):
    conn = direct_connection(owner.organisation_id)
    conn.scopes = " ".join(s for s in DEFAULT_SCOPES if s not in OPTIONAL_SCOPES)
    db.session.commit()
    login(client, owner)
    page = client.get(f"{CONNECT}/").get_data(as_text=True)
    for feature in scopes.FEATURES.values():
        assert feature.name in page and feature.scope in page
