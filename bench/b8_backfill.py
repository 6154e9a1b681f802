"""B8: connect to a Lever account whose jobs already hold many applicants, then choose "invite them".

The applicants are in Lever before the connection (no webhook announces them). The first
reconciliation holds them for the decision; the admin then chooses to invite them all
(`decide_backfill(..., "all")`), which queues the sync runs; the requested-runs loop performs them
while the real worker loop sends the emails and writes back, against a sandbox enforcing Lever's
10 requests/s (burst 20), at the default pacing, with a real SMTP server. Printed: invited, calls per
candidate beside the list pages, and the time against the rate-limit bound (calls ÷ 10/s).
Targets: all invited; calls ≤ 2 per candidate + list pages; time ≤ 1.10 × the bound.

    python -m bench.b8_backfill [--applicants N]
"""

from __future__ import annotations

import time
from collections import Counter

from bench.common import (
    LEVER_BURST,
    LEVER_RATE,
    Services,
    call_kind,
    command_line,
    connect_demo,
    drain,
    paced_app,
    prepare_account,
    print_table,
    verdict,
    wait_settled,
)


def run(applicants: int = 10_000) -> dict:
    """Seed, connect, hold, decide "all", and measure until every effect is done; returns the figures."""
    from sqlalchemy import func, select

    from dashboard.accounts.models import User
    from dashboard.core.clock import utcnow
    from dashboard.extensions import db
    from dashboard.jobs.runs import run_requested
    from dashboard.lever.sync import services
    from dashboard.lever.sync.models import Effect, Invitation
    from dashboard.lever.sync.reconcile import reconcile_opportunities
    from dashboard.mail.models import MailMessage

    with Services() as running:
        sandbox, sink = running.sandbox, running.sink
        app = paced_app(sandbox, "b8", rate=10000, burst=10000, **sink.config())  # seeding at full speed
        with app.app_context():
            db.create_all()
            connection, seeded = connect_demo(sandbox)
            posting = next(p["id"] for p in seeded["postings"] if p["text"] == "Data Analyst")
            for start in range(0, applicants, 500):
                sandbox.admin("POST", "/_admin/applications", {"applications": [
                    {"posting_id": posting, "name": f"Earlier {n}", "email": f"earlier{n}@example.com"}
                    for n in range(start, min(applicants, start + 500))]})
            time.sleep(0.01)
            connection.connected_at, connection.backfill_decision = utcnow(), None  # connected after them
            db.session.commit()
            prepare_account(connection)
            held = reconcile_opportunities(connection.id)  # the first pass: everyone waits for the decision
            drain(idle_limit=60)  # its writes (the job's tags on each applicant) belong to connecting
            waiting = services.backfill_waiting(connection.organisation_id)
            admin = db.session.scalar(select(User).where(User.role.in_(("admin", "owner"))))
            sandbox.admin("POST", "/_admin/config", {"rate": LEVER_RATE, "burst": LEVER_BURST})
            time.sleep(2.5)  # a full bucket, as after a quiet moment
            sandbox.clear_calls()
            began = time.time()
            services.decide_backfill(connection.organisation_id, admin.id, admin.name, "all")
            db.session.commit()
            running.start_worker(app)
            while run_requested("bench-requests"):
                pass
            wait_settled(6 * 3600, poll=0.5)
            elapsed = time.time() - began
            running.stop_worker()
            invited = db.session.scalar(select(func.count(Invitation.id))) or 0
            emails = db.session.scalar(select(func.count(MailMessage.id))) or 0
            lost = db.session.scalar(select(func.count(Effect.id)).where(Effect.state != "done")) or 0
        calls = sandbox.api_calls()
    pages = sum(1 for c in calls if c["method"] == "GET" and c["path"].split("?")[0] == "/v1/opportunities")
    per_candidate = [c for c in calls if c["path"].startswith("/v1/opportunities/") and c["status"] != 429]
    kinds = Counter(call_kind(c) for c in calls if c["status"] != 429)
    figures = {"applicants": applicants, "held": held["listed"], "waiting": waiting, "invited": invited,
               "emails": emails, "delivered": len(sink.received), "lost": lost, "calls": len(calls),
               "pages": pages, "per_candidate": len(per_candidate) / invited if invited else 0.0,
               "catalog": len(calls) - pages - len(per_candidate),
               "rate_limited": sum(1 for c in calls if c["status"] == 429), "seconds": elapsed,  # retried
               "bound": len(calls) / LEVER_RATE, "kinds": kinds}
    figures["ratio"] = elapsed / figures["bound"] if figures["bound"] else 0.0  # the bound counts every call
    _report(figures)
    return figures


def _report(f: dict) -> None:
    print_table(f"B8: {f['applicants']} applicants already in Lever, then \"invite them\"; Lever allows "
                f"{LEVER_RATE:g}/s burst {LEVER_BURST}; default pacing, one worker", ("figure", "value", "target"), [
                    ("held for the decision by the first pass", f["waiting"], f"{f['applicants']}"),
                    ("invited (invitations, emails handed to SMTP)", f"{f['invited']}, {f['delivered']}",
                     f"{f['applicants']} ({verdict(f['invited'] == f['delivered'] == f['applicants'])})"),
                    ("lost (effects not done)", f["lost"], f"0 ({verdict(f['lost'] == 0)})"),
                    ("Lever calls per candidate (besides the list pages)", f"{f['per_candidate']:.2f}",
                     f"≤ 2 ({verdict(f['per_candidate'] <= 2)})"),
                    ("list pages; the sync runs' catalog reads", f"{f['pages']}; {f['catalog']}",
                     ", ".join(f"{k} ×{v}" for k, v in sorted(f["kinds"].items()))),
                    ("429 answers (retried; not counted per candidate)", f["rate_limited"], ""),
                    ("time", f"{f['seconds']:.1f} s", f"bound {f['bound']:.1f} s (calls ÷ {LEVER_RATE:g}/s)"),
                    ("time / bound", f"{f['ratio']:.3f}×", f"≤ 1.10× ({verdict(f['ratio'] <= 1.10)})"),
                ])


def main(argv: list[str] | None = None) -> dict:
    """Command line entry: `python -m bench.b8_backfill [--applicants N]`."""
    return command_line(run, __doc__, argv,
                        ("--applicants", int, 10_000, "applicants in Lever before connecting"))


if __name__ == "__main__":
    main()
