"""The shared state of one running sandbox."""

from __future__ import annotations

from dataclasses import dataclass, field

from .guard import CallLog, RateLimiter
from .store import Store
from .webhooks import Deliverer


@dataclass
class Sandbox:
    """Store, rate limiter, call log and webhook deliverer of one sandbox app."""

    store: Store
    deliverer: Deliverer
    limiter: RateLimiter = field(default_factory=RateLimiter)
    calls: CallLog = field(default_factory=CallLog)

    def fire(self, account_id: str, event: str, data: dict) -> None:
        """Deliver a webhook event (when its group is on)."""
        self.deliverer.fire(account_id, event, data)

    def reset(self) -> None:
        """Forget everything: objects, tokens, settings, calls, buckets, pending retries."""
        self.deliverer.reset()
        self.store.reset()
        self.limiter.reset()
        self.calls.clear()
