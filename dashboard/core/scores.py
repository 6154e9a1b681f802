"""The one way a score is written for people: pages, emails and Lever's feedback form all use it.

A score (0..100) is rounded half up to one decimal, and a whole number loses its ".0":
77.45 → "77.5%", 77.5 → "77.5%", 78.0 → "78%". So one attempt never reads as two numbers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def format_score(value: float | int | None, *, missing: str = "—") -> str:
    """`value` as a percentage for display; `missing` when there is no score."""
    if value is None:
        return missing
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    if text.endswith(".0"):
        text = text[:-2]
    if text == "-0":
        text = "0"
    return f"{text}%"
