"""B3: a burst of applications for one Lever account whose sandbox enforces 10 requests/s, burst 20.

Every application reaches the inbox at once (as a burst of webhooks would); the real worker then
invites and writes back every candidate through the paced client. Printed: calls, 429 answers,
total time and its ratio to the least possible time (calls ÷ 10 per s).
Targets: all invited and written back; 0 lost; 429s ≤ 1 % of calls; time ≤ 1.10 × calls ÷ 10, at the
default settings (the client paces at Lever's 10/s, burst 20, adapting after a 429; one worker).

    python -m bench.b3_burst [--size N] [--rate R] [--burst B] [--workers W]
"""

from __future__ import annotations

import threading
import time

from bench.common import (
    LEVER_BURST,
    LEVER_RATE,
    Sandbox,
    command_line,
    connect_demo,
    drain,
    paced_app,
    prepare_account,
    print_table,
    queue_delivery,
    verdict,
)

STATUS_INVITED = "Alooba - Invited"
JOB_TAG = "Alooba Assessment - Data Analyst Assessment"


def _run_workers(app, workers: int) -> None:
    """Drain with `workers` threads, each with its own app context and session."""
    from dashboard.extensions import db

    errors: list[BaseException] = []

    def one():
        with app.app_context():
            try:
                drain(idle_limit=60)
            except BaseException as exc:  # reported after join
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def run(size: int = 1000, rate: float | None = None, burst: int | None = None, workers: int = 1) -> dict:
    """Run the burst; returns the counted figures (and prints the table)."""
    from sqlalchemy import func, select

    from dashboard.config import BaseConfig
    from dashboard.extensions import db
    from dashboard.lever.sync.models import Effect, InboxDelivery, Invitation
    from dashboard.mail.models import MailMessage

    rate = BaseConfig.LEVER_PACE_RATE if rate is None else rate
    burst = BaseConfig.LEVER_PACE_BURST if burst is None else burst

    sandbox = Sandbox()
    try:
        app = paced_app(sandbox, "b3", LEVER_PACE_RATE=rate, LEVER_PACE_BURST=burst)
        with app.app_context():
            db.create_all()
            connection, seeded = connect_demo(sandbox)
            prepare_account(connection)
            posting = next(p["id"] for p in seeded["postings"] if p["text"] == "Data Analyst")
            opps = []
            for start in range(0, size, 200):
                batch = [{"posting_id": posting, "name": f"Burst {n}", "email": f"burst{n}@example.com"}
                         for n in range(start, min(size, start + 200))]
                opps += sandbox.admin("POST", "/_admin/applications", {"applications": batch})
            time.sleep(2.5)  # let the sandbox's bucket fill up again after the setup reads
            sandbox.clear_calls()
            began = time.monotonic()
            for opp in opps:
                queue_delivery(connection, "applicationCreated", opp["id"])
            db.session.commit()
            db.session.remove()
            _run_workers(app, workers)
            elapsed = time.monotonic() - began
            calls = sandbox.api_calls()
            invitations = db.session.scalar(select(func.count(Invitation.id))) or 0
            emails = db.session.scalar(select(func.count(MailMessage.id))) or 0
            lost = (db.session.scalar(select(func.count(Effect.id)).where(Effect.state != "done")) or 0) + (
                db.session.scalar(select(func.count(InboxDelivery.id)).where(InboxDelivery.state != "done")) or 0)
        state = sandbox.admin("GET", "/_admin/state")
    finally:
        sandbox.stop()
    written = sum(1 for o in state["opportunities"]
                  if STATUS_INVITED in o["tags"] and JOB_TAG in o["tags"] and o["links"])
    limited = sum(1 for c in calls if c["status"] == 429)
    floor = len(calls) / LEVER_RATE
    figures = {"size": size, "calls": len(calls), "rate_limited": limited, "seconds": elapsed,
               "ratio": elapsed / floor if floor else 0.0, "invitations": invitations, "emails": emails,
               "written_back": written, "lost": lost, "rate": rate, "burst": burst, "workers": workers}
    _report(figures)
    return figures


def _report(f: dict) -> None:
    share = f["rate_limited"] / f["calls"] if f["calls"] else 0.0
    print_table(f"B3: {f['size']} applications in one burst; Lever allows {LEVER_RATE:g}/s burst {LEVER_BURST}; "
                f"client paces {f['rate']:g}/s burst {f['burst']}, {f['workers']} worker(s)",
                ("figure", "value", "target"), [
                    ("invited (invitations, emails)", f"{f['invitations']}, {f['emails']}",
                     f"{f['size']} ({verdict(f['invitations'] == f['emails'] == f['size'])})"),
                    ("written back (job tag + status tag + link)", f["written_back"],
                     f"{f['size']} ({verdict(f['written_back'] == f['size'])})"),
                    ("lost (rows not done)", f["lost"], f"0 ({verdict(f['lost'] == 0)})"),
                    ("Lever calls", f["calls"], f"{f['calls'] / max(1, f['size']):.2f} per application"),
                    ("429 answers", f"{f['rate_limited']} ({share:.2%})", f"≤ 1 % ({verdict(share <= 0.01)})"),
                    ("total time", f"{f['seconds']:.1f} s", f"least possible {f['calls'] / LEVER_RATE:.1f} s"),
                    ("time / (calls ÷ 10 per s)", f"{f['ratio']:.3f}×", f"≤ 1.10× ({verdict(f['ratio'] <= 1.10)})"),
                ])


def main(argv: list[str] | None = None) -> dict:
    """Command line entry: `python -m bench.b3_burst [--size N] [--rate R] [--burst B] [--workers W]`."""
    return command_line(run, __doc__, argv,
                        ("--size", int, 1000, "applications in the burst"),
                        ("--rate", float, None, "client pacing, requests/s (LEVER_PACE_RATE; default: the app's)"),
                        ("--burst", int, None, "client pacing burst (LEVER_PACE_BURST; default: the app's)"),
                        ("--workers", int, 1, "worker threads"))


if __name__ == "__main__":
    main()
