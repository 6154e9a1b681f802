"""User management: invite, set password, roles, deactivation, and their rules."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dashboard.accounts import services
from dashboard.accounts.models import User
from dashboard.extensions import db
from dashboard.mail.models import MailMessage
from tests.support.clients import login
from tests.support.smtp import send_queued_mail


def _link_from_mail(smtp_server, email: str) -> str:
    """The set-password path in the last email the SMTP server received for `email` (once the worker
    sent what the request queued)."""
    send_queued_mail()
    received = [m for m in smtp_server.messages if m["To"] == email]
    assert received, f"no email to {email}"
    text = received[-1].get_body(("plain",)).get_content()
    html = received[-1].get_body(("html",)).get_content()
    match = re.search(r"http://127\.0\.0\.1:5000(/set-password/[^\s]+)", text)
    assert match, text
    assert match.group(0) in html
    return match.group(1)


def _snapshot(org_id):
    return [(u.id, u.role, u.active, u.session_token) for u in services.list_users(org_id)]


@pytest.fixture
def admin(make_user, owner):
    return make_user("admin", org=owner.organisation)


@pytest.fixture
def recruiter(make_user, owner):
    return make_user("recruiter", org=owner.organisation)


def test_users_page_lists_organisation_members_only(owner_client, owner, recruiter, make_user):
    make_user("owner", email="stranger@example.com")
    body = owner_client.get("/settings/users").get_data(as_text=True)
    assert recruiter.email in body and owner.email in body
    assert "stranger@example.com" not in body


def test_recruiter_cannot_manage_users(client, recruiter):
    login(client, recruiter)
    assert client.get("/settings/users").status_code == 403
    resp = client.post("/settings/users", data={"email": "x@example.com", "name": "X", "role": "recruiter"})
    assert resp.status_code == 403
    assert services.find_user_by_email("x@example.com") is None


def test_invite_then_set_password_then_login(owner_client, owner, client, smtp_server):
    resp = owner_client.post("/settings/users", data={"email": "New@Example.com", "name": "New Person",
                                                      "role": "admin"})
    assert resp.status_code == 302
    user = services.find_user_by_email("new@example.com")
    assert (user.role, user.organisation_id, user.password_hash) == ("admin", owner.organisation_id, None)
    path = _link_from_mail(smtp_server, "new@example.com")
    owner_client.post("/logout")

    page = client.get(path)
    assert page.status_code == 200 and "new@example.com" in page.get_data(as_text=True)
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400
    done = client.post(path, data={"password": "a long new password", "confirm": "a long new password"})
    assert done.status_code == 302
    assert client.get("/settings/users").status_code == 200  # logged in as the new admin
    # The link works once.
    reused = client.post(path, data={"password": "another password 1", "confirm": "another password 1"})
    assert reused.status_code == 400 and "already been used" in reused.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password("a long new password")


def test_invite_rejects_duplicates_and_bad_input(owner_client, recruiter):
    before = db.session.scalars(select(User)).all()
    dup = owner_client.post("/settings/users", data={"email": recruiter.email, "name": "Dup",
                                                     "role": "recruiter"})
    assert dup.status_code == 400 and "already exists" in dup.get_data(as_text=True)
    bad = owner_client.post("/settings/users", data={"email": "nope", "name": "", "role": "boss"})
    assert bad.status_code == 400
    assert len(db.session.scalars(select(User)).all()) == len(before)
    assert db.session.scalars(select(MailMessage)).all() == []


def test_admin_cannot_invite_owner(client, admin):
    login(client, admin)
    resp = client.post("/settings/users", data={"email": "o2@example.com", "name": "O", "role": "owner"})
    assert resp.status_code == 400
    assert services.find_user_by_email("o2@example.com") is None
    with pytest.raises(services.AccountError, match="Only an owner"):
        services.invite_user(admin.organisation_id, admin.id, "o2@example.com", "O", "owner")


def test_expired_or_tampered_link_is_refused(app, owner_client, recruiter):
    token = services.issue_password_token(recruiter, max_age=3600)
    expired = services.issue_password_token(recruiter, max_age=-1)
    db.session.commit()
    assert owner_client.get(f"/set-password/{token}").status_code == 200
    assert owner_client.get(f"/set-password/{token}x").status_code == 400
    resp = owner_client.get(f"/set-password/{expired}")
    assert resp.status_code == 400 and "expired" in resp.get_data(as_text=True)


def test_deactivation_ends_sessions_at_once(app, owner_client, recruiter):
    other = app.test_client()
    login(other, recruiter)
    assert other.get("/outbox").status_code == 200
    resp = owner_client.post(f"/settings/users/{recruiter.id}/deactivate")
    assert resp.status_code == 302
    gone = other.get("/outbox")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert services.authenticate(recruiter.email, "correct horse battery") is None
    owner_client.post(f"/settings/users/{recruiter.id}/reactivate")
    login(other, recruiter)


def test_deactivated_user_set_password_link_dies(app, owner_client, owner, smtp_server):
    owner_client.post("/settings/users", data={"email": "p@example.com", "name": "P", "role": "recruiter"})
    path = _link_from_mail(smtp_server, "p@example.com")
    assert owner_client.get(path).status_code == 200
    user = services.find_user_by_email("p@example.com")
    owner_client.post(f"/settings/users/{user.id}/deactivate")
    assert owner_client.get(path).status_code == 400
    owner_client.post(f"/settings/users/{user.id}/reactivate")
    assert owner_client.get(path).status_code == 400  # revoked, not merely hidden while inactive


def test_change_role(owner_client, recruiter):
    assert owner_client.post(f"/settings/users/{recruiter.id}/role", data={"role": "admin"}).status_code == 302
    db.session.refresh(recruiter)
    assert recruiter.role == "admin"


@pytest.mark.parametrize("action,data", [("role", {"role": "recruiter"}), ("deactivate", {})])
def test_nobody_changes_themselves(owner_client, owner, action, data):
    before = _snapshot(owner.organisation_id)
    resp = owner_client.post(f"/settings/users/{owner.id}/{action}", data=data, follow_redirects=True)
    assert "cannot" in resp.get_data(as_text=True)
    assert _snapshot(owner.organisation_id) == before


@pytest.mark.parametrize("action,data", [("role", {"role": "recruiter"}), ("deactivate", {})])
def test_admin_cannot_touch_an_owner(client, admin, owner, action, data):
    login(client, admin)
    before = _snapshot(owner.organisation_id)
    resp = client.post(f"/settings/users/{owner.id}/{action}", data=data, follow_redirects=True)
    assert "Only an owner can change or deactivate an owner." in resp.get_data(as_text=True)
    assert _snapshot(owner.organisation_id) == before


def test_admin_cannot_promote_to_owner(client, admin, recruiter):
    login(client, admin)
    before = _snapshot(admin.organisation_id)
    resp = client.post(f"/settings/users/{recruiter.id}/role", data={"role": "owner"}, follow_redirects=True)
    assert "Only an owner can make someone an owner." in resp.get_data(as_text=True)
    assert _snapshot(admin.organisation_id) == before


def test_owner_can_demote_and_deactivate_another_owner(make_user, owner):
    second = make_user("owner", org=owner.organisation)
    services.change_role(owner.organisation_id, owner.id, second.id, "admin")
    assert second.role == "admin"
    services.change_role(owner.organisation_id, owner.id, second.id, "owner")
    services.set_user_active(owner.organisation_id, owner.id, second.id, False)
    assert second.active is False


def test_sole_owner_cannot_demote_or_deactivate_themselves(owner):
    with pytest.raises(services.AccountError, match="your own role"):
        services.change_role(owner.organisation_id, owner.id, owner.id, "admin")
    with pytest.raises(services.AccountError, match="deactivate yourself"):
        services.set_user_active(owner.organisation_id, owner.id, owner.id, False)
    assert (owner.role, owner.active) == ("owner", True)


def test_inactive_or_foreign_actor_is_refused(make_user, owner, recruiter):
    stranger = make_user("owner")
    with pytest.raises(services.AccountError, match="not a member"):
        services.change_role(owner.organisation_id, stranger.id, recruiter.id, "admin")
    with pytest.raises(services.AccountError, match="Only owners and admins"):
        services.change_role(owner.organisation_id, recruiter.id, recruiter.id, "admin")


def test_other_organisations_user_is_404(owner_client, make_user):
    stranger = make_user("recruiter")
    for action, data in (("role", {"role": "admin"}), ("deactivate", {}), ("reactivate", {}),
                         ("resend", {})):
        assert owner_client.post(f"/settings/users/{stranger.id}/{action}", data=data).status_code == 404
    db.session.refresh(stranger)
    assert stranger.role == "recruiter" and stranger.active


def test_unknown_role_is_refused(owner_client, recruiter):
    resp = owner_client.post(f"/settings/users/{recruiter.id}/role", data={"role": "emperor"},
                             follow_redirects=True)
    assert "Choose one of the listed roles." in resp.get_data(as_text=True)
    db.session.refresh(recruiter)
    assert recruiter.role == "recruiter"


def test_resend_link_only_for_pending_users(owner_client, recruiter, smtp_server):
    resp = owner_client.post(f"/settings/users/{recruiter.id}/resend", follow_redirects=True)
    assert "have not chosen a password" in resp.get_data(as_text=True)
    owner_client.post("/settings/users", data={"email": "q@example.com", "name": "Q", "role": "recruiter"})
    pending = services.find_user_by_email("q@example.com")
    owner_client.post(f"/settings/users/{pending.id}/resend")
    assert len(db.session.scalars(select(MailMessage).where(MailMessage.to == "q@example.com")).all()) == 2


def test_invite_with_failing_smtp_keeps_user_and_retries_and_says_so(app, owner_client, smtp_server):
    from tests.support.processes import free_port

    good_port = app.config["MAIL_PORT"]
    app.config.update(MAIL_PORT=free_port())  # nobody listens there: a temporary failure
    resp = owner_client.post("/settings/users", data={"email": "f@example.com", "name": "F",
                                                      "role": "recruiter"}, follow_redirects=True)
    assert "a set-password link is on its way" in resp.get_data(as_text=True)
    assert services.find_user_by_email("f@example.com") is not None
    send_queued_mail()
    msg = db.session.scalar(select(MailMessage).where(MailMessage.to == "f@example.com"))
    assert (msg.status, msg.attempts) == ("queued", 1) and "Connection" in msg.error
    page = owner_client.get("/settings/users").get_data(as_text=True)
    assert "not delivered yet" in page and "will be tried again" in page
    # the server is back: the next pass of the worker delivers it
    app.config.update(MAIL_PORT=good_port)
    msg.next_try_at = msg.created_at
    db.session.commit()
    send_queued_mail()
    assert _link_from_mail(smtp_server, "f@example.com").startswith("/set-password/")
    db.session.refresh(msg)
    assert msg.status == "sent" and msg.attempts == 2


def test_confirmation_text_with_quotes_cannot_break_out(owner_client, owner):
    email = "x'+alert`1`+'@example.com"
    services.create_user(owner.organisation_id, email, "recruiter", name="Quote")
    db.session.commit()
    body = owner_client.get("/settings/users").get_data(as_text=True)
    # The question travels in an escaped attribute read by static/js/app.js: no script to break out of.
    assert 'data-confirm="Deactivate x&#39;+alert`1`+&#39;@example.com?' in body
    assert "onclick" not in body
