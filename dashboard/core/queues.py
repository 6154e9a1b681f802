"""Turn order for the work queues: each organisation's oldest and newest rows in turn.

A queue taken strictly oldest first makes a new arrival wait behind the whole backlog: during a
burst of a thousand applications, the next applicant (on any job) would wait for all of them. Taken
from both ends, every pass serves the rows that have waited longest and the rows that arrived last,
so a new applicant is served in the next pass whatever is queued, while the oldest rows still get half
of every pass (a row in the middle waits at most about twice as long as first-in-first-out would make
it wait). Organisations take turns as well: every organisation's first row of each end, then each
one's second, so one customer's burst cannot hold up another's.
"""

from __future__ import annotations

from sqlalchemy import case, func


def both_ends_turn(partition_by, oldest_first: tuple, newest_first: tuple, rank=func.row_number):
    """The window columns for `turn()`: a row's place from the old end and from the new end within
    its partition (`oldest_first` and `newest_first` order the same rows in opposite directions).
    With `rank=func.dense_rank`, rows ordered alike share a place (the rows of one group, in turn together)."""
    return (rank().over(partition_by=partition_by, order_by=oldest_first).label("from_old"),
            rank().over(partition_by=partition_by, order_by=newest_first).label("from_new"))


def turn(ranked):
    """A row's turn, from a subquery holding `both_ends_turn`'s columns: the nearer of its two places
    (1 for the oldest and the newest row, 2 for the second of each, ...)."""
    return case((ranked.c.from_old <= ranked.c.from_new, ranked.c.from_old), else_=ranked.c.from_new)
