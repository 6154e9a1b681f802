"""B7: lag, the figure a recruiter notices, with the real worker loop and a real SMTP server.

At idle, one candidate at a time against a sandbox enforcing Lever's 10 requests/s (burst 20), at
the default pacing and the worker's default idle sleep:
- apply → invitation email handed to SMTP (from the delivery entering the inbox, as the webhook
  receiver stores it, to the SMTP server accepting the message);
- part scored → the provisional feedback in Lever, and test finished (evaluated: the final score) →
  the final feedback in Lever (the sandbox's call log times the POST / PUT).
Then, during a burst of applications to one job, a new applicant on another job: seconds to the
invitation email.
Targets: p50 and p95 at idle ≤ 2 s; during the burst, invited within 30 s.

    python -m bench.b7_lag [--candidates N] [--burst N]
"""

from __future__ import annotations

import time

from bench.common import (
    LEVER_BURST,
    LEVER_RATE,
    Sandbox,
    Services,
    add_second_opening,
    command_line,
    connect_demo,
    paced_app,
    percentile,
    prepare_account,
    print_table,
    queue_delivery,
    verdict,
)

IDLE_TARGET = 2.0
BURST_TARGET = 30.0
OTHER_JOB = "Data Analyst (second opening)"


def _call_time(sandbox: Sandbox, method: str, path_part: str, since: float, seconds: float = 60) -> float | None:
    """When (epoch s) the sandbox answered the first `method` call whose path holds `path_part` after
    `since`; polls its call log up to `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        for call in sandbox.calls():
            if call["method"] == method and path_part in call["path"] and call["at_ms"] / 1000 >= since - 0.001 \
                    and call["status"] < 300:
                return call["at_ms"] / 1000
        time.sleep(0.02)
    return None


def run(candidates: int = 10, burst: int = 1000) -> dict:
    """Measure the idle lags for `candidates` candidates, then the burst; returns the figures."""
    from sqlalchemy import select

    from dashboard.accounts.models import User
    from dashboard.attempts import services as attempts
    from dashboard.attempts.models import Attempt, Candidate
    from dashboard.extensions import db

    invite, scored, final = [], [], []
    burst_lag = None
    with Services() as running:
        sandbox, sink = running.sandbox, running.sink
        app = paced_app(sandbox, "b7", **sink.config())
        with app.app_context():
            db.create_all()
            connection, seeded = connect_demo(sandbox)
            add_second_opening(sandbox, seeded, OTHER_JOB)
            prepare_account(connection)
            postings = {p["text"]: p["id"] for p in seeded["postings"]}
            evaluator = db.session.scalar(select(User.id).where(User.role.in_(("admin", "owner"))))
            running.start_worker(app)
            for n in range(candidates):
                email = f"lag{n}@example.com"
                [opp] = sandbox.admin("POST", "/_admin/applications", {"applications": [
                    {"posting_id": postings["Data Analyst"], "name": f"Lag {n}", "email": email}]})
                began = time.time()
                queue_delivery(connection, "applicationCreated", opp["id"])
                db.session.commit()
                got = sink.wait_for(email, 60)
                invite.append(got - began if got else float("inf"))
                attempt = db.session.scalar(select(Attempt).join(Candidate).where(Candidate.email == email))
                auto = next(ps for ps in attempt.part_scores if ps.part.grading == "auto")
                manual = next(ps for ps in attempt.part_scores if ps.part.grading == "manual")
                attempts.start_attempt(attempt.id)
                db.session.commit()
                began = time.time()
                attempts.submit_part(attempt.id, auto.part_id, {q.id: q.correct_choice for q in auto.part.questions})
                db.session.commit()
                at = _call_time(sandbox, "POST", f"/opportunities/{opp['id']}/feedback", began)
                scored.append(at - began if at else float("inf"))
                attempts.submit_part(attempt.id, manual.part_id, {q.id: "An analysis" for q in manual.part.questions})
                db.session.commit()
                answer = next(a for a in attempt.answers if a.question_id == manual.part.questions[0].id)
                began = time.time()
                attempts.evaluate_attempt(attempt.id, {answer.id: 7}, evaluator)
                db.session.commit()
                at = _call_time(sandbox, "PUT", f"/opportunities/{opp['id']}/feedback/", began)
                final.append(at - began if at else float("inf"))
                db.session.commit()
            if burst:
                crowd = []
                for start in range(0, burst, 200):
                    crowd += sandbox.admin("POST", "/_admin/applications", {"applications": [
                        {"posting_id": postings["Data Analyst"], "name": f"Burst {n}", "email": f"burst{n}@example.com"}
                        for n in range(start, min(burst, start + 200))]})
                [newcomer] = sandbox.admin("POST", "/_admin/applications", {"applications": [
                    {"posting_id": postings[OTHER_JOB], "name": "Newcomer", "email": "newcomer@example.com"}]})
                for opp in crowd:
                    queue_delivery(connection, "applicationCreated", opp["id"])
                db.session.commit()
                time.sleep(1.0)  # the burst is under way
                began = time.time()
                queue_delivery(connection, "applicationCreated", newcomer["id"])
                db.session.commit()
                db.session.remove()
                got = sink.wait_for("newcomer@example.com", 900)
                burst_lag = got - began if got else None
            running.stop_worker()
    figures = {"candidates": candidates, "burst": burst, "burst_lag": burst_lag,
               "invite": invite, "scored": scored, "final": final}
    _report(figures)
    return figures


def _report(f: dict) -> None:
    rows = []
    for label, values in (("apply → invitation email handed to SMTP", f["invite"]),
                          ("part scored → provisional feedback in Lever", f["scored"]),
                          ("test finished (final score) → feedback in Lever", f["final"])):
        p50, p95 = percentile(values, 50), percentile(values, 95)
        rows.append((label, f"{p50:.2f} s", f"{p95:.2f} s", f"≤ {IDLE_TARGET:g} s ({verdict(p95 <= IDLE_TARGET)})"))
    if f["burst"]:
        lag = f"{f['burst_lag']:.1f} s" if f["burst_lag"] is not None else "never"
        ok = f["burst_lag"] is not None and f["burst_lag"] <= BURST_TARGET
        rows.append((f"during a burst of {f['burst']} applications: a new applicant on another job → invitation email",
                     lag, "", f"≤ {BURST_TARGET:g} s ({verdict(ok)})"))
    print_table(f"B7: lag at idle ({f['candidates']} candidates, one at a time) and during a burst; Lever allows "
                f"{LEVER_RATE:g}/s burst {LEVER_BURST}; default pacing, one worker", ("lag", "p50", "p95", "target"),
                rows)


def main(argv: list[str] | None = None) -> dict:
    """Command line entry: `python -m bench.b7_lag [--candidates N] [--burst N]`."""
    return command_line(run, __doc__, argv,
                        ("--candidates", int, 10, "candidates measured at idle"),
                        ("--burst", int, 1000, "applications in the burst (0: none)"))


if __name__ == "__main__":
    main()
