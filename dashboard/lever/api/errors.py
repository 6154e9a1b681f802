"""One error hierarchy for everything that can go wrong when talking to Lever.

Every error carries `.status` (HTTP status or None), `.code` (Lever's error code, the OAuth
`error`, or a short name of our own), `.message` (safe to show: never contains credentials) and
`.retryable` (whether trying the same call again later can succeed).
"""

from __future__ import annotations

from collections.abc import Mapping

import requests
from urllib3.exceptions import ConnectTimeoutError


class LeverError(Exception):
    """Base class of every Lever failure."""

    default_retryable = False

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retryable = self.default_retryable if retryable is None else retryable

    def __str__(self) -> str:
        prefix = f"{self.status} " if self.status else ""
        code = f"{self.code}: " if self.code else ""
        return f"{prefix}{code}{self.message}"


class LeverAuthError(LeverError):
    """The credential was refused (401) or could not be refreshed; the connection needs attention."""


class LeverForbiddenError(LeverError):
    """403: the token lacks a scope or the account forbids the action."""


class LeverNotFoundError(LeverError):
    """404: the object does not exist (or is not visible to this token)."""


class LeverBadRequestError(LeverError):
    """400 or 422: Lever rejected the request body or parameters."""


class LeverRateLimitedError(LeverError):
    """429 that could not be waited out here; `.retry_after` says when to try again (or None)."""

    default_retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        kwargs.setdefault("status", 429)
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class LeverServerError(LeverError):
    """5xx (or an unreadable success answer) still failing after the allowed retries."""

    default_retryable = True


class LeverNetworkError(LeverError):
    """Connection failure or timeout on a request that was safe to repeat; retries ran out."""

    default_retryable = True


class LeverOutcomeUnknownError(LeverError):
    """A non-idempotent write was sent but its answer was lost: it may or may not have happened.

    Repeating it blindly could create a duplicate; the caller must look before writing again.
    """

    default_retryable = False


_BY_STATUS: dict[int, type[LeverError]] = {
    400: LeverBadRequestError,
    401: LeverAuthError,
    403: LeverForbiddenError,
    404: LeverNotFoundError,
    422: LeverBadRequestError,
    429: LeverRateLimitedError,
}


def error_for_status(status: int, body: object, *, retry_after: float | None = None) -> LeverError:
    """Build the matching error from an HTTP status and a decoded error body (dict, text or None)."""
    code = None
    message = None
    if isinstance(body, Mapping):
        code = body.get("code") or body.get("error")
        message = body.get("message") or body.get("error_description")
    elif isinstance(body, str) and body.strip():
        message = body.strip()[:200]
    message = str(message) if message else f"Lever answered HTTP {status}"
    code = str(code) if code else None
    if status == 429:
        return LeverRateLimitedError(message, code=code, retry_after=retry_after)
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = LeverServerError if status >= 500 else LeverError
    return cls(message, status=status, code=code)


def request_never_sent(exc: BaseException) -> bool:
    """True when a failed request certainly never reached the server (no connection was made).

    A read timeout or a connection dropped mid-exchange is NOT such a case: the server may have
    acted on the request.
    """
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        return isinstance(getattr(exc.args[0], "reason", None), ConnectTimeoutError)
    return False
