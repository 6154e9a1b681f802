"""Operational surface of the dashboard: request ids, structured logs, metrics, probes and headers.

`register_observability(app)` wires all of it into the application factory. The metric hooks
other modules call live in `dashboard.observability.metrics`.
"""

from __future__ import annotations

from flask import Flask

from dashboard.observability import headers, logs, probes


def register_observability(app: Flask) -> None:
    """Request ids + JSON logs, security headers, `/metrics` and `/readyz`."""

    logs.register(app)
    headers.register(app)
    probes.register(app)
