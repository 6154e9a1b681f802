"""The request boundary: one transaction per request, committed once, and refusals as flashes.

Services raise `DomainError` (or a subclass) with a message meant for the person; views run them
through `attempt()` (commit on success, roll back on refusal) or `act()` (the same, then a redirect
with the outcome flashed), so a view stays a few lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash, redirect

from dashboard.extensions import db

T = TypeVar("T")


class DomainError(ValueError):
    """A refusal whose message is shown to the person who asked (nothing was changed)."""


@dataclass
class Outcome(Generic[T]):
    """What `attempt()` gives back: the service's result, or the refusal."""

    result: T | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        """True when the action went through and was committed."""
        return self.error is None


def attempt(action: Callable[[], T]) -> Outcome[T]:
    """Run `action` as the request's transaction: commit when it returns, roll back on a DomainError."""
    try:
        result = action()
    except DomainError as exc:
        db.session.rollback()
        return Outcome(error=exc)
    db.session.commit()
    return Outcome(result=result)


def act(action: Callable[[], T], back: str, done: str | Callable[[T], str] | None = None):
    """`attempt(action)`, flash the outcome (`done` may read the result), redirect to `back`."""
    outcome = attempt(action)
    if not outcome.ok:
        flash(str(outcome.error), "error")
    elif done:
        flash(done(outcome.result) if callable(done) else done, "success")
    return redirect(back)


def form_errors(form, back: str):
    """Flash every error of a form that did not validate, with its field's label, and go back."""
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        for error in errors:
            flash(f"{label}: {error}", "error")
    return redirect(back)
