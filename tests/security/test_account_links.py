"""Account emails: a set-password link exists only in the email the recipient gets.

An owner invites a new owner. Recruiters and admins then read every page they can reach (every GET
route of the URL map, with the real ids of the organisation, the account email's included): none
shows the link or its token, the database holds neither, and the link from the mail server works.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dashboard.accounts import services
from dashboard.extensions import db
from dashboard.mail.models import MailMessage
from tests.support.clients import login
from tests.support.dump import database_text
from tests.support.routes import collection_app, get_routes, make_objects, url_for_rule
from tests.support.smtp import send_queued_mail

LINK = re.compile(r"/set-password/([A-Za-z0-9_\-.]{16,})")
SKIPPED = ("/set-password/", "/logout", "/metrics")
GET_RULES = get_routes(collection_app())


def _invite_new_owner(owner_client) -> None:
    resp = owner_client.post("/settings/users", data={"email": "newowner@acme.example", "name": "New Owner",
                                                      "role": "owner"})
    assert resp.status_code == 302
    send_queued_mail()  # the worker's part


def _account_message() -> MailMessage:
    return db.session.scalar(select(MailMessage).where(MailMessage.to == "newowner@acme.example"))


def _every_page(app, client, ids: dict, token: str) -> str:
    """The bodies of every GET page the client can open, with the organisation's real ids."""
    bodies = []
    for rule, endpoint in GET_RULES:
        if rule.startswith(SKIPPED):
            continue
        resp = client.get(url_for_rule(app, rule, endpoint, ids, token))
        bodies.append(resp.get_data(as_text=True))
    return "\n".join(bodies)


@pytest.fixture
def staff(make_user, owner):
    return {"admin": make_user("admin", org=owner.organisation),
            "recruiter": make_user("recruiter", org=owner.organisation)}


def test_no_staff_member_can_obtain_a_working_set_password_link(app, client, owner_client, owner, staff,
                                                                smtp_server):
    objects = make_objects(owner.organisation_id, owner, prefix="o")
    _invite_new_owner(owner_client)
    (received,) = [m for m in smtp_server.texts() if "newowner@acme.example" in m]
    token = LINK.search(received).group(1)
    message = _account_message()
    assert message.status == "sent" and message.category == "account"
    assert token not in database_text()

    ids = {**objects.ids, "message_id": message.id}
    for role in ("recruiter", "admin"):
        other = app.test_client()
        login(other, staff[role])
        pages = _every_page(app, other, ids, objects.token)
        assert token not in pages, f"a {role} can read the set-password token"
        assert not LINK.search(pages), f"a {role} sees a set-password link: {LINK.search(pages).group(0)}"

    # The link the recipient received works (so the checks above looked for the right thing).
    page = client.get(f"/set-password/{token}")
    assert page.status_code == 200 and "newowner@acme.example" in page.get_data(as_text=True)


def test_without_a_mail_server_the_account_email_is_not_kept_and_says_how_to_proceed(owner_client, owner,
                                                                                    staff, app):
    _invite_new_owner(owner_client)
    message = _account_message()
    assert (message.status, message.transport, message.category) == ("not_sent", "outbox", "account")
    assert not LINK.search(message.text_body + message.html_body)
    assert not LINK.search(database_text())
    page = owner_client.get("/settings/users", follow_redirects=True).get_data(as_text=True)
    assert "newowner@acme.example" in page
    flashed = owner_client.get("/outbox").get_data(as_text=True)
    assert "not sent: no mail server" in flashed


def test_outbox_shows_account_mail_to_admins_as_sent_only_and_hides_it_from_recruiters(
        app, owner_client, owner, staff, smtp_server):
    objects = make_objects(owner.organisation_id, owner, prefix="o")
    _invite_new_owner(owner_client)
    message = _account_message()

    recruiter = app.test_client()
    login(recruiter, staff["recruiter"])
    listing = recruiter.get("/outbox").get_data(as_text=True)
    assert "newowner@acme.example" not in listing
    assert "o-cand@example.com" in listing  # candidate emails stay visible: recruiters resend them
    assert recruiter.get(f"/outbox/{message.id}").status_code == 404
    assert recruiter.get(f"/outbox/{objects.ids['message_id']}").status_code == 200

    admin = app.test_client()
    login(admin, staff["admin"])
    assert "newowner@acme.example" in admin.get("/outbox").get_data(as_text=True)
    shown = admin.get(f"/outbox/{message.id}").get_data(as_text=True)
    assert "This is an account email" in shown and "Choose your password" not in shown


def test_a_used_link_and_every_other_link_of_the_user_stop_working(app, client, owner_client, smtp_server):
    _invite_new_owner(owner_client)
    user = services.find_user_by_email("newowner@acme.example")
    owner_client.post(f"/settings/users/{user.id}/resend")
    send_queued_mail()
    links = [LINK.search(m).group(0) for m in smtp_server.texts() if "newowner@acme.example" in m]
    assert len(links) == 2 and links[0] != links[1]
    done = client.post(links[1], data={"password": "a long new password", "confirm": "a long new password"})
    assert done.status_code == 302
    fresh = app.test_client()
    assert fresh.get(links[0]).status_code == 400
    assert fresh.get(links[1]).status_code == 400


def test_cli_prints_a_link_for_servers_without_mail(app, runner, owner_client):
    _invite_new_owner(owner_client)
    result = runner.invoke(args=["users", "set-password-link", "newowner@acme.example"])
    assert result.exit_code == 0, result.output
    path = LINK.search(result.output).group(0)
    assert path.split("/")[-1] not in database_text()
    assert app.test_client().get(path).status_code == 200
    unknown = runner.invoke(args=["users", "set-password-link", "nobody@acme.example"])
    assert unknown.exit_code != 0 and "No active user" in unknown.output
