"""Reading the fields of Lever objects that Lever shows in more than one shape.

The client hands objects over as Lever sent them; these functions are the one place that knows
the variants of the fields the integration decides on (docs/lever-contract.md §6, §13, §15).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

__all__ = ["archive_reason", "is_archived", "is_confidential", "posting_of", "profile_url"]


def is_archived(opportunity: dict) -> bool:
    """Archived when `archived` is an object (the documented field) or, in the shape of the
    documentation's examples, when a top-level `archivedAt` is set."""
    return bool(opportunity.get("archived")) or bool(opportunity.get("archivedAt"))


def archive_reason(opportunity: dict) -> str | None:
    """The archive reason id: `archived.reason`, else the top-level `archiveReason` (None when live)."""
    archived = opportunity.get("archived")
    if isinstance(archived, dict) and archived.get("reason"):
        return str(archived["reason"])
    reason = opportunity.get("archiveReason")
    return str(reason) if reason and is_archived(opportunity) else None


def is_confidential(record: dict) -> bool:
    """Whether a posting or an opportunity is confidential."""
    return record.get("confidentiality") == "confidential"


def posting_of(opportunity: dict) -> str | None:
    """The posting of the first application that names one (`expand=applications` shows them)."""
    for application in opportunity.get("applications") or []:
        posting: Any = application.get("posting") if isinstance(application, dict) else None
        if isinstance(posting, dict):
            posting = posting.get("id")
        if posting:
            return str(posting)
    return None


def profile_url(opportunity: dict, hire_url: str) -> str | None:
    """The candidate's page in Lever: `urls.show`, else `{hire_url}/candidates/{id}` (list answers
    may carry no `urls`)."""
    urls = opportunity.get("urls")
    shown = urls.get("show") if isinstance(urls, dict) else None
    if isinstance(shown, str) and shown:
        return shown
    if not opportunity.get("id") or not hire_url:
        return None
    return f"{hire_url.rstrip('/')}/candidates/{quote(str(opportunity['id']), safe='')}"
