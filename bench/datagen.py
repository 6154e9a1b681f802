"""Bulk synthetic data for the dashboard benchmark: one organisation connected to Lever with many
candidates, invitations, outbox rows and sync-history lines, inserted in large batches."""

from __future__ import annotations

import random
import time
from datetime import timedelta

from sqlalchemy import insert

from dashboard.accounts import services as accounts
from dashboard.assessments import services as assessments
from dashboard.attempts.models import Attempt, Candidate, PartScore
from dashboard.core.clock import utcnow
from dashboard.core.search import normalise
from dashboard.extensions import db
from dashboard.lever.connection.crypto import encrypt
from dashboard.lever.connection.models import LeverConnection
from dashboard.lever.sync import job_counts
from dashboard.lever.sync.models import Effect, Invitation, LeverOpportunity, LeverPosting, SyncEvent

PASSWORD = "bench-password-1"
OWNER_EMAIL = "owner@bench.example"
BATCH = 20_000
STATUSES = ("invited", "in_progress", "completed", "completed", "expired")
HISTORY_KINDS = (("webhook", "ok", "applicationCreated received"), ("decision", "ok", "Invited to the assessment"),
                 ("email", "ok", "Invitation email sent"), ("lever_write", "ok", "Tag Alooba - Invited added"),
                 ("lever_write", "failed", "Lever answered 503; retrying"), ("retry", "waiting", "Retry due"))


def _bulk(model, rows) -> None:
    """Insert rows in batches with one executemany each."""
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start:start + BATCH])


def _assessment(org_id: int):
    a = assessments.create_assessment(org_id, name="Data Analyst Assessment", passing_score=60,
                                      time_limit_minutes=45, invitation_valid_days=7)
    auto = assessments.add_part(a.id, name="Basics", weight=1, grading="auto")
    assessments.add_question(auto.id, kind="multiple_choice", prompt="Q", choices=["a", "b"], correct_choice=1)
    manual = assessments.add_part(a.id, name="Written", weight=1, grading="manual")
    assessments.add_question(manual.id, kind="free_text", prompt="Explain", max_points=10)
    assessments.publish_assessment(a.id)
    return a, [auto.id, manual.id]


def generate(*, candidates: int = 100_000, history: int = 1_000_000, postings: int = 40,
             seed: int = 7) -> dict:
    """Create the data set in the current app context and commit; returns ids and timings."""
    rnd = random.Random(seed)
    started = time.perf_counter()
    org = accounts.create_organisation("Bench Analytics")
    owner = accounts.create_user(org.id, OWNER_EMAIL, "owner", name="Bench Owner", password=PASSWORD)
    conn = LeverConnection(organisation_id=org.id, status="connected", lever_account_id="acct-bench",
                           lever_env="local", access_token_enc=encrypt("x"), refresh_token_enc=encrypt("y"),
                           expires_at=utcnow() + timedelta(hours=1), connected_at=utcnow())
    db.session.add(conn)
    assessment, part_ids = _assessment(org.id)
    db.session.flush()
    oid, now = org.id, utcnow()
    posting_rows = [{"organisation_id": oid, "connection_id": conn.id, "lever_id": f"post-{i}",
                     "text": f"Job {i}", "tags": ["Alooba Assessment - Data Analyst Assessment"] if i % 4 else [],
                     "state": "published", "refreshed_at": now} for i in range(postings)]
    _bulk(LeverPosting, posting_rows)
    first_id = 1  # fresh database: ids are assigned from 1 in insertion order
    cand_rows, att_rows, opp_rows, inv_rows, ps_rows, eff_rows = [], [], [], [], [], []
    for i in range(candidates):
        n = first_id + i
        at = now - timedelta(minutes=candidates - i)
        status = STATUSES[i % len(STATUSES)]
        score = rnd.uniform(20, 100) if status == "completed" else None
        cand_rows.append({"id": n, "organisation_id": oid, "email": f"person{i}@example.com",
                          "name": f"Person {i}", "created_at": at,
                          "search_text": normalise(f"Person {i}", f"person{i}@example.com")})
        att_rows.append({"id": n, "organisation_id": oid, "candidate_id": n, "assessment_id": assessment.id,
                         "token": f"bench-{i}", "status": status, "invited_at": at, "deadline": at + timedelta(days=7),
                         "valid_from": at, "time_limit_minutes": assessment.time_limit_minutes,
                         "passing_score": assessment.passing_score, "extra_minutes": 0, "final_score": score,
                         "evaluation_state": "final" if score is not None else "pending", "source": "lever",
                         "completed_at": at if score is not None else None})
        opp_rows.append({"id": n, "organisation_id": oid, "connection_id": conn.id, "lever_id": f"opp-{i}",
                         "candidate_id": n, "posting_lever_id": f"post-{1 + (i % (postings - 1))}",
                         "name": f"Person {i}", "email": f"person{i}@example.com",
                         "profile_url": f"http://127.0.0.1:5001/candidates/opp-{i}", "archived": False,
                         "hired": False, "deleted": False, "tags_inherited": True, "first_seen_at": at,
                         "reason_code": "invited", "reason": "Invited.",
                         "search_text": normalise(f"Person {i}", f"person{i}@example.com")})
        inv_rows.append({"id": n, "organisation_id": oid, "opportunity_id": n, "assessment_id": assessment.id,
                         "attempt_id": n, "reused": False, "trigger": "application", "created_at": at})
        for part_id in part_ids:
            ps_rows.append({"attempt_id": n, "part_id": part_id, "score": score,
                            "state": "scored" if score is not None else "pending"})
        state = "dead" if i % 50 == 0 else "pending" if i % 33 == 0 else "done"
        eff_rows.append({"organisation_id": oid, "connection_id": conn.id, "opportunity_id": n, "attempt_id": n,
                         "candidate_id": n, "kind": "add_tags", "idempotency_key": f"tags:{n}", "payload": {},
                         "state": state, "attempts": 1, "next_try_at": at, "created_at": at,
                         "last_error": "Lever answered 500" if state == "dead" else None})
    for model, rows in ((Candidate, cand_rows), (Attempt, att_rows), (LeverOpportunity, opp_rows),
                        (Invitation, inv_rows), (PartScore, ps_rows), (Effect, eff_rows)):
        _bulk(model, rows)
    made = time.perf_counter()
    for start in range(0, history, BATCH):
        rows = []
        for j in range(start, min(history, start + BATCH)):
            n = first_id + (j % candidates)
            kind, outcome, summary = HISTORY_KINDS[j % len(HISTORY_KINDS)]
            rows.append({"organisation_id": oid, "candidate_id": n, "opportunity_id": n, "kind": kind,
                         "outcome": outcome, "summary": summary, "created_at": now - timedelta(seconds=history - j)})
        db.session.execute(insert(SyncEvent), rows)
    db.session.commit()
    _resync_sequences()
    job_counts.recount(oid)  # bulk inserts bypass the per-change counting: count once from the records
    db.session.commit()
    return {"organisation_id": oid, "owner_id": owner.id, "connection_id": conn.id,
            "sample_candidate_id": first_id + candidates // 2, "candidates": candidates, "history": history,
            "seconds_rows": round(made - started, 1), "seconds_history": round(time.perf_counter() - made, 1)}


def existing(*, candidates: int, history: int) -> dict:
    """The same ids `generate` returns, for a kept data set generated earlier with these sizes."""
    from sqlalchemy import select

    from dashboard.accounts.models import User

    owner = db.session.scalar(select(User).where(User.email == OWNER_EMAIL))
    conn = db.session.scalar(select(LeverConnection).where(LeverConnection.organisation_id == owner.organisation_id))
    return {"organisation_id": owner.organisation_id, "owner_id": owner.id, "connection_id": conn.id,
            "sample_candidate_id": 1 + candidates // 2, "candidates": candidates, "history": history,
            "seconds_rows": 0.0, "seconds_history": 0.0, "reused": True}


def _resync_sequences() -> None:
    """PostgreSQL sequences do not see explicit ids: move them past the data."""
    if db.engine.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for table in ("candidates", "attempts", "lever_opportunities", "lever_invitations"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"))
    db.session.commit()
