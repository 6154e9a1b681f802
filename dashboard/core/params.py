"""Bounded integers in URLs and query strings: a huge or malformed number is a clear 4xx, never a
database error.

`BoundedIntConverter` replaces Flask's `int` converter (ids fit a signed 64-bit column);
`int_arg()` reads an integer query parameter within bounds or answers 400.
"""

from __future__ import annotations

from flask import abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # the largest value a BIGINT (and SQLite's INTEGER) column holds


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that matches only 0..MAX_ID (anything larger is a 404, like any unknown id)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def int_arg(name: str, default: int | None = None, *, low: int = 1, high: int = 1_000_000) -> int | None:
    """The query parameter `name` as an integer in [low, high]; `default` when absent or empty;
    400 with a clear message otherwise."""
    raw = request.args.get(name, "")
    if raw.strip() == "":
        return default
    text = raw.strip()
    if len(text) > 19 or not text.lstrip("-").isdigit():
        abort(400, f"{name} must be a whole number between {low} and {high}.")
    value = int(text)
    if not low <= value <= high:
        abort(400, f"{name} must be a whole number between {low} and {high}.")
    return value


def page_arg(high: int = 100_000) -> int:
    """The `page` query parameter (1 when absent)."""
    return int_arg("page", 1, low=1, high=high)


def like_literal(text: str) -> str:
    """`text` for a LIKE pattern with `escape="\\"`: `%`, `_` and the backslash match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
