"""Run-time settings kept in the store: rate/ttl/retry configuration, faults, webhook groups."""

from __future__ import annotations

from typing import Any

from .store import Store
from .util import bad_request

DEFAULT_CONFIG: dict[str, Any] = {
    "rate": 10.0,
    "burst": 20,
    "access_token_ttl": 3600,
    "webhook_retry_delays": [2, 4, 8, 16, 32],
    "send_retry_after": False,
    "code_ttl": 60,
    # `expand=applications` needs applications:read:admin only when this is on.
    "enforce_applications_scope": False,
    # "recorded": every answer in one {"data": ...} envelope, as recorded integrations read them;
    # "documented": the create-webhook answer wrapped twice, feedback-template create/get and
    # feedback create answers bare, as Lever's documentation shows them.
    "answer_shapes": "recorded",
    # "object": archived {reason, archivedAt} | null; "top_level": archivedAt and archiveReason instead.
    "archived_shape": "object",
    # When on, opportunities in list answers carry no urls (single reads still do).
    "omit_urls_in_lists": False,
}

CONFIG_HELP = {
    "rate": "API requests per second per credential (token bucket refill)",
    "burst": "API requests allowed at once per credential (token bucket size)",
    "access_token_ttl": "seconds an access token lives",
    "webhook_retry_delays": "seconds between webhook delivery retries",
    "send_retry_after": "send Retry-After with 429 answers",
    "code_ttl": "seconds an authorization code lives",
    "enforce_applications_scope": "expand=applications needs applications:read:admin",
    "answer_shapes": "recorded: one data envelope everywhere; documented: create-webhook answer wrapped twice, "
                     "feedback-template create/get and feedback create answers bare",
    "archived_shape": "object: archived {reason, archivedAt} | null; top_level: archivedAt and archiveReason",
    "omit_urls_in_lists": "opportunities in list answers carry no urls",
}

BOOL_KEYS = ("send_retry_after", "enforce_applications_scope", "omit_urls_in_lists")
CHOICES: dict[str, tuple[str, ...]] = {
    "answer_shapes": ("recorded", "documented"),
    "archived_shape": ("object", "top_level"),
}

DEFAULT_FAULTS: dict[str, Any] = {
    "error_rate": 0.0,
    "rate_limit_rate": 0.0,
    "timeout_rate": 0.0,
    "timeout_seconds": 30.0,
    "latency_ms": 0,
    "drop_webhooks": False,
    "drop_response_after_write_rate": 0.0,
}

EVENT_GROUPS = ("applicationCreated", "candidateStageChange", "candidateArchiveChange",
                "candidateHired", "candidateDeleted")


def _check_number(key: str, value: Any, low: float, high: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{key} must be a number")
    if value < low or (high is not None and value > high):
        raise bad_request(f"{key} must be between {low} and {high if high is not None else 'any'}")
    return value


def get_config(store: Store) -> dict:
    """The current configuration (defaults filled in)."""
    stored = store.get("settings", "config") or {}
    return {**DEFAULT_CONFIG, **{k: v for k, v in stored.items() if k != "id"}}


def update_config(store: Store, changes: dict) -> dict:
    """Validate and apply configuration changes; unknown keys are refused."""
    current = get_config(store)
    for key, value in changes.items():
        if key not in DEFAULT_CONFIG:
            raise bad_request(f"unknown config key {key!r}")
        if key == "webhook_retry_delays":
            if not isinstance(value, list) or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 3600 for v in value):
                raise bad_request("webhook_retry_delays must be a list of seconds")
        elif key in BOOL_KEYS:
            if not isinstance(value, bool):
                raise bad_request(f"{key} must be true or false")
        elif key in CHOICES:
            if value not in CHOICES[key]:
                raise bad_request(f"{key} must be one of {', '.join(CHOICES[key])}")
        elif key == "rate":
            _check_number(key, value, 0.01, 10000)
        else:
            value = int(_check_number(key, value, 1, 10**7))
        current[key] = value
    store.put("settings", {**current, "id": "config"})
    return get_config(store)


def get_faults(store: Store) -> dict:
    """The current fault-injection settings."""
    stored = store.get("settings", "faults") or {}
    return {**DEFAULT_FAULTS, **{k: v for k, v in stored.items() if k != "id"}}


def update_faults(store: Store, changes: dict) -> dict:
    """Validate and apply fault-injection settings."""
    current = get_faults(store)
    for key, value in changes.items():
        if key not in DEFAULT_FAULTS:
            raise bad_request(f"unknown fault {key!r}")
        if key == "drop_webhooks":
            if not isinstance(value, bool):
                raise bad_request("drop_webhooks must be true or false")
        elif key.endswith("_rate"):
            value = float(_check_number(key, value, 0, 1))
        elif key == "timeout_seconds":
            value = float(_check_number(key, value, 0, 600))
        else:
            value = int(_check_number(key, value, 0, 60000))
        current[key] = value
    store.put("settings", {**current, "id": "faults"})
    return get_faults(store)


def get_groups(store: Store, account_id: str) -> dict:
    """Which webhook event groups are switched on in an account."""
    stored = store.get("groups", account_id) or {}
    return {g: bool(stored.get(g, False)) for g in EVENT_GROUPS}


def set_groups(store: Store, account_id: str, changes: dict) -> dict:
    """Switch webhook event groups on or off."""
    current = get_groups(store, account_id)
    for key, value in changes.items():
        if key not in EVENT_GROUPS:
            raise bad_request(f"unknown webhook event group {key!r}")
        if not isinstance(value, bool):
            raise bad_request(f"{key} must be true or false")
        current[key] = value
    store.put("groups", {**current, "id": account_id}, account_id)
    return current
