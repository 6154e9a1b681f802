"""Who may see what through the Data API: scope checks and the 403 answers that name the missing scope."""

from __future__ import annotations

from .store import Store
from .util import ApiError, bad_request

CONFIDENTIAL_SCOPE = "confidential:access:admin"
APPLICATIONS_SCOPE = "applications:read:admin"
LIST_FILTERS = {"non-confidential": {"non-confidential"}, "confidential": {"confidential"},
                "all": {"confidential", "non-confidential"}}
# Path arguments naming a record whose confidentiality guards the whole route (reads and writes).
GUARDED_RECORDS = (("opp_id", "opportunities"), ("posting_id", "postings"))


def has_scope(scopes: list[str], resource: str, write: bool = False) -> bool:
    """Whether the token may read (or write) a resource; a write scope includes reading."""
    if f"{resource}:write:admin" in scopes:
        return True
    return not write and f"{resource}:read:admin" in scopes


def missing_scope(scope: str, needed_for: str) -> ApiError:
    """The 403 for a request the token's scopes do not cover, naming the scope it lacks."""
    return ApiError(403, "ForbiddenError", f"Missing scope {scope}: {needed_for} requires {scope}")


def is_confidential(doc: dict) -> bool:
    """Whether a posting or an opportunity is confidential."""
    return doc.get("confidentiality", "non-confidential") == "confidential"


def listed_confidentiality(value: str | None, scopes: list[str]) -> set[str]:
    """Which confidentiality values a list answer holds for its `confidentiality` parameter.

    Without it only non-confidential records; `confidential` and `all` need confidential:access:admin.
    """
    if value is None:
        return LIST_FILTERS["non-confidential"]
    if value not in LIST_FILTERS:
        raise bad_request(f"confidentiality must be one of {', '.join(LIST_FILTERS)}")
    if value != "non-confidential" and CONFIDENTIAL_SCOPE not in scopes:
        raise missing_scope(CONFIDENTIAL_SCOPE, f"confidentiality={value}")
    return LIST_FILTERS[value]


def confidential_refusal(store: Store, account_id: str, path_args: dict, scopes: list[str]) -> ApiError | None:
    """The 403 for any route on a confidential record of the account when the token lacks the scope."""
    if CONFIDENTIAL_SCOPE in scopes:
        return None
    for arg, kind in GUARDED_RECORDS:
        doc_id = path_args.get(arg)
        doc = store.get(kind, doc_id) if doc_id else None
        if doc and store.owner(kind, doc_id) == account_id and is_confidential(doc):
            return missing_scope(CONFIDENTIAL_SCOPE, f"access to confidential {kind}")
    return None
