"""Helpers for tests that run real servers and processes: a free local port, waiting until a URL
answers, and the metrics token the production processes are started with."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request

METRICS_TOKEN = "prod-metrics-scrape-token"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, status: int = 200, timeout: float = 30.0) -> None:
    """Wait until `url` answers `status`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (loopback)
                if resp.status == status:
                    return
        except urllib.error.HTTPError as exc:
            last = exc.code
            if exc.code == status:
                return
        except OSError as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer {status} (last: {last})")
