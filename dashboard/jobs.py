"""Background processes: `flask worker` (queues) and `flask scheduler` (periodic jobs)."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach `flask worker` and `flask scheduler`."""
