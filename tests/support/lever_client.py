"""Test helpers for the Lever client: a scripted HTTP server, token sources and a recording pacer.

`ScriptedServer` is a real HTTP server on 127.0.0.1 whose answers are queued per test:
`server.queue("GET", "/v1/stages", 500)`, `server.queue(..., 200, {"data": []})`,
`server.queue(..., DROP)` (close the connection without answering) or `HANG` (answer after
`hang_seconds`, longer than the client's read timeout). Unqueued requests get 200 `{"data": {}}`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DROP = "drop"
HANG = "hang"


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class ScriptedServer:
    """A threaded HTTP server answering from per-(method, path) queues."""

    hang_seconds: float = 1.0
    seen: list[Seen] = field(default_factory=list)
    _queues: dict = field(default_factory=lambda: defaultdict(deque))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def queue(self, method: str, path: str, status, body=None, headers: dict | None = None,
              times: int = 1) -> None:
        """Queue `times` answers for the next requests to METHOD path (path without query)."""
        with self._lock:
            for _ in range(times):
                self._queues[(method, path)].append((status, body, headers or {}))

    def requests_to(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path == path]

    def _next(self, method: str, path: str):
        with self._lock:
            q = self._queues.get((method, path))
            return q.popleft() if q else (200, {"data": {}}, {})

    def start(self) -> ScriptedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                with server._lock:
                    server.seen.append(Seen(self.command, parts.path, parse_qs(parts.query),
                                            dict(self.headers), body))
                status, payload, headers = server._next(self.command, parts.path)
                if status == DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if status == HANG:
                    time.sleep(server.hang_seconds)
                    status, payload = 200, {"data": {}}
                raw = b"" if payload is None else (payload if isinstance(payload, bytes)
                                                   else json.dumps(payload).encode())
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, str(value))
                    if raw:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:  # the client gave up waiting (read timeout)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class StaticTokenSource:
    """A TokenSource handing out `tokens` in order: the first, then one more per force_refresh."""

    def __init__(self, *tokens: str, account_key: str = "acct-test") -> None:
        self.account_key = account_key
        self._tokens = list(tokens) or ["token-1"]
        self.current = self._tokens.pop(0)
        self.refreshed_from: list[str] = []

    def access_token(self) -> str:
        return self.current

    def force_refresh(self, stale_token: str) -> str:
        self.refreshed_from.append(stale_token)
        if self._tokens:
            self.current = self._tokens.pop(0)
        return self.current


class RefreshingTokenSource:
    """A TokenSource backed by LeverOAuth with rotation, kept in memory (single-flight by a lock)."""

    def __init__(self, oauth, access_token: str, refresh_token: str, account_key: str = "acct") -> None:
        self.oauth = oauth
        self.account_key = account_key
        self.token = access_token
        self.refresh_token = refresh_token
        self.refreshes = 0
        self._lock = threading.Lock()

    def access_token(self) -> str:
        return self.token

    def force_refresh(self, stale_token: str) -> str:
        with self._lock:
            if self.token != stale_token:
                return self.token  # another thread already refreshed
            answer = self.oauth.refresh(self.refresh_token)
            self.refresh_token = answer.get("refresh_token", self.refresh_token)
            self.token = answer["access_token"]
            self.refreshes += 1
            return self.token


class RecordingPacer:
    """A Pacer that never waits and records every acquire."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.penalties: list[tuple[str, float | None]] = []

    def acquire(self, account_key: str) -> None:
        self.keys.append(account_key)

    def penalize(self, account_key: str, retry_after: float | None) -> bool:
        """Record the 429; the client waits itself."""
        self.penalties.append((account_key, retry_after))
        return False
