"""What each Lever scope is for, and what a connection without one can still do.

The required scopes (`REQUIRED_SCOPES`) are checked when the connection is made: without one the
integration cannot work, so the connection is refused. The optional ones belong to single features:
a connection without one (made before the feature existed, or by an admin who unticked it on Lever's
consent page) keeps working, and the settings card says which feature is affected and offers Reconnect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dashboard.lever.api.errors import LeverForbiddenError
from dashboard.lever.api.oauth import (
    APPLICATIONS_SCOPE,
    ARCHIVE_REASONS_SCOPE,
    CONFIDENTIAL_SCOPE,
    OPTIONAL_SCOPES,
    REQUIRED_SCOPES,
)

RECONNECT = "Reconnect Lever in Organisation settings"
RECONNECT_FOR_STAGES = "Reconnect to allow stage changes"
STAGE_CHANGES = "Stage changes"


@dataclass(frozen=True)
class Feature:
    """An optional scope, the feature it serves and what happens without it."""

    scope: str
    name: str
    without: str


FEATURES = {
    CONFIDENTIAL_SCOPE: Feature(
        CONFIDENTIAL_SCOPE, "Confidential jobs",
        "Lever hides confidential jobs and their candidates: their applicants are not invited and get no "
        "results in Lever."),
    APPLICATIONS_SCOPE: Feature(
        APPLICATIONS_SCOPE, "New applicants at once",
        "Lever may refuse to say which job a candidate applied to: new applicants are then found by the "
        "scheduled reconciliation, a few minutes later, instead of at once."),
    ARCHIVE_REASONS_SCOPE: Feature(
        ARCHIVE_REASONS_SCOPE, "Stage changes",
        f"{RECONNECT_FOR_STAGES}: Lever's archive reasons cannot be read, so the stage automation of Linked "
        "jobs cannot archive candidates who fail."),
}


def granted(connection, scope: str) -> bool:
    """Whether Lever granted `scope` to this connection."""
    return scope in connection.scope_list


def missing_required(scopes: Iterable[str]) -> list[str]:
    """The required scopes not among `scopes`."""
    have = set(scopes)
    return [scope for scope in REQUIRED_SCOPES if scope not in have]


def missing_features(connection) -> list[Feature]:
    """The features a connected connection lacks the scope of (empty when it is not connected); stage
    changes too when Lever refused one (403) although the scope was granted."""
    if connection is None or connection.status != "connected":
        return []
    lacking = [FEATURES[scope] for scope in OPTIONAL_SCOPES if not granted(connection, scope)]
    if connection.stage_changes_refused and all(f.name != STAGE_CHANGES for f in lacking):
        lacking.append(Feature("", STAGE_CHANGES,  # granted, yet refused: no scope to name
                               f"{RECONNECT_FOR_STAGES}: Lever refused one ({connection.stage_changes_refused})."))
    return lacking


def stage_changes_blocked(connection) -> str | None:
    """Why the stage automation cannot do everything on this connection (None when it can)."""
    feature = next((f for f in missing_features(connection) if f.name == STAGE_CHANGES), None)
    return feature.without if feature else None


def listed_confidentiality(connection) -> str | None:
    """The `confidentiality` filter for list calls: every record when the connection may see
    confidential ones, else Lever's default (non-confidential only)."""
    return "all" if granted(connection, CONFIDENTIAL_SCOPE) else None


def refusal_reason(connection, exc: LeverForbiddenError) -> str:
    """Why Lever refused to show a candidate (403), in words for the sync history."""
    message = exc.message or ""
    if CONFIDENTIAL_SCOPE in message or not granted(connection, CONFIDENTIAL_SCOPE):
        return ("Not invited: confidential job, the connection lacks confidential access — "
                f"{RECONNECT} and keep “access all confidential data” ticked.")
    return f"Not invited: Lever refused to show this candidate ({message or 'HTTP 403'})."
