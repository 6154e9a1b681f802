"""Encryption at rest for Lever secrets: MultiFernet over `TOKEN_ENCRYPTION_KEYS`.

The setting is a comma-separated list of Fernet keys. The first key encrypts; every key
decrypts, so a new key can be put first and old tokens re-encrypted with `rotate()`
(`flask lever rotate-keys`) before the old key is removed.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

_lock = threading.Lock()


class CryptoError(ValueError):
    """The keys are missing or malformed, or a value cannot be decrypted with any key."""


@lru_cache(maxsize=8)
def _fernet_for(keys: str) -> MultiFernet:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise CryptoError("TOKEN_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(k.encode()) for k in parts])
    except (ValueError, TypeError) as exc:
        raise CryptoError("TOKEN_ENCRYPTION_KEYS holds a key that is not a valid Fernet key") from exc


def configured_keys() -> str:
    """The key list of the current app (raises CryptoError when unset)."""
    keys = current_app.config.get("TOKEN_ENCRYPTION_KEYS")
    if not keys:
        raise CryptoError("TOKEN_ENCRYPTION_KEYS is not set")
    return str(keys)


def fernet(keys: str | None = None) -> MultiFernet:
    """The MultiFernet for `keys` (default: the current app's keys)."""
    with _lock:
        return _fernet_for(keys or configured_keys())


def encrypt(text: str, keys: str | None = None) -> str:
    """Encrypt `text` with the first key; returns a url-safe ASCII token."""
    return fernet(keys).encrypt(text.encode()).decode()


def decrypt(token: str, keys: str | None = None) -> str:
    """Decrypt a token made by `encrypt` with any configured key."""
    try:
        return fernet(keys).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CryptoError("a stored secret cannot be decrypted with the configured keys") from exc


def rotate(token: str, keys: str | None = None) -> str:
    """Re-encrypt a token with the first (newest) key."""
    try:
        return fernet(keys).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise CryptoError("a stored secret cannot be decrypted with the configured keys") from exc
