"""A small thread-safe JSON document store on SQLite for the sandbox's objects.

Every object is a JSON document of a `kind` (postings, opportunities, tokens, ...), keyed by id,
owned by one Lever account, and kept in insertion order.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from contextlib import contextmanager

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT,
    body TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS docs_kind_account ON docs (kind, account_id, seq);
"""


class Store:
    """Documents in one SQLite file; one connection guarded by a re-entrant lock.

    Hold `store.lock` around read-modify-write sequences so they are atomic.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._depth = 0

    @contextmanager
    def transaction(self):
        """Group writes into one SQLite transaction (nested calls join the outer one)."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def get(self, kind: str, doc_id: str) -> dict | None:
        """One document, or None."""
        with self.lock:
            row = self._conn.execute("SELECT body FROM docs WHERE kind=? AND id=?", (kind, doc_id)).fetchone()
        return json.loads(row[0]) if row else None

    def owner(self, kind: str, doc_id: str) -> str | None:
        """The account id a document belongs to."""
        with self.lock:
            row = self._conn.execute("SELECT account_id FROM docs WHERE kind=? AND id=?",
                                     (kind, doc_id)).fetchone()
        return row[0] if row else None

    def put(self, kind: str, doc: dict, account_id: str | None = None) -> dict:
        """Insert or replace a document by its `id` (its position in the order is kept)."""
        with self.lock:
            self._conn.execute(
                "INSERT INTO docs (kind, id, account_id, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET body=excluded.body, account_id=excluded.account_id",
                (kind, doc["id"], account_id, json.dumps(doc)),
            )
        return doc

    def put_many(self, kind: str, docs: Iterable[dict], account_id: str | None = None) -> None:
        """Insert many documents in one transaction."""
        with self.transaction():
            for doc in docs:
                self.put(kind, doc, account_id)

    def delete(self, kind: str, doc_id: str) -> None:
        """Remove a document (no error when absent)."""
        with self.lock:
            self._conn.execute("DELETE FROM docs WHERE kind=? AND id=?", (kind, doc_id))

    def list(self, kind: str, account_id: str | None = None) -> list[dict]:
        """Every document of a kind (of one account when given), oldest first."""
        with self.lock:
            if account_id is None:
                rows = self._conn.execute("SELECT body FROM docs WHERE kind=? ORDER BY seq", (kind,))
            else:
                rows = self._conn.execute(
                    "SELECT body FROM docs WHERE kind=? AND account_id=? ORDER BY seq", (kind, account_id)
                )
            return [json.loads(r[0]) for r in rows.fetchall()]

    def reset(self) -> None:
        """Delete every document."""
        with self.lock:
            self._conn.execute("DELETE FROM docs")

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self._conn.close()
