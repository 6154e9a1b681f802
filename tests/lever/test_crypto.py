"""Encryption at rest: MultiFernet with key rotation, and `flask lever rotate-keys`."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from dashboard.extensions import db
from dashboard.lever.connection import crypto
from dashboard.lever.connection.models import LeverConnection, LeverWebhook


def test_round_trip_and_ciphertext_hides_the_text(app):
    token = crypto.encrypt("refresh-abc123")
    assert "refresh-abc123" not in token
    assert crypto.decrypt(token) == "refresh-abc123"
    assert crypto.encrypt("same") != crypto.encrypt("same")  # random IV every time


def test_old_key_still_decrypts_after_a_new_key_is_put_first(app):
    old = app.config["TOKEN_ENCRYPTION_KEYS"]
    token = crypto.encrypt("secret-value")
    new_key = Fernet.generate_key().decode()
    app.config["TOKEN_ENCRYPTION_KEYS"] = f"{new_key},{old}"
    assert crypto.decrypt(token) == "secret-value"
    rotated = crypto.rotate(token)
    app.config["TOKEN_ENCRYPTION_KEYS"] = new_key  # old key removed
    assert crypto.decrypt(rotated) == "secret-value"
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(token)


def test_malformed_or_missing_keys_are_clear_errors(app):
    app.config["TOKEN_ENCRYPTION_KEYS"] = "not-a-key"
    with pytest.raises(crypto.CryptoError, match="not a valid Fernet key"):
        crypto.encrypt("x")
    app.config["TOKEN_ENCRYPTION_KEYS"] = ""
    with pytest.raises(crypto.CryptoError, match="not set"):
        crypto.encrypt("x")


def test_rotate_keys_command_re_encrypts_every_stored_secret(app, runner, make_org):
    org = make_org("Rotating Ltd")
    conn = LeverConnection(organisation_id=org.id, status="connected", lever_account_id="acct-1",
                           access_token_enc=crypto.encrypt("access-1"),
                           refresh_token_enc=crypto.encrypt("refresh-1"))
    db.session.add(conn)
    db.session.flush()
    db.session.add(LeverWebhook(connection_id=conn.id, event="candidateHired", url="http://x/w",
                                signature_token_enc=crypto.encrypt("sig-1"), source="pasted"))
    db.session.commit()
    old = app.config["TOKEN_ENCRYPTION_KEYS"]
    new_key = Fernet.generate_key().decode()
    app.config["TOKEN_ENCRYPTION_KEYS"] = f"{new_key},{old}"

    result = runner.invoke(args=["lever", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 3 secrets" in result.output

    app.config["TOKEN_ENCRYPTION_KEYS"] = new_key
    db.session.expire_all()
    conn = db.session.get(LeverConnection, conn.id)
    assert crypto.decrypt(conn.access_token_enc) == "access-1"
    assert crypto.decrypt(conn.refresh_token_enc) == "refresh-1"
    assert crypto.decrypt(conn.webhooks[0].signature_token_enc) == "sig-1"


def test_rotate_keys_with_an_unknown_key_fails_cleanly_and_changes_nothing(app, runner, make_org):
    org = make_org("Wrong Keys Ltd")
    conn = LeverConnection(organisation_id=org.id, access_token_enc=crypto.encrypt("access-1"))
    db.session.add(conn)
    db.session.commit()
    before = conn.access_token_enc
    app.config["TOKEN_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    result = runner.invoke(args=["lever", "rotate-keys"])
    assert result.exit_code != 0
    assert "cannot be decrypted" in result.output
    db.session.expire_all()
    assert db.session.get(LeverConnection, conn.id).access_token_enc == before
