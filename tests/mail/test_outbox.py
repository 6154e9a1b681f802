"""The Outbox pages: scoping, order, pagination, safe rendering."""

from __future__ import annotations

from dashboard.extensions import db
from dashboard.mail.models import MailMessage
from dashboard.mail.routes import PER_PAGE, linkify
from tests.support.clients import login


def _message(org_id: int, subject: str = "Hello", html: str = "<p>Hi</p>",
             text: str = "Take it: http://127.0.0.1:5000/a/tok123") -> MailMessage:
    msg = MailMessage(organisation_id=org_id, to="cand@example.com", subject=subject, text_body=text,
                      html_body=html, transport="outbox", status="stored")
    db.session.add(msg)
    db.session.commit()
    return msg


def test_empty_state(owner_client):
    resp = owner_client.get("/outbox")
    assert resp.status_code == 200
    assert "No emails yet" in resp.get_data(as_text=True)


def test_lists_own_organisation_newest_first(client, make_user, make_org):
    recruiter = make_user("recruiter")
    other = make_org("Other")
    _message(recruiter.organisation_id, "First subject")
    _message(recruiter.organisation_id, "Second subject")
    _message(other.id, "Foreign subject")
    login(client, recruiter)
    body = client.get("/outbox").get_data(as_text=True)
    assert "Foreign subject" not in body
    assert body.index("Second subject") < body.index("First subject")


def test_paginates(owner_client, owner):
    for i in range(PER_PAGE + 3):
        _message(owner.organisation_id, f"Subject number {i:03d}")
    first = owner_client.get("/outbox").get_data(as_text=True)
    second = owner_client.get("/outbox?page=2").get_data(as_text=True)
    assert "Subject number 000" not in first and "Subject number 000" in second
    assert "Page 2 of 2" in second
    beyond = owner_client.get("/outbox?page=99")
    assert beyond.status_code == 200 and "nothing on this page" in beyond.get_data(as_text=True)
    for bad in ("abc", "0", "-1", "99999999999999999999"):
        resp = owner_client.get(f"/outbox?page={bad}")
        assert resp.status_code == 400 and "page must be a whole number" in resp.get_data(as_text=True)


def test_detail_renders_html_sandboxed_and_links_clickable(owner_client, owner):
    msg = _message(owner.organisation_id, html='<p>Hi</p><script>alert(1)</script>"quote')
    resp = owner_client.get(f"/outbox/{msg.id}")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<a href="http://127.0.0.1:5000/a/tok123"' in body
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;quote" in body


def test_other_organisations_message_is_404(owner_client, make_org):
    other = make_org("Other")
    msg = _message(other.id)
    assert owner_client.get(f"/outbox/{msg.id}").status_code == 404
    assert owner_client.get("/outbox/999999").status_code == 404


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/outbox")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_linkify_escapes_and_trims_punctuation():
    out = str(linkify('See <b>https://x.test/a?b=1&c=2</b>. And http://y.test/p.'))
    assert "&lt;b&gt;" in out
    assert '<a href="https://x.test/a?b=1&amp;c=2"' in out
    assert '<a href="http://y.test/p"' in out
    assert "<a" not in str(linkify("javascript:alert(1)"))
