"""The jobs as data: what runs periodically, what the worker keeps doing, and how to look them up.

Features declare their jobs (`JobSpec`) and their worker steps (`WorkSource`); the application
factory collects them into one `Registry` kept on the app, which the scheduler and the worker read.
This package imports no feature.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask, current_app


@dataclass(frozen=True)
class JobSpec:
    """One periodic job.

    `func(target, counter)` runs it once; `targets()` lists the (organisation id, target) pairs to run
    it for (None: one run for all, `func(counter)`). The interval comes from `interval_key` in the
    configuration or the environment, else `default_seconds`.
    """

    id: str
    label: str
    func: Callable
    interval_key: str
    default_seconds: int
    targets: Callable[[], Iterable[tuple[int, object]]] | None = None
    misfire_grace_seconds: int = 3600

    def interval(self, config) -> timedelta:
        """The configured interval."""
        return timedelta(seconds=float(setting(config, self.interval_key, self.default_seconds)))


@dataclass(frozen=True)
class WorkSource:
    """One step of the worker's loop: `run()` does a bounded batch and returns how much it did."""

    name: str
    run: Callable[[], int]


@dataclass(frozen=True)
class Registry:
    """Every job and worker step of the application."""

    jobs: tuple[JobSpec, ...] = ()
    work: tuple[WorkSource, ...] = ()
    by_id: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id.update({spec.id: spec for spec in self.jobs})


def setting(config, key: str, default):
    """A job setting: the app's configuration, else the environment, else `default`."""
    value = config.get(key)
    if value is None:
        value = os.environ.get(key)
    return default if value in (None, "") else value


def install(app: Flask, registry: Registry) -> None:
    """Keep the registry on the app (the application factory calls this once)."""
    app.extensions["jobs"] = registry


def registry() -> Registry:
    """The current app's registry."""
    return current_app.extensions["jobs"]


def intervals(config=None) -> dict[str, timedelta]:
    """Job id → interval, from configuration."""
    config = config if config is not None else current_app.config
    return {spec.id: spec.interval(config) for spec in registry().jobs}
