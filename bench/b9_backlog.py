"""B9: a new application behind a backlog of stage changes.

1,300 stage-change deliveries for 10 opportunities wait in the inbox (a recruiter dragging candidates
through stages while the worker was down, say); then one new application arrives. The real worker
loop runs against a sandbox enforcing Lever's 10 requests/s (burst 20), at the default pacing, and
hands the invitation email to a real SMTP server. Printed: seconds from the new application's
delivery to its invitation email, the time to clear the whole backlog, and the Lever calls made.
Target: the invitation within 10 s.

    python -m bench.b9_backlog [--changes N] [--opportunities K]
"""

from __future__ import annotations

import time

from bench.common import (
    LEVER_BURST,
    LEVER_RATE,
    Services,
    command_line,
    connect_demo,
    paced_app,
    prepare_account,
    print_table,
    queue_delivery,
    verdict,
    wait_settled,
)

TARGET_SECONDS = 10.0
NEW_EMAIL = "newcomer@example.com"


def run(changes: int = 1300, opportunities: int = 10) -> dict:
    """Queue the backlog and the new application, run the worker; returns the figures (and prints them)."""
    from sqlalchemy import func, select

    from dashboard.extensions import db
    from dashboard.lever.sync.models import InboxDelivery

    with Services() as running:
        sandbox, sink = running.sandbox, running.sink
        app = paced_app(sandbox, "b9", **sink.config())
        with app.app_context():
            db.create_all()
            connection, seeded = connect_demo(sandbox)
            prepare_account(connection)
            postings = {p["text"]: p["id"] for p in seeded["postings"]}
            stages = [s["id"] for s in sandbox.admin("GET", "/_admin/state")["stages"]]
            busy = sandbox.admin("POST", "/_admin/applications", {"applications": [
                {"posting_id": postings["Senior Data Analyst"], "name": f"Mover {n}",
                 "email": f"mover{n}@example.com"} for n in range(opportunities)]})
            for n in range(changes):
                queue_delivery(connection, "candidateStageChange", busy[n % len(busy)]["id"],
                               stages[n % 2])  # Phone Screen, On-site: neither is the job's invitation stage
            db.session.commit()
            [new] = sandbox.admin("POST", "/_admin/applications", {"applications": [
                {"posting_id": postings["Data Analyst"], "name": "Newcomer", "email": NEW_EMAIL}]})
            time.sleep(2.5)  # let the sandbox's bucket fill up again after the setup
            sandbox.clear_calls()
            queue_delivery(connection, "applicationCreated", new["id"])
            db.session.commit()
            began = time.time()
            running.start_worker(app)
            invited_at = sink.wait_for(NEW_EMAIL, 300)
            wait_settled(900)
            cleared = time.time() - began
            running.stop_worker()
            left = db.session.scalar(select(func.count(InboxDelivery.id)).where(InboxDelivery.state != "done"))
        calls = sandbox.api_calls()
    lag = invited_at - began if invited_at is not None else None
    reads = sum(1 for c in calls if c["method"] == "GET")
    figures = {"changes": changes, "opportunities": opportunities, "lag": lag, "cleared": cleared,
               "calls": len(calls), "reads": reads, "left": left,
               "rate_limited": sum(1 for c in calls if c["status"] == 429)}
    _report(figures)
    return figures


def _report(f: dict) -> None:
    lag = f"{f['lag']:.2f} s" if f["lag"] is not None else "never"
    ok = f["lag"] is not None and f["lag"] <= TARGET_SECONDS
    print_table(f"B9: {f['changes']} queued stage changes for {f['opportunities']} opportunities, then one new "
                f"application; Lever allows {LEVER_RATE:g}/s burst {LEVER_BURST}; default pacing, one worker",
                ("figure", "value", "target"), [
                    ("new application → invitation email handed to SMTP", lag,
                     f"≤ {TARGET_SECONDS:g} s ({verdict(ok)})"),
                    ("whole backlog processed", f"{f['cleared']:.2f} s", f"{f['left']} deliveries left"),
                    ("Lever calls (reads)", f"{f['calls']} ({f['reads']})",
                     f"{f['changes'] + 1} deliveries; one read per opportunity per pass when folded"),
                    ("429 answers", f["rate_limited"], "0"),
                ])


def main(argv: list[str] | None = None) -> dict:
    """Command line entry: `python -m bench.b9_backlog [--changes N] [--opportunities K]`."""
    return command_line(run, __doc__, argv,
                        ("--changes", int, 1300, "queued stage-change deliveries"),
                        ("--opportunities", int, 10, "opportunities they are about"))


if __name__ == "__main__":
    main()
