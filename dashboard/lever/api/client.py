"""The Lever Data API client: the only code that speaks HTTP to Lever's API.

It adds the bearer token (refreshing once on 401), paces calls per account, retries what is
safe to retry with exponential backoff and full jitter, walks pagination lazily and maps every
failure onto the `LeverError` hierarchy. Methods take and return plain dicts: the object of
Lever's answer, unknown fields included.

Lever's documentation and its live traffic disagree on how single-object answers are wrapped
(docs/lever-contract.md §4): once (`{"data": {...}}`), twice (`{"data": {"data": {...}}}`, the
documented create-webhook answer) or not at all (the documented feedback and template answers).
`single_object` below is the one place that reads all three. A create whose answer cannot be read
raises LeverOutcomeUnknownError: the object may exist, so the caller looks for it before creating
again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import quote

import requests

from dashboard.lever.api.errors import (
    LeverError,
    LeverNetworkError,
    LeverNotFoundError,
    LeverOutcomeUnknownError,
    LeverRateLimitedError,
    LeverServerError,
    error_for_status,
    request_never_sent,
)
from dashboard.lever.api.pacing import Pacer, TokenBucketPacer, backoff_delay

__all__ = ["LeverClient", "TokenSource", "single_object"]

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class TokenSource(Protocol):
    """Supplies bearer tokens for one Lever account."""

    account_key: str

    def access_token(self) -> str:
        """A currently valid access token."""

    def force_refresh(self, stale_token: str) -> str:
        """A fresh token after `stale_token` was refused (single-flight is the implementer's job)."""


def _retry_after(response: requests.Response) -> float | None:
    raw = (response.headers.get("Retry-After") or "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)  # the HTTP-date form
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _ms(value: int | datetime | None) -> int | None:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return None if value is None else int(value)


def _seg(value: str) -> str:
    text = str(value)
    if not text:
        raise ValueError("Lever id must not be empty")
    return quote(text, safe="")


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def single_object(body: Any) -> Any:
    """The object of a single-object answer in any of Lever's shapes: wrapped once, wrapped twice or
    bare. None when the answer holds no object (a list, a string, nothing)."""
    if not isinstance(body, dict):
        return None
    if "data" not in body:
        return body  # bare, as the documentation shows feedback and template answers
    inner = body["data"]
    if isinstance(inner, dict) and isinstance(inner.get("data"), dict) and "id" not in inner:
        return inner["data"]  # wrapped twice, as the documentation shows the create-webhook answer
    return inner


def _lost(method: str, path: str, why: str) -> LeverOutcomeUnknownError:
    return LeverOutcomeUnknownError(f"{method} {path}: {why}; the write may or may not have happened",
                                    code="outcome_unknown")


class LeverClient:
    """A client for one Lever account's Data API.

    `timeout` is (connect, read) seconds for every call; `max_retries` bounds the retries of one
    call; no single wait exceeds `max_sleep` seconds (a longer Retry-After raises
    LeverRateLimitedError so the caller can reschedule). `on_call(method, path, status, seconds)`
    runs after every HTTP attempt (status None when no answer arrived).
    """

    def __init__(self, api_url: str, token_source: TokenSource, *, pacer: Pacer | None = None,
                 timeout: float | tuple[float, float] = (3.05, 20), max_retries: int = 4,
                 max_sleep: float = 8.0, session: requests.Session | None = None,
                 on_call: Callable[[str, str, int | None, float], None] | None = None,
                 backoff_base: float = 0.25, sleep: Callable[[float], None] = time.sleep) -> None:
        if timeout is None:
            raise ValueError("a timeout is required on every Lever call")
        self.api_url = api_url.rstrip("/")
        self.token_source = token_source
        self.pacer = pacer if pacer is not None else TokenBucketPacer()
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_sleep = max_sleep
        self.session = session or requests.Session()
        self.on_call = on_call
        self.backoff_base = backoff_base
        self._sleep = sleep

    # -- transport -------------------------------------------------------------------------

    def _attempt(self, method: str, path: str, token: str, params: Any, json: Any) -> requests.Response:
        self.pacer.acquire(self.token_source.account_key)
        started = time.monotonic()
        status = None
        try:
            response = self.session.request(
                method, self.api_url + path, params=params, json=json, timeout=self.timeout,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
            status = response.status_code
            return response
        finally:
            seconds = time.monotonic() - started
            log.info("lever %s %s -> %s in %.3fs", method, path, status or "no answer", seconds)
            if self.on_call is not None:
                self.on_call(method, path, status, seconds)

    def _wait(self, attempt: int, retry_after: float | None = None) -> None:
        delay = retry_after if retry_after is not None else backoff_delay(
            attempt, base=self.backoff_base, cap=self.max_sleep)
        if delay > 0:
            self._sleep(delay)

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None,
                idempotent: bool = True) -> Any:
        """Send one logical call (with pacing, refresh and retries) and return the decoded body.

        `idempotent=False` marks a write that must not be repeated once it may have arrived.
        Returns None for an empty answer (204).
        """
        token = self.token_source.access_token()
        refreshed = False
        attempt = 0
        while True:
            try:
                response = self._attempt(method, path, token, params, json)
            except requests.RequestException as exc:
                if not idempotent and not request_never_sent(exc):
                    raise _lost(method, path, f"the answer was lost ({type(exc).__name__})") from None
                if attempt >= self.max_retries:
                    raise LeverNetworkError(f"{method} {path}: {type(exc).__name__} after "
                                            f"{attempt + 1} attempts", code="network") from None
                self._wait(attempt)
                attempt += 1
                continue
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                token = self.token_source.force_refresh(token)
                continue
            if 200 <= status < 300:
                if status == 204 or not response.content:
                    return None
                try:
                    return response.json()
                except ValueError:
                    if not idempotent:
                        raise _lost(method, path, "the answer was unreadable") from None
                    raise LeverServerError(f"{method} {path}: unreadable answer", status=status,
                                           code="invalid_response", retryable=True) from None
            retry_after = _retry_after(response) if status == 429 else None
            # A 429 holds back every call for this account (in every process sharing the pacer).
            held = status == 429 and self.pacer.penalize(self.token_source.account_key, retry_after)
            if status not in RETRY_STATUSES or attempt >= self.max_retries:
                raise error_for_status(status, _body(response), retry_after=retry_after)
            if retry_after is not None and retry_after > self.max_sleep:
                raise LeverRateLimitedError(f"{method} {path}: rate limited for {retry_after:g}s",
                                            retry_after=retry_after)
            if not held:  # the pacer's next slot comes after the block: no sleep of our own
                self._wait(attempt, retry_after)
            attempt += 1

    def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        body = self.request(method, path, **kwargs)
        if body is None:
            return None
        found = single_object(body)
        if found is None:
            raise LeverError(f"{method} {path}: the answer holds no object", code="invalid_response")
        return found

    def _create(self, path: str, json: Any, *, params: Any = None, id_keys: tuple[str, ...] = ("id",)) -> dict:
        """POST a new object, never repeated once it may have arrived. An answer that does not show the
        created object (no id under any of `id_keys`) leaves the outcome unknown, as a lost one does."""
        found = single_object(self.request("POST", path, params=params, json=json, idempotent=False))
        if not isinstance(found, dict) or not any(found.get(key) for key in id_keys):
            raise _lost("POST", path, "the answer does not show the created object")
        return found

    def paginate(self, path: str, params: dict | None = None, *, limit: int = 100) -> Iterator[dict]:
        """Yield every item of a list endpoint, fetching pages lazily (`next` → `offset`)."""
        if not 1 <= int(limit) <= 100:
            raise ValueError("limit must be between 1 and 100")
        query = {k: v for k, v in (params or {}).items() if v is not None and v != [] and v != ()}
        query["limit"] = int(limit)
        while True:
            body = self.request("GET", path, params=query)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise LeverError(f"GET {path}: answer without a data list", code="invalid_response")
            yield from body["data"]
            if not body.get("hasNext") or not body.get("next"):
                return
            query = {**query, "offset": body["next"]}

    # -- postings, opportunities, stages, users ----------------------------------------------

    def list_postings(self, *, state: str | None = None, tags: Iterable[str] | None = None,
                      confidentiality: str | None = None) -> Iterator[dict]:
        """Every posting, optionally filtered by state and (any of) tags. Lever lists only
        non-confidential postings unless `confidentiality` is "confidential" or "all" (which needs
        the confidential:access:admin scope)."""
        return self.paginate("/postings", {"state": state, "tag": list(tags or []),
                                           "confidentiality": confidentiality})

    def get_posting(self, posting_id: str) -> dict:
        """One posting."""
        return self._data("GET", f"/postings/{_seg(posting_id)}")

    def list_opportunities(self, *, posting_id: str | None = None, stage_id: str | None = None,
                           tags: Iterable[str] | None = None, email: str | None = None,
                           archived: bool | None = None, updated_at_start: int | datetime | None = None,
                           expand: Iterable[str] = (), confidentiality: str | None = None,
                           limit: int = 100) -> Iterator[dict]:
        """Every opportunity matching the filters (repeated filters mean OR), fetched lazily; only
        non-confidential ones unless `confidentiality` says otherwise (as for postings)."""
        params = {
            "posting_id": posting_id, "stage_id": stage_id, "tag": list(tags or []), "email": email,
            "archived": None if archived is None else ("true" if archived else "false"),
            "updated_at_start": _ms(updated_at_start), "expand": list(expand), "confidentiality": confidentiality,
        }
        return self.paginate("/opportunities", params, limit=limit)

    def get_opportunity(self, opp_id: str, expand: Iterable[str] = ()) -> dict:
        """One opportunity, optionally with `applications`, `stage`, `contact` expanded."""
        return self._data("GET", f"/opportunities/{_seg(opp_id)}", params={"expand": list(expand)})

    def _opp_write(self, opp_id: str, action: str, key: str, values: Iterable[str]) -> dict:
        # addTags/removeTags/addLinks/removeLinks have set semantics, so repeating them is safe.
        return self._data("POST", f"/opportunities/{_seg(opp_id)}/{action}", json={key: list(values)})

    def add_tags(self, opp_id: str, tags: Iterable[str]) -> dict:
        """Add tags; returns the whole opportunity."""
        return self._opp_write(opp_id, "addTags", "tags", tags)

    def remove_tags(self, opp_id: str, tags: Iterable[str]) -> dict:
        """Remove tags; returns the whole opportunity."""
        return self._opp_write(opp_id, "removeTags", "tags", tags)

    def add_links(self, opp_id: str, links: Iterable[str]) -> dict:
        """Add links; returns the whole opportunity."""
        return self._opp_write(opp_id, "addLinks", "links", links)

    def remove_links(self, opp_id: str, links: Iterable[str]) -> dict:
        """Remove links; returns the whole opportunity."""
        return self._opp_write(opp_id, "removeLinks", "links", links)

    def update_stage(self, opp_id: str, stage_id: str, *, perform_as: str | None = None) -> dict:
        """Move an opportunity to a stage (as `perform_as`); returns the whole opportunity."""
        params = {"perform_as": perform_as} if perform_as else None
        return self._data("PUT", f"/opportunities/{_seg(opp_id)}/stage", params=params, json={"stage": stage_id})

    def update_archived(self, opp_id: str, reason_id: str | None, *, perform_as: str | None = None) -> dict:
        """Archive an opportunity with an archive reason id, or unarchive it with None; returns it."""
        params = {"perform_as": perform_as} if perform_as else None
        return self._data("PUT", f"/opportunities/{_seg(opp_id)}/archived", params=params,
                          json={"reason": reason_id})

    def list_archive_reasons(self, *, kind: str | None = None) -> list[dict]:
        """The account's archive reasons (`{id, text, status, type}`), optionally only those of type
        `kind` ("hired" or "non-hired"); needs archive_reasons:read:admin."""
        return list(self.paginate("/archive_reasons", {"type": kind}))

    def list_stages(self) -> list[dict]:
        """All stages of the account (`{id, text}`)."""
        return list(self.paginate("/stages"))

    def list_users(self, *, email: str | None = None) -> list[dict]:
        """Users of the account, optionally only the one with `email`."""
        return list(self.paginate("/users", {"email": email}))

    # -- feedback templates, feedback, notes ----------------------------------------------------

    def list_feedback_templates(self) -> list[dict]:
        """All feedback templates."""
        return list(self.paginate("/feedback_templates"))

    def get_feedback_template(self, template_id: str) -> dict:
        """One feedback template with its fields."""
        return self._data("GET", f"/feedback_templates/{_seg(template_id)}")

    def create_feedback_template(self, body: dict) -> dict:
        """Create a template (not repeated once sent: a lost answer raises LeverOutcomeUnknownError)."""
        return self._create("/feedback_templates", body)

    def update_feedback_template(self, template_id: str, body: dict) -> dict:
        """Replace a template; every field gets a new id, so re-read ids from the answer."""
        return self._data("PUT", f"/feedback_templates/{_seg(template_id)}", json=body)

    def delete_feedback_template(self, template_id: str) -> bool:
        """Delete a template; False when it was already gone."""
        return self._delete(f"/feedback_templates/{_seg(template_id)}")

    def create_feedback(self, opp_id: str, body: dict, *, perform_as: str) -> dict:
        """Post a feedback form as `perform_as` (never repeated once it may have arrived)."""
        return self._create(f"/opportunities/{_seg(opp_id)}/feedback", body, params={"perform_as": perform_as})

    def list_feedback(self, opp_id: str) -> list[dict]:
        """Every feedback form on an opportunity (deleted ones carry `deletedAt`)."""
        return list(self.paginate(f"/opportunities/{_seg(opp_id)}/feedback"))

    def get_feedback(self, opp_id: str, feedback_id: str) -> dict:
        """One feedback form."""
        return self._data("GET", f"/opportunities/{_seg(opp_id)}/feedback/{_seg(feedback_id)}")

    def update_feedback(self, opp_id: str, feedback_id: str, body: dict, *, perform_as: str) -> dict:
        """Replace a feedback form's values (the answer has Lever's storage-like shape)."""
        return self._data("PUT", f"/opportunities/{_seg(opp_id)}/feedback/{_seg(feedback_id)}",
                          params={"perform_as": perform_as}, json=body)

    def create_note(self, opp_id: str, body: dict, *, perform_as: str | None = None) -> dict:
        """Add a note (never repeated once it may have arrived). Lever documents the answer as
        `{"noteId"}`; recorded answers hold the whole note."""
        params = {"perform_as": perform_as} if perform_as else None
        return self._create(f"/opportunities/{_seg(opp_id)}/notes", body, params=params, id_keys=("id", "noteId"))

    # -- webhooks --------------------------------------------------------------------------------

    def list_webhooks(self) -> list[dict]:
        """Webhooks created through the API (without their signature tokens)."""
        return list(self.paginate("/webhooks"))

    def create_webhook(self, url: str, event: str, configuration: dict | None = None) -> dict:
        """Create a webhook; the answer holds the signature token, shown only this once."""
        body: dict[str, Any] = {"url": url, "event": event}
        if configuration is not None:
            body["configuration"] = configuration
        return self._create("/webhooks", body)

    def update_webhooks(self, changes: Iterable[dict]) -> list[dict]:
        """Change the url or configuration of API-created webhooks (`[{id, url?, configuration?}]`), all
        or none, with Lever's documented `PUT /webhooks`; returns them (without signature tokens)."""
        items = [dict(change) for change in changes]
        if not items or not all(item.get("id") for item in items):
            raise ValueError("every webhook to update needs its id")
        body = self.request("PUT", "/webhooks", json={"data": items})
        found = body.get("data") if isinstance(body, dict) else None
        if not isinstance(found, list):
            raise LeverError("PUT /webhooks: answer without a data list", code="invalid_response")
        return found

    def update_webhook(self, webhook_id: str, body: dict) -> dict:
        """Change one API-created webhook (`{url?, configuration?}`) through `update_webhooks`."""
        changed = self.update_webhooks([{**body, "id": webhook_id}])
        return next((hook for hook in changed if hook.get("id") == webhook_id), {"id": webhook_id})

    def delete_webhook(self, webhook_id: str) -> bool:
        """Delete a webhook; False when it was already gone."""
        return self._delete(f"/webhooks/{_seg(webhook_id)}")

    def _delete(self, path: str) -> bool:
        try:
            self.request("DELETE", path)
        except LeverNotFoundError:
            return False
        return True
