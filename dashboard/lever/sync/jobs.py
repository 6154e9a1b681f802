"""The Lever jobs and worker steps, declared for the job registry (the app factory collects them).

Each job takes a connection id (one run per connected organisation), reads what it needs, commits as
it goes and is safe to run twice.
"""

from __future__ import annotations

from dashboard.jobs.registry import JobSpec, WorkSource
from dashboard.lever.sync import effects, inbox, reconcile

SYNC_JOBS = ("postings", "opportunities")  # what "Sync now" runs, in this order

JOBS = (
    JobSpec("postings", "Postings and stages", reconcile.refresh_catalog, "SCHEDULE_POSTINGS_SECONDS", 300,
            targets=reconcile.connected_connections),
    JobSpec("opportunities", "Opportunities", reconcile.reconcile_opportunities, "SCHEDULE_OPPORTUNITIES_SECONDS",
            300, targets=reconcile.connected_connections),
    JobSpec("tokens", "Lever tokens", reconcile.refresh_tokens, "SCHEDULE_TOKENS_SECONDS", 3600,
            targets=reconcile.connected_connections),
    JobSpec("inbox", "Purge of old webhook deliveries", lambda counter: {"purged": inbox.purge_inbox()},
            "SCHEDULE_INBOX_PURGE_SECONDS", 3600),
)

WORK = (
    WorkSource("lever-inbox", inbox.run),
    WorkSource("lever-effects", effects.run),
)
