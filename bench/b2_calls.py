"""B2: Lever calls per candidate lifecycle against the sandbox, beside the minimum each step needs.

Two lifecycles run with the real worker and the sandbox's call log: a job that invites on
application (Data Analyst) and a job that invites at a stage (Senior Data Analyst). Account-level
reads (postings, stages, users, feedback template) happen once per account, when connecting and
from the scheduler; they are shown apart, and a second round of candidates must not repeat them.
Target: ≤ 1.0 × the minimum.

    python -m bench.b2_calls [--size N]     (N candidates per job; default 3)
"""

from __future__ import annotations

import tempfile
from collections import Counter

from bench.common import (
    Sandbox,
    add_second_opening,
    app_config_for,
    call_kind,
    command_line,
    connect_demo,
    drain,
    make_app,
    prepare_account,
    print_table,
    queue_delivery,
    verdict,
)

# step → (minimum calls, the reason for each)
MINIMUM = {
    "apply (invites at once)": (3, "1 GET opportunity (webhook data is unsigned: read it); 1 addTags (the job's "
                                   "assessment tags and 'Invited' in one call); 1 addLinks (profile link)"),
    "apply (stage-tagged job)": (2, "1 GET opportunity; 1 addTags (inherit the job's assessment tags at first "
                                    "sight)"),
    "invite at stage": (3, "1 GET opportunity (stage from Lever, not the hint); 1 addLinks; 1 addTags 'Invited' "
                           "(nothing to remove: the addTags answer shows no other status tag)"),
    "start": (2, "1 addTags 'In Progress'; 1 removeTags 'Invited' (the addTags answer shows it)"),
    "first part scored": (1, "1 POST feedback (a first try with no lost answer: nothing earlier can have "
                             "created the form, so there is nothing to look for)"),
    "complete": (2, "1 addTags 'Completed'; 1 removeTags 'In Progress' (the form shows nothing new: the "
                    "written part still reads 'not scored yet')"),
    "evaluated (feedback final)": (1, "1 PUT feedback, same form, final score and rating"),
    "reused result (another job)": (4, "1 GET opportunity; 1 addTags (the job's tags and 'Completed'); "
                                       "1 addLinks; 1 POST feedback (the result, on this opportunity too)"),
}
LIFECYCLE = ("apply (invites at once)", "start", "first part scored", "complete", "evaluated (feedback final)")
BACKFILL_MINIMUM = 2  # addLinks; addTags (the job's tags and 'Invited'): the listing already showed it
OTHER_JOB = "Data Analyst (second opening)"
ACCOUNT_READS = ("/v1/postings", "/v1/stages", "/v1/users", "/v1/feedback_templates")


class Lifecycle:
    """Runs steps and counts the sandbox calls each made."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.counts: dict[str, list[int]] = {}
        self.kinds: dict[str, Counter] = {}
        self.account_reads = 0
        self.rate_limited = 0

    def step(self, name: str, action) -> None:
        self.sandbox.clear_calls()
        action()
        drain(idle_limit=10)
        calls = self.sandbox.api_calls()
        self.rate_limited += sum(1 for c in calls if c["status"] == 429)
        calls = [c for c in calls if c["status"] != 429]  # refused by the limit, then retried: shown apart
        self.account_reads += sum(1 for c in calls if c["method"] == "GET" and c["path"].split("?")[0]
                                  in ACCOUNT_READS)
        self.counts.setdefault(name, []).append(len(calls))
        self.kinds.setdefault(name, Counter()).update(call_kind(c) for c in calls)


def _take_steps(life: Lifecycle, email: str, evaluator_id: int) -> None:
    from sqlalchemy import select

    from dashboard.attempts import services as attempts
    from dashboard.attempts.models import Attempt, Candidate
    from dashboard.attempts.services import evaluate_attempt
    from dashboard.extensions import db

    attempt = db.session.scalar(select(Attempt).join(Candidate).where(Candidate.email == email))
    auto = next(ps for ps in attempt.part_scores if ps.part.grading == "auto")
    manual = next(ps for ps in attempt.part_scores if ps.part.grading == "manual")

    def start():
        attempts.start_attempt(attempt.id)
        db.session.commit()

    def first_part():
        attempts.submit_part(attempt.id, auto.part_id, {q.id: q.correct_choice for q in auto.part.questions})
        db.session.commit()

    def complete():
        attempts.submit_part(attempt.id, manual.part_id, {q.id: "An analysis" for q in manual.part.questions})
        db.session.commit()

    def evaluate():
        answer = next(a for a in attempt.answers if a.question_id == manual.part.questions[0].id)
        evaluate_attempt(attempt.id, {answer.id: 7}, evaluator_id)
        db.session.commit()

    life.step("start", start)
    life.step("first part scored", first_part)
    life.step("complete", complete)
    life.step("evaluated (feedback final)", evaluate)


def run(size: int = 3) -> dict:
    """Run `size` lifecycles per job kind; returns the figures and prints the tables."""
    from sqlalchemy import select

    from dashboard.accounts.models import User
    from dashboard.extensions import db

    sandbox = Sandbox()
    try:
        tmp = tempfile.mkdtemp(prefix="b2-")
        app = make_app(f"sqlite:///{tmp}/b2.db", **app_config_for(sandbox))
        with app.app_context():
            db.create_all()
            connection, seeded = connect_demo(sandbox)
            add_second_opening(sandbox, seeded, OTHER_JOB)
            sandbox.clear_calls()
            prepare_account(connection)
            setup_calls = Counter(call_kind(c) for c in sandbox.api_calls())
            postings = {p["text"]: p["id"] for p in seeded["postings"]}
            stages = {s["text"]: s["id"] for s in sandbox.admin("GET", "/_admin/state")["stages"]}
            evaluator = db.session.scalar(select(User.id).where(User.role.in_(("admin", "owner"))))
            life = Lifecycle(sandbox)
            for n in range(size):
                email = f"direct{n}@example.com"
                opp = {}

                def apply(posting="Data Analyst", email=email, opp=opp):
                    opp.update(sandbox.admin("POST", "/_admin/applications", {
                        "posting_id": postings[posting], "name": f"Candidate {email}", "email": email}))
                    queue_delivery(connection, "applicationCreated", opp["id"])
                    db.session.commit()

                life.step("apply (invites at once)", apply)
                _take_steps(life, email, evaluator)
                life.step("reused result (another job)", lambda email=email: apply(OTHER_JOB, email, {}))

                email = f"staged{n}@example.com"
                staged = {}

                def apply_staged(email=email, staged=staged):
                    apply("Senior Data Analyst", email, staged)

                def reach_stage(staged=staged):
                    target = stages["Hiring Manager Review"]
                    sandbox.admin("POST", f"/_admin/opportunities/{staged['id']}/stage", {"stage_id": target})
                    queue_delivery(connection, "candidateStageChange", staged["id"], target)
                    db.session.commit()

                life.step("apply (stage-tagged job)", apply_staged)
                life.step("invite at stage", reach_stage)
                _take_steps(life, email, evaluator)
            backfill = _backfill(sandbox, connection, postings["Data Analyst"], size)
    finally:
        sandbox.stop()
    return _report(life, setup_calls, size, backfill)


def _backfill(sandbox: Sandbox, connection, posting_id: str, size: int) -> dict:
    """Applicants already in Lever (no webhook), invited by a full reconciliation pass: the calls per
    invited candidate beside the list pages."""
    from dashboard.extensions import db
    from dashboard.lever.sync.reconcile import reconcile_opportunities, request_full_pass

    sandbox.admin("POST", "/_admin/applications", {"applications": [
        {"posting_id": posting_id, "name": f"Earlier {n}", "email": f"earlier{n}@example.com"}
        for n in range(size)]})
    request_full_pass(connection.id)
    db.session.commit()
    sandbox.clear_calls()
    changes = reconcile_opportunities(connection.id)
    drain(idle_limit=10)
    calls = sandbox.api_calls()
    pages = sum(1 for c in calls if c["method"] == "GET" and c["path"].split("?")[0] == "/v1/opportunities")
    return {"invited": changes["invited"], "pages": pages, "other": len(calls) - pages,
            "kinds": Counter(call_kind(c) for c in calls)}


def _report(life: Lifecycle, setup_calls: Counter, size: int, backfill: dict) -> dict:
    rows, total_made, total_min = [], 0, 0
    for name, (minimum, _reason) in MINIMUM.items():
        made = life.counts.get(name, [])
        per = max(made) if made else 0
        total_made += sum(made)
        total_min += minimum * len(made)
        kinds = ", ".join(f"{k} ×{v / len(made):g}" for k, v in sorted(life.kinds.get(name, Counter()).items()))
        rows.append((name, minimum, per, f"{per / minimum:.2f}×", kinds or "-"))
    print_table(f"B2: Lever calls per step ({size} candidate(s) per job; worst case shown)",
                ("step", "minimum", "made", "ratio", "calls made (per candidate)"), rows)
    print_table("B2: why each minimum", ("step", "minimum: reason"),
                [(name, f"{m}: {reason}") for name, (m, reason) in MINIMUM.items()])
    ratio = total_made / total_min if total_min else 0.0

    def worst(*steps: str) -> int:
        return sum(max(life.counts.get(step, [0])) for step in steps)

    full = worst(*LIFECYCLE)
    invite_only, reused = worst("apply (invites at once)"), worst("reused result (another job)")
    per_backfilled = backfill["other"] / backfill["invited"] if backfill["invited"] else 0.0
    print_table("B2: summary", ("figure", "value", "target"), [
        ("invite only (apply, invited at once)", invite_only, f"≤ 3 ({verdict(invite_only <= 3)})"),
        ("reused result (applies to another job)", reused, f"≤ 3 ({verdict(reused <= 3)})"),
        ("full lifecycle (apply, start, part scored, complete, evaluated)", full, f"≤ 9 ({verdict(full <= 9)})"),
        (f"backfill: {backfill['invited']} candidates invited by a full pass",
         f"{per_backfilled:.2f} calls each + {backfill['pages']} list page(s)",
         f"≤ {BACKFILL_MINIMUM} each + pages ({verdict(per_backfilled <= BACKFILL_MINIMUM)}); "
         + ", ".join(f"{k} ×{v}" for k, v in sorted(backfill["kinds"].items()))),
        ("account setup calls (once per account)", sum(setup_calls.values()),
         ", ".join(f"{k} ×{v}" for k, v in sorted(setup_calls.items()))),
        ("repeated account reads during lifecycles", life.account_reads, "0"),
        ("429 answers during lifecycles (retried; not counted above)", life.rate_limited, "0"),
        ("calls made / minimum, all lifecycles", f"{total_made} / {total_min} = {ratio:.2f}×",
         f"≤ 1.00× ({verdict(ratio <= 1.0 and life.account_reads == 0)})"),
    ])
    return {"made": total_made, "minimum": total_min, "ratio": ratio, "account_reads": life.account_reads,
            "steps": {k: list(v) for k, v in life.counts.items()}, "full_lifecycle": full,
            "rate_limited": life.rate_limited,
            "invite_only": invite_only, "reused": reused, "backfill_per_candidate": per_backfilled,
            "backfill_invited": backfill["invited"], "backfill_pages": backfill["pages"]}


def main(argv: list[str] | None = None) -> dict:
    """Command line entry: `python -m bench.b2_calls [--size N]`."""
    return command_line(run, __doc__, argv,
                        ("--size", int, 3, "candidates per job kind"))


if __name__ == "__main__":
    main()
