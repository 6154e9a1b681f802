"""Secrets stay secret through a whole connect + webhook + sync run: no access, refresh or
signature token (nor a delivery signature, nor an Authorization header) in any log line at DEBUG
from any logger, and no token in plain text anywhere in the database."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from tests.support.attempts import attempt_for, finish_and_evaluate, take
from tests.support.dump import database_text


@pytest.fixture
def debug_logs(caplog):
    """Every logger at DEBUG, enabled and propagating, from before the connection is made (list it
    before `world`); whatever earlier configuration did to them is restored afterwards."""
    caplog.set_level(logging.DEBUG)
    saved = []
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        saved.append((logger, logger.disabled, logger.propagate))
        logger.disabled, logger.propagate = False, True
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    for logger, disabled, propagate in saved:
        logger.disabled, logger.propagate = disabled, propagate


def _secrets(world) -> set[str]:
    from dashboard.lever.connection.crypto import decrypt
    from dashboard.lever.connection.models import LeverConnection, LeverWebhook

    db.session.expire_all()
    conn = db.session.scalar(select(LeverConnection))
    found = {decrypt(conn.access_token_enc), decrypt(conn.refresh_token_enc)}
    found |= {decrypt(h.signature_token_enc) for h in db.session.scalars(select(LeverWebhook))}
    return found




def _log_text(records) -> str:
    lines = []
    for record in records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
        lines.extend(str(v) for k, v in vars(record).items() if k not in ("msg", "args", "exc_info"))
    return "\n".join(lines)


def test_no_secret_in_logs_or_database_after_a_full_run(debug_logs, world):
    secrets = set(_secrets(world))
    opp = world.apply("Data Analyst", "Sec Ret", "secret@example.com")
    world.step(1)
    attempt = attempt_for("secret@example.com")
    take(attempt)
    from dashboard.accounts.services import find_user_by_email

    finish_and_evaluate(attempt, 8, find_user_by_email("owner@acme.example").id)
    # the access token expires mid-run: the next call refreshes it (a new access and refresh token)
    conn = world.connection
    db.session.refresh(conn)
    conn.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    world.act(opp["id"], "stage", stage="Phone Screen")
    world.step(2)
    world.drain()
    refreshed = _secrets(world)
    assert refreshed - secrets, "the access token was not refreshed during the run"
    secrets |= refreshed
    deliveries = world.sandbox.deliveries()
    signatures = {d["body"]["signature"] for d in deliveries if isinstance(d.get("body"), dict)
                  and d["body"].get("signature")}
    assert len(secrets) >= 4 and signatures, (len(secrets), len(signatures))
    assert any(r.levelno == logging.DEBUG for r in debug_logs.records)  # DEBUG really was captured

    logs = _log_text(debug_logs.records)
    for secret in secrets | signatures:
        assert secret not in logs, "a token or signature was logged"
    assert "authorization" not in logs.lower()
    dump = database_text()
    for secret in secrets:
        assert secret not in dump, "a token is stored in plain text"
