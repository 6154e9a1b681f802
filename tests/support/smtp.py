"""Pytest plugin: a real SMTP server (aiosmtpd on a free local port) for every test that sends mail."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import contextmanager
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.support.processes import free_port


class Recorder:
    """aiosmtpd handler keeping every accepted message (parsed), or refusing all of them."""

    def __init__(self, refuse: bool = False, quit_delay: float = 0.0):
        self.messages = []
        self.refuse = refuse
        self.refused = 0  # messages answered 554
        self.quit_delay = quit_delay  # seconds between taking a message and answering QUIT

    def texts(self) -> list[str]:
        """Every received message as text (headers and every part), for searching."""
        out = []
        for message in self.messages:
            parts = [str(message)]
            for part in message.walk():
                if part.get_content_maintype() == "text":
                    parts.append(part.get_content())
            out.append("\n".join(parts))
        return out

    async def handle_QUIT(self, server, session, envelope):
        """A slow goodbye: the message is already taken, the sender still waits (and may die meanwhile)."""
        if self.quit_delay:
            await asyncio.sleep(self.quit_delay)
        return "221 Bye"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refused += 1
            return "554 Transaction failed: refused by policy"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _serve(handler):
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


@contextmanager
def smtp_sink(quit_delay: float = 0.0):
    """A real SMTP server on a free local port, for processes started by the test: yields
    (recorder, port). With `quit_delay`, each sender waits that long after its message was taken."""
    handler = Recorder(quit_delay=quit_delay)
    controller = _serve(handler)
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def invitations_received(recorder: Recorder) -> Counter:
    """How many invitation emails the server received, per recipient."""
    return Counter(str(m["To"]) for m in recorder.messages if str(m["Subject"]).startswith("Your invitation:"))


@pytest.fixture
def smtp_server(app):
    """Start an SMTP server and point the app at it; `.messages` holds what it received."""
    handler = Recorder()
    controller = _serve(handler)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False,
                      MAIL_DEFAULT_SENDER="assessments@example.com")
    yield handler
    controller.stop()


@pytest.fixture
def refusing_smtp_server(app):
    """An SMTP server that answers 554 to every message."""
    handler = Recorder(refuse=True)
    controller = _serve(handler)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
    yield handler
    controller.stop()


def send_queued_mail() -> int:
    """What the worker does after a request queued email: send every queued message now."""
    from dashboard.mail.delivery import deliver_queued

    return deliver_queued()
