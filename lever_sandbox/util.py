"""Small helpers shared by the sandbox's modules: ids, times, JSON errors, the app state."""

from __future__ import annotations

import time
import uuid

from flask import current_app, jsonify


def now_ms() -> int:
    """The current time in integer milliseconds since the epoch."""
    return int(time.time() * 1000)


def new_id() -> str:
    """A new UUID string."""
    return str(uuid.uuid4())


def api_error(status: int, code: str, message: str):
    """A Lever-shaped error response `{"code", "message"}`."""
    resp = jsonify({"code": code, "message": message})
    resp.status_code = status
    return resp


class ApiError(Exception):
    """A refusal raised by domain code, turned into a Lever-shaped error by the API."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def bad_request(message: str) -> ApiError:
    """A 400 BadRequestError."""
    return ApiError(400, "BadRequestError", message)


def not_found(what: str) -> ApiError:
    """A 404 ResourceNotFound."""
    return ApiError(404, "ResourceNotFound", f"{what} not found")


def sandbox():
    """The running sandbox's shared state (store, limiter, deliverer, call log)."""
    return current_app.extensions["lever_sandbox"]
