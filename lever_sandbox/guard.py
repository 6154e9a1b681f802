"""What stands in front of the API: the call log, per-credential rate limiting and fault injection."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import deque

from .util import now_ms


class CallLog:
    """Every API and token call: method, path, status, time, credential."""

    def __init__(self, maxlen: int = 200_000) -> None:
        self._calls: deque[dict] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def record(self, method: str, path: str, status: int, client_id: str | None,
               account_id: str | None) -> None:
        """Append one call."""
        with self._lock:
            self._calls.append({"method": method, "path": path, "status": status, "at_ms": now_ms(),
                                "client_id": client_id, "account_id": account_id})

    def all(self) -> list[dict]:
        """A copy of the log."""
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        """Forget every call."""
        with self._lock:
            self._calls.clear()

    def max_per_second(self) -> dict[str, int]:
        """For each credential (`account:client`), the most calls seen in any 1-second window."""
        by_key: dict[str, list[int]] = {}
        for call in self.all():
            by_key.setdefault(f"{call['account_id']}:{call['client_id']}", []).append(call["at_ms"])
        result = {}
        for key, times in by_key.items():
            times.sort()
            best, start = 0, 0
            for end, at in enumerate(times):
                while at - times[start] >= 1000:
                    start += 1
                best = max(best, end - start + 1)
            result[key] = best
        return result


class RateLimiter:
    """A token bucket per credential: `rate` per second steady, up to `burst` at once."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, rate: float, burst: int) -> bool:
        """Take one token from the key's bucket; False when it is empty."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            return True

    def reset(self) -> None:
        """Full buckets for everyone."""
        with self._lock:
            self._buckets.clear()


def injected_fault(faults: dict) -> str | None:
    """Apply latency and pick a fault for this request: 'error', 'rate_limit', 'timeout' or None."""
    if faults["latency_ms"]:
        time.sleep(faults["latency_ms"] / 1000)
    if random.random() < faults["error_rate"]:
        return "error"
    if random.random() < faults["rate_limit_rate"]:
        return "rate_limit"
    if random.random() < faults["timeout_rate"]:
        time.sleep(faults["timeout_seconds"])
        return "timeout"
    return None


def drop_connection(environ: dict, fallback_seconds: float) -> None:
    """Lose the answer to a request: shut its socket, or else sleep past the client's timeout."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
            return
        except OSError:
            pass
    time.sleep(fallback_seconds)
