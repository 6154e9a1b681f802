"""Who may see what through the Data API: scope checks and the 403 answers that name the missing scope."""

from __future__ import annotations

from .util import ApiError

CONFIDENTIAL_SCOPE = "confidential:access:admin"
APPLICATIONS_SCOPE = "applications:read:admin"


def has_scope(scopes: list[str], resource: str, write: bool = False) -> bool:
    """Whether the token may read (or write) a resource; a write scope includes reading."""
    if f"{resource}:write:admin" in scopes:
        return True
    return not write and f"{resource}:read:admin" in scopes


def missing_scope(scope: str, needed_for: str) -> ApiError:
    """The 403 for a request the token's scopes do not cover, naming the scope it lacks."""
    return ApiError(403, "ForbiddenError", f"Missing scope {scope}: {needed_for} requires {scope}")
