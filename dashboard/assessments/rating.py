"""Lever's 1-4 rating from an assessment's passing score `p` and a candidate's score `s` (both %).

| 4 `4 - Strong Hire`    | s >= p + (100 - p) / 2 |
| 3 `3 - Hire`           | p <= s, below that     |
| 2 `2 - No Hire`        | p / 2 <= s < p         |
| 1 `1 - Strong No Hire` | s < p / 2              |
"""

from __future__ import annotations

from typing import NamedTuple

LABELS = {4: "4 - Strong Hire", 3: "3 - Hire", 2: "2 - No Hire", 1: "1 - Strong No Hire"}


class Rating(NamedTuple):
    """A rating value (1-4) and its Lever label."""

    value: int
    label: str


def _thresholds(passing_score: float) -> tuple[float, float, float]:
    p = float(passing_score)
    return p / 2, p, p + (100 - p) / 2


def rating_for(passing_score: float, score: float) -> Rating:
    """The rating of `score` on an assessment whose passing score is `passing_score`."""
    half, passing, strong = _thresholds(passing_score)
    s = float(score)
    if s >= strong:
        value = 4
    elif s >= passing:
        value = 3
    elif s >= half:
        value = 2
    else:
        value = 1
    return Rating(value, LABELS[value])


def rating_bands(passing_score: float) -> list[tuple[int, str, float, float]]:
    """The four bands as (value, label, low, high) for display; `low` inclusive, `high` exclusive
    except for band 4 whose high is 100 inclusive. Empty bands (low == high) are kept."""
    half, passing, strong = _thresholds(passing_score)
    return [
        (4, LABELS[4], strong, 100.0),
        (3, LABELS[3], passing, strong),
        (2, LABELS[2], half, passing),
        (1, LABELS[1], 0.0, half),
    ]
