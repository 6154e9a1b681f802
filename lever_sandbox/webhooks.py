"""Webhooks: the API objects, and delivery from a background thread pool with retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from .domain import owner_of
from .settings import EVENT_GROUPS, get_config, get_faults, get_groups
from .store import Store
from .util import bad_request, new_id, not_found, now_ms

WEBHOOK_EVENTS = EVENT_GROUPS + ("interviewCreated", "interviewUpdated", "interviewDeleted",
                                 "contactCreated", "contactUpdated")


def sign(signature_token: str, token: str, triggered_at: int) -> str:
    """hex HMAC-SHA256(key=signatureToken, msg=token + str(triggeredAt)), as Lever signs deliveries."""
    message = (token + str(triggered_at)).encode()
    return hmac.new(signature_token.encode(), message, hashlib.sha256).hexdigest()


def _check(body, partial: bool = False) -> dict:
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    out = {}
    if "url" in body or not partial:
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2000:
            raise bad_request("url must be an http(s) URL")
        out["url"] = url
    if "event" in body or not partial:
        if body.get("event") not in WEBHOOK_EVENTS:
            raise bad_request(f"event must be one of {', '.join(WEBHOOK_EVENTS)}")
        out["event"] = body["event"]
    if "configuration" in body:
        conf = body["configuration"] or {}
        origins = (conf.get("conditions") or {}).get("origins", []) if isinstance(conf, dict) else None
        if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
            raise bad_request("configuration.conditions.origins must be a list of strings")
        out["origins"] = origins
    return out


def public(hook: dict, with_token: bool = False) -> dict:
    """The API shape of a webhook (the signature token only when asked)."""
    conf = {"conditions": {"origins": hook["origins"]}}
    if with_token:
        conf["signatureToken"] = hook["signatureToken"]
    return {"id": hook["id"], "event": hook["event"], "url": hook["url"], "configuration": conf,
            "createdAt": hook["createdAt"], "updatedAt": hook["updatedAt"]}


def create_webhook(store: Store, account_id: str, body) -> dict:
    """Register a webhook; its signature token is 48 hex characters."""
    fields = _check(body)
    now = now_ms()
    hook = {"id": new_id(), "origins": [], **fields, "signatureToken": secrets.token_hex(24),
            "createdAt": now, "updatedAt": now}
    return store.put("webhooks", hook, account_id)


def get_webhook(store: Store, account_id: str, hook_id: str) -> dict:
    """One webhook of the account, or 404."""
    hook = store.get("webhooks", hook_id)
    if not hook or owner_of(store, "webhooks", hook_id) != account_id:
        raise not_found("webhook")
    return hook


def update_webhooks(store: Store, account_id: str, body) -> list[dict]:
    """`PUT /webhooks`: change the url or configuration of several webhooks, all or none.

    Body `{"data": [{"id", "url"?, "configuration"?}, ...]}`; an unknown id is a 404 and changes nothing.
    """
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise bad_request('body must be {"data": [{"id", "url"?, "configuration"?}, ...]}')
    changes = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise bad_request("each webhook to update needs its id")
        if "event" in item:
            raise bad_request("a webhook's event cannot be changed")
        changes.append((item["id"], _check(item, partial=True)))
    with store.transaction():
        for hook_id, _ in changes:
            get_webhook(store, account_id, hook_id)
        updated = {}
        for hook_id, fields in changes:
            hook = store.get("webhooks", hook_id)
            hook.update(fields)
            hook["updatedAt"] = now_ms()
            updated[hook_id] = store.put("webhooks", hook, account_id)
    return list(updated.values())


class Deliverer:
    """Posts events to registered webhooks from a thread pool, retrying on failure."""

    def __init__(self, store: Store, workers: int = 8) -> None:
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()
        self._generation = 0

    def fire(self, account_id: str, event: str, data: dict) -> list[dict]:
        """Record and deliver an event to the account's webhooks, when its group is switched on."""
        if not get_groups(self.store, account_id).get(event):
            return []
        hooks = [h for h in self.store.list("webhooks", account_id) if h["event"] == event]
        return [self._start(account_id, hook, event, data) for hook in hooks]

    def send_test(self, account_id: str, hook_id: str) -> dict:
        """Deliver a test event (`data: {}`) to one webhook."""
        hook = get_webhook(self.store, account_id, hook_id)
        return self._start(account_id, hook, hook["event"], {})

    def _start(self, account_id: str, hook: dict, event: str, data: dict) -> dict:
        triggered_at = now_ms()
        token = secrets.token_hex(24)
        body = {"triggeredAt": triggered_at, "event": event, "data": data, "token": token,
                "signature": sign(hook["signatureToken"], token, triggered_at)}
        dropped = get_faults(self.store)["drop_webhooks"]
        delivery = {"id": new_id(), "account_id": account_id, "webhook_id": hook["id"], "event": event,
                    "url": hook["url"], "body": body, "attempts": [], "createdAt": triggered_at,
                    "state": "dropped" if dropped else "pending"}
        self.store.put("deliveries", delivery, account_id)
        if not dropped:
            self.pool.submit(self._attempt, delivery["id"], 0, self._generation)
        return delivery

    def rerun(self, delivery_id: str) -> dict:
        """Send a recorded delivery again (same body), with a fresh retry schedule."""
        with self.store.lock:
            delivery = self.store.get("deliveries", delivery_id)
            if not delivery:
                raise not_found("delivery")
            delivery["state"] = "pending"
            self.store.put("deliveries", delivery, delivery["account_id"])
        self.pool.submit(self._attempt, delivery_id, 0, self._generation)
        return delivery

    def _attempt(self, delivery_id: str, retry: int, generation: int) -> None:
        if generation != self._generation:
            return
        delivery = self.store.get("deliveries", delivery_id)
        if not delivery:
            return
        status, error = None, None
        try:
            resp = requests.post(delivery["url"], data=json.dumps(delivery["body"]), timeout=10,
                                 allow_redirects=False,
                                 headers={"Content-Type": "application/json", "User-Agent": "Lever-Webhooks"})
            status = resp.status_code
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        ok = status is not None and 200 <= status < 300
        delays = get_config(self.store)["webhook_retry_delays"]
        with self.store.lock:
            delivery = self.store.get("deliveries", delivery_id)
            if not delivery or generation != self._generation:
                return
            delivery["attempts"].append({"at": now_ms(), "status": status, "error": error, "retry": retry})
            delivery["state"] = "delivered" if ok else ("retrying" if retry < len(delays) else "failed")
            self.store.put("deliveries", delivery, delivery["account_id"])
        if not ok and retry < len(delays):
            self._schedule(delays[retry], delivery_id, retry + 1, generation)

    def _schedule(self, delay: float, delivery_id: str, retry: int, generation: int) -> None:
        def run():
            with self._lock:
                self._timers.discard(timer)
            self.pool.submit(self._attempt, delivery_id, retry, generation)

        timer = threading.Timer(delay, run)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def reset(self) -> None:
        """Forget pending retries (after a state reset)."""
        with self._lock:
            self._generation += 1
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
