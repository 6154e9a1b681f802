"""Access tokens of a Lever connection, refreshed single-flight.

Lever rotates the refresh token on every refresh and may revoke the whole token family when
an old one is used twice, so a connection must never be refreshed twice at once:

- PostgreSQL: the refresh runs under `SELECT ... FOR UPDATE` on the connection row, which
  serialises threads and processes alike;
- SQLite (no row locks): a process-wide lock per connection id, plus an exclusive `flock` on a
  lock file next to the database file so that several processes on one machine agree too.

In both cases the row is re-read after the lock is taken (another thread may have refreshed
meanwhile), and the new tokens are committed in their own transaction BEFORE the new access
token is handed out, so a crash after Lever's answer never loses the new refresh token.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.lever.api.environments import environment_from_config
from dashboard.lever.api.errors import (
    LeverAuthError,
    LeverBadRequestError,
    LeverError,
    LeverForbiddenError,
)
from dashboard.lever.api.oauth import LeverOAuth
from dashboard.lever.connection import crypto
from dashboard.lever.connection.models import LeverConnection, LeverConnectionEvent
from dashboard.observability import metrics

log = logging.getLogger(__name__)

REFRESH_AHEAD = timedelta(minutes=5)

_locks_guard = threading.Lock()
_locks: dict[tuple[str, int], threading.Lock] = {}


def _process_lock(engine_key: str, connection_id: int) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault((engine_key, connection_id), threading.Lock())


def oauth_from_config(config) -> LeverOAuth:
    """The `LeverOAuth` of this app's Lever environment and OAuth client credentials."""
    return LeverOAuth(environment_from_config(config), config.get("LEVER_CLIENT_ID"),
                      config.get("LEVER_CLIENT_SECRET"))


def mark_reconnect_needed(session: Session, conn: LeverConnection, reason: str) -> None:
    """Set a connection to 'reconnect_needed' with a reason and a history entry (no commit)."""
    if conn.status != "reconnect_needed" or conn.status_reason != reason:
        conn.status = "reconnect_needed"
        conn.status_reason = reason
        session.add(LeverConnectionEvent(connection_id=conn.id, kind="reconnect_needed", detail=reason))


class ConnectionTokenSource:
    """The `TokenSource` of one `LeverConnection`: valid access tokens, refreshed ahead of expiry.

    Built inside an app context; afterwards usable from any thread (it keeps the engine, the
    encryption keys and the OAuth client, and opens its own short sessions).
    """

    def __init__(self, connection_id: int, *, oauth=None, refresh_ahead: timedelta = REFRESH_AHEAD) -> None:
        self.connection_id = connection_id
        self._engine = db.engine
        self._keys = crypto.configured_keys()
        self._oauth = oauth or oauth_from_config(current_app.config)
        self._refresh_ahead = refresh_ahead
        self._lock = _process_lock(str(self._engine.url), connection_id)
        self._lock_path = None
        database = self._engine.url.database
        if self._engine.dialect.name == "sqlite" and database and database != ":memory:":
            self._lock_path = f"{database}.lever-refresh-{connection_id}.lock"
        with self._session() as session:
            conn = session.get(LeverConnection, connection_id)
            if conn is None:
                raise LeverAuthError("This Lever connection no longer exists.", code="no_connection")
            self.account_key = f"lever:{conn.lever_account_id or conn.id}"

    @contextmanager
    def _session(self) -> Iterator[Session]:
        session = Session(self._engine, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()

    def _usable(self, conn: LeverConnection | None) -> LeverConnection:
        if conn is None:
            raise LeverAuthError("This Lever connection no longer exists.", code="no_connection")
        if conn.status != "connected" or not conn.access_token_enc:
            reason = conn.status_reason or "Lever is not connected."
            raise LeverAuthError(f"Lever needs to be reconnected: {reason}", code=conn.status)
        return conn

    def _fresh(self, conn: LeverConnection) -> bool:
        if conn.expires_at is None:
            return True
        return as_utc(conn.expires_at) - utcnow() > self._refresh_ahead

    def access_token(self) -> str:
        """A valid access token, refreshed first when it expires within the refresh margin."""
        with self._session() as session:
            conn = self._usable(session.get(LeverConnection, self.connection_id))
            if self._fresh(conn):
                return crypto.decrypt(conn.access_token_enc, self._keys)
        return self._refresh(stale_token=None)

    def force_refresh(self, stale_token: str) -> str:
        """Refresh after Lever refused `stale_token` (401), unless another caller already did."""
        return self._refresh(stale_token=stale_token)

    def keep_alive(self, max_age: timedelta = timedelta(hours=20)) -> bool:
        """Refresh when the last refresh is older than `max_age` (Lever drops refresh tokens unused
        for 90 days); True when a refresh happened. For the scheduler's daily job."""
        before = utcnow() - max_age
        with self._session() as session:
            conn = self._usable(session.get(LeverConnection, self.connection_id))
            last = as_utc(conn.last_refresh_at or conn.connected_at)
            if last is not None and last >= before and self._fresh(conn):
                return False
        self._refresh(stale_token=None, not_since=before)
        return True

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self._lock_path is None:
            yield
            return
        with open(self._lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def _locked_row(self) -> Iterator[tuple[Session, LeverConnection | None]]:
        with self._lock, self._file_lock(), self._session() as session:
            query = select(LeverConnection).where(LeverConnection.id == self.connection_id)
            if self._engine.dialect.name == "postgresql":
                query = query.with_for_update()
            yield session, session.scalar(query)

    def _refresh(self, stale_token: str | None, not_since=None) -> str:
        with self._locked_row() as (session, row):
            conn = self._usable(row)
            current = crypto.decrypt(conn.access_token_enc, self._keys)
            recent = not_since is None or (
                conn.last_refresh_at is not None and as_utc(conn.last_refresh_at) >= not_since)
            if self._fresh(conn) and recent and (stale_token is None or current != stale_token):
                return current  # refreshed by someone else while we waited for the lock
            if not conn.refresh_token_enc:
                mark_reconnect_needed(session, conn, "Lever gave no refresh token; connect again.")
                session.commit()
                raise LeverAuthError("Lever needs to be reconnected: no refresh token.", code="no_refresh")
            refresh_token = crypto.decrypt(conn.refresh_token_enc, self._keys)
            try:
                answer = self._oauth.refresh(refresh_token)
            except (LeverAuthError, LeverForbiddenError, LeverBadRequestError) as exc:
                why = exc.code or exc.status or "refused"
                reason = f"Lever refused to renew access ({why}): {exc.message}"
                mark_reconnect_needed(session, conn, reason)
                session.commit()
                log.warning("lever connection %s needs reconnecting: %s", conn.id, exc.code)
                metrics.refresh_failed(str(why))
                raise LeverAuthError(f"Lever needs to be reconnected. {reason}", status=exc.status,
                                     code=exc.code or "refresh_failed") from exc
            except LeverError as exc:  # network trouble or a 5xx: the next call tries again
                metrics.refresh_failed(exc.code or type(exc).__name__)
                raise
            access = answer.get("access_token")
            if not access:
                metrics.refresh_failed("bad_token_answer")
                raise LeverAuthError("Lever's token answer had no access token.", code="bad_token_answer")
            now = utcnow()
            conn.access_token_enc = crypto.encrypt(access, self._keys)
            if answer.get("refresh_token"):
                conn.refresh_token_enc = crypto.encrypt(answer["refresh_token"], self._keys)
            conn.expires_at = now + timedelta(seconds=int(answer.get("expires_in") or 3600))
            conn.last_refresh_at = now
            session.commit()  # stored before anyone uses the new access token
            return access
