"""Reading candidates from Lever with what the connection may see.

Confidential jobs' candidates are listed only when asked for, which needs confidential:access:admin.
A candidate's job is named only by the applications (`expand=applications`), which Lever may refuse
without applications:read:admin; connections made before that scope was requested still ask, since
Lever may allow it, and fall back when refused: a single read without the applications, a listing
one job at a time (the job is then the one listed).
"""

from __future__ import annotations

from collections.abc import Iterator

from dashboard.lever.api.errors import LeverForbiddenError
from dashboard.lever.api.oauth import APPLICATIONS_SCOPE
from dashboard.lever.connection import scopes

APPLICATIONS = ("applications",)
POSTINGS_PER_CALL = 50


def read_opportunity(connection, client, lever_id: str) -> tuple[dict, bool]:
    """(the opportunity, whether its applications are shown). A 403 that a read without the
    applications does not cure (a confidential job without the scope) is raised."""
    try:
        return client.get_opportunity(lever_id, expand=APPLICATIONS), True
    except LeverForbiddenError:
        if scopes.granted(connection, APPLICATIONS_SCOPE):
            raise
    return client.get_opportunity(lever_id), False


def list_candidates(connection, client, postings: list[str], since: int | None) -> Iterator[tuple[dict, str | None]]:
    """(opportunity, the job it was listed under when the answer does not name it) for every candidate
    of `postings` updated since `since` (ms; None for all), confidential ones when the connection may
    see them."""
    confidentiality = scopes.listed_confidentiality(connection)
    expand, start = APPLICATIONS, 0
    while start < len(postings):
        per_call = POSTINGS_PER_CALL if expand else 1
        chunk = postings[start:start + per_call]
        pages = client.list_opportunities(posting_id=chunk, updated_at_start=since, expand=expand,
                                          confidentiality=confidentiality)
        try:
            first = next(pages, None)
        except LeverForbiddenError:
            if not expand or scopes.granted(connection, APPLICATIONS_SCOPE):
                raise
            expand = ()  # refused without the scope: list one job at a time from here on
            continue
        hint = None if expand else chunk[0]
        if first is not None:
            yield first, hint
            for data in pages:
                yield data, hint
        start += per_call
