"""send_email: SMTP delivery, the Outbox, idempotency and failures."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dashboard.extensions import db
from dashboard.mail.models import MailMessage
from dashboard.mail.services import MailError, send_email
from tests.support.processes import free_port

CONTEXT = {"name": "Ada", "email": "ada@example.com", "organisation": "Acme <Analytics>",
           "brand": "Alooba", "invited_by": "", "valid_hours": 72,
           "link": "http://127.0.0.1:5000/set-password/abc"}


def _send(org, **kw):
    args = dict(organisation_id=org.id, to="ada@example.com", subject="Welcome",
                template="set_password", context=CONTEXT)
    args.update(kw)
    return send_email(**args)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(MailMessage))


def test_smtp_delivers_multipart_text_and_html(make_org, smtp_server):
    org = make_org()
    msg = _send(org)
    db.session.commit()
    assert (msg.transport, msg.status, msg.error) == ("smtp", "sent", None)
    assert msg.sent_at is not None
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["To"] == "ada@example.com"
    assert received["From"] == "assessments@example.com"
    assert received["Subject"] == "Welcome"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert CONTEXT["link"] in text and "Acme <Analytics>" in text
    assert CONTEXT["link"] in html and "Acme &lt;Analytics&gt;" in html


def test_without_mail_server_the_message_is_stored(make_org):
    org = make_org()
    msg = _send(org)
    db.session.commit()
    assert (msg.transport, msg.status, msg.sent_at) == ("outbox", "stored", None)
    assert CONTEXT["link"] in msg.text_body and CONTEXT["link"] in msg.html_body
    assert msg.organisation_id == org.id


def test_same_idempotency_key_sends_once(make_org, smtp_server):
    org = make_org()
    first = _send(org, idempotency_key="invite:1")
    db.session.commit()
    second = _send(org, idempotency_key="invite:1", subject="Another subject")
    db.session.commit()
    assert second.id == first.id and second.subject == "Welcome"
    assert len(smtp_server.messages) == 1
    assert _count() == 1


def test_same_idempotency_key_in_outbox_mode_stores_once(make_org):
    org = make_org()
    first = _send(org, idempotency_key="k")
    second = _send(org, idempotency_key="k")
    assert first.id == second.id and _count() == 1


def test_refused_message_records_failure_and_raises(make_org, refusing_smtp_server):
    org = make_org()
    with pytest.raises(MailError, match="could not be sent"):
        _send(org, idempotency_key="refused")
    db.session.commit()
    msg = db.session.scalar(select(MailMessage))
    assert (msg.transport, msg.status) == ("smtp", "failed")
    assert "554" in msg.error
    assert refusing_smtp_server.messages == []


def test_closed_port_records_failure_and_raises(app, make_org):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    org = make_org()
    with pytest.raises(MailError):
        _send(org)
    db.session.commit()
    msg = db.session.scalar(select(MailMessage))
    assert msg.status == "failed" and "Connection" in msg.error


def test_failed_message_is_retried_on_the_same_row(app, make_org, smtp_server):
    org = make_org()
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()
    with pytest.raises(MailError):
        _send(org, idempotency_key="retry")
    db.session.commit()
    app.config["MAIL_PORT"] = port
    msg = _send(org, idempotency_key="retry")
    db.session.commit()
    assert msg.status == "sent" and msg.error is None
    assert _count() == 1 and len(smtp_server.messages) == 1


@pytest.mark.parametrize("to", ["", "not-an-address", "a@example.com\r\nBcc: x@example.com"])
def test_bad_recipient_is_refused_without_a_row(make_org, to):
    org = make_org()
    with pytest.raises(MailError, match="not a valid email"):
        _send(org, to=to)
    assert _count() == 0


def test_unknown_template_is_refused(make_org):
    org = make_org()
    with pytest.raises(MailError, match="Unknown email template"):
        _send(org, template="../base")
    with pytest.raises(MailError, match="Unknown email template"):
        _send(org, template="no_such_template")
    assert _count() == 0


def test_concurrent_insert_with_same_key_returns_the_winner(make_org, monkeypatch):
    from dashboard.mail import services

    org = make_org()
    winner = _send(org, idempotency_key="race")
    db.session.commit()
    real = services.by_key
    calls = {"n": 0}

    def late_lookup(key):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(key)  # the first look-up misses the other insert

    monkeypatch.setattr(services, "by_key", late_lookup)
    again = _send(org, idempotency_key="race")
    db.session.commit()
    assert again.id == winner.id and _count() == 1


def test_smtp_login_when_username_is_configured(app, make_org):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.support.smtp import Recorder

    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USERNAME="mailer",
                          MAIL_PASSWORD="s3cret")
        org = make_org()
        assert _send(org).status == "sent"
    finally:
        controller.stop()
    assert seen == [(b"mailer", b"s3cret")]
    assert len(handler.messages) == 1
