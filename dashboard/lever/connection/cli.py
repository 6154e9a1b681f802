"""`flask lever rotate-keys`: re-encrypt every stored Lever secret with the newest key."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.lever.connection import crypto
from dashboard.lever.connection.models import LeverConnection, LeverWebhook

lever_cli = AppGroup("lever", help="Lever integration.")


def rotate_all() -> int:
    """Re-encrypt every stored Lever secret with the newest key; returns how many were rewritten.

    Flushes, never commits (the command commits once).
    """
    count = 0
    for conn in db.session.scalars(select(LeverConnection)):
        for attr in ("access_token_enc", "refresh_token_enc"):
            value = getattr(conn, attr)
            if value:
                setattr(conn, attr, crypto.rotate(value))
                count += 1
    for hook in db.session.scalars(select(LeverWebhook)):
        hook.signature_token_enc = crypto.rotate(hook.signature_token_enc)
        count += 1
    db.session.flush()
    return count


@lever_cli.command("rotate-keys")
def rotate_keys_command() -> None:
    """Re-encrypt every stored Lever secret with the first TOKEN_ENCRYPTION_KEYS key."""
    try:
        count = rotate_all()
    except crypto.CryptoError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"re-encrypted {count} secrets with the newest key")
