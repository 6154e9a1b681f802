"""Activity's runs: safety-net runs that found nothing to do are folded away (counted, one link shows them);
every run that did something, failed, or is not a safety net stays listed."""

from __future__ import annotations

import re

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.models import JobRun


def _run(org_id: int, job: str, status: str = "ok", **changes) -> None:
    error = "Lever answered 500" if status == "failed" else None
    db.session.add(JobRun(job=job, organisation_id=org_id, status=status, started_at=utcnow(),
                          finished_at=utcnow(), changes=changes, error=error))


def _listed(html: str) -> list[str]:
    """The outcome column of each listed run, in order (newest first)."""
    section = html[html.index('id="sch-h"'):]
    return re.findall(r'<span class="badge [a-z]*">([^<]+)</span></td>\s*<td>([^<]*)</td></tr>', section)


def test_routine_runs_that_did_nothing_are_folded_and_can_be_shown(client, dash):
    org = dash.org.id
    for _ in range(3):
        _run(org, "outbox")  # found nothing: folded
    _run(org, "outbox", effects=2)  # did something: listed
    _run(org, "inbox", status="failed")  # failed: listed
    _run(org, "opportunities")  # not a safety net: listed even when it did nothing
    db.session.commit()
    html = client.get("/lever/activity").get_data(as_text=True)
    assert len(_listed(html)) == 3
    assert "3 routine safety-net runs that found nothing to do are folded away." in html
    shown = client.get("/lever/activity?routine=1").get_data(as_text=True)
    assert len(_listed(shown)) == 6
    assert "folded away" not in shown and "Fold routine runs away" in shown


def test_one_folded_run_is_said_in_the_singular(client, dash):
    _run(dash.org.id, "inbox")
    db.session.commit()
    html = client.get("/lever/activity").get_data(as_text=True)
    assert "1 routine safety-net run that found nothing to do is folded away." in html
    assert _listed(html) == []
