"""A property-based state machine over the whole pipeline against the sandbox subprocess.

Steps: applications to tagged / untagged / stage-tagged jobs, stage moves, archiving, deliveries
(valid, duplicated, reordered, dropped, forged: signed bodies posted to the receiver), sandbox faults
on and off, worker crashes before the effect (claimed rows abandoned) and after it (the email handed to
the SMTP server, or Lever's answer to each kind of write received, then the process dies before its
commit), token expiry, worker runs, the reconciliation job, a person's decisions on interrupted
emails, candidate progress.

What is checked is what people see, read from outside the platform: the emails a real SMTP server
received, and the tags and forms Lever itself holds. After every step: at most one invitation email
per attempt (so per (opportunity, assessment)), at most one live feedback form per (opportunity,
attempt). Once settled (faults off, reconciliation run, worker drained): every opportunity of a linked
job in Lever is known with Lever's stage and archive state, dropped deliveries included; exactly one
status tag on every invited opportunity, matching its attempts and whether the email is known to have
gone out; exactly one live form per scored attempt with the rating, score and per-part scores equal to
the platform's; every valid delivery stored once and processed; nothing left claimed, pending or dead.

CI size: SM_EXAMPLES=20, SM_STEPS=30, derandomized. `make fuzz` runs it with random seeds.
"""

from __future__ import annotations

import os
import re
import secrets
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select, update

from dashboard.accounts import services as accounts
from dashboard.assessments.models import Part
from dashboard.assessments.rating import rating_for
from dashboard.attempts.models import Attempt
from dashboard.core.clock import utcnow
from dashboard.core.scores import format_score
from dashboard.extensions import db
from dashboard.jobs.runs import run_job
from dashboard.lever.api.client import LeverClient
from dashboard.lever.connection.clients import client_for
from dashboard.lever.sync import effects, inbox, outbox, performers
from dashboard.lever.sync import services as sync_services
from dashboard.lever.sync.models import Effect, InboxDelivery, Invitation, LeverOpportunity
from dashboard.mail import services as mail_services
from tests.support.attempts import advance
from tests.support.connections import connected_org, signed
from tests.support.database import reset_schema
from tests.support.lever import point_app_at_fast_sandbox
from tests.support.sync import drain_worker

EXAMPLES = int(os.environ.get("SM_EXAMPLES", "20"))
STEPS = int(os.environ.get("SM_STEPS", "30"))
POSTINGS = ["Data Analyst", "Senior Data Analyst", "Data Engineer"]
STAGES = ["Phone Screen", "Hiring Manager Review", "On-site"]
EMAILS = [f"person{n}@example.com" for n in range(5)]  # a small pool: the same person applies again
STATUS_PREFIX = "Alooba - "
FAULTS_ON = {"error_rate": 0.15, "rate_limit_rate": 0.1, "drop_response_after_write_rate": 0.05}
FAULTS_OFF = {"error_rate": 0, "rate_limit_rate": 0, "timeout_rate": 0, "drop_response_after_write_rate": 0}


LINK = re.compile(r"/a/([A-Za-z0-9_\-]+)")
# A worker process dies right after one of these returned (the email handed to the SMTP server, or
# Lever's answer received), before its transaction commits.
CRASH_POINTS = {
    "send_invitation": [(mail_services, "deliver_mime")],
    "inherit_tags": [(LeverClient, "add_tags")],
    "add_link": [(LeverClient, "add_links")],
    "status_tag": [(LeverClient, "add_tags"), (LeverClient, "remove_tags")],
    "feedback": [(LeverClient, "create_feedback"), (LeverClient, "update_feedback")],
}


class WorkerDied(BaseException):
    """The process stopped: nothing after this point of the worker runs (not even its commit)."""


@contextmanager
def dies_after(points):
    """Within the block, the first return from any of `points` kills the worker (raises WorkerDied)."""
    originals = [(owner, name, getattr(owner, name)) for owner, name in points]

    def wrap(original):
        def call(*args, **kwargs):
            original(*args, **kwargs)
            raise WorkerDied(original.__name__)
        return call

    for owner, name, original in originals:
        setattr(owner, name, wrap(original))
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def invitation_emails(sink) -> Counter:
    """How many invitation emails the SMTP server received, per attempt link token."""
    counts = Counter()
    for message in sink.messages:
        if str(message["Subject"]).startswith("Your invitation:"):
            body = message.get_body(preferencelist=("plain",)).get_content()
            counts.update(set(LINK.findall(body)))
    return counts


def expected_parts(attempt: Attempt) -> str:
    """The per-part lines of the platform's scores, in the assessment's order."""
    scores = {ps.part_id: ps for ps in attempt.part_scores}
    lines = []
    for part in db.session.scalars(select(Part).where(Part.assessment_id == attempt.assessment_id)
                                   .order_by(Part.position)):
        ps = scores.get(part.id)
        if ps is not None and ps.state == "scored" and ps.score is not None:
            lines.append(f"{part.name}: {format_score(ps.score)}")
        else:  # awaiting evaluation reads as before the submission: Lever shows no score yet
            lines.append(f"{part.name}: not scored yet")
    return "\n".join(lines)


def expected_status(opp_id: int, announced: set[int]) -> str | None:
    """The least advanced live attempt status behind the opportunity's invitations; an open invitation
    counts once its email is known to have gone out (`announced`: attempt ids)."""
    statuses = {status for attempt_id, status in db.session.execute(select(Attempt.id, Attempt.status).join(
        Invitation, Invitation.attempt_id == Attempt.id).where(Invitation.opportunity_id == opp_id))
        if status != "invited" or attempt_id in announced}
    for status, tag in (("invited", "Invited"), ("in_progress", "In Progress"), ("completed", "Completed")):
        if status in statuses:
            return STATUS_PREFIX + tag
    return None


def live_forms(lever_opp: dict) -> list[dict]:
    return [f for f in lever_opp.get("feedback") or [] if not f.get("deletedAt")]


def reference_of(form: dict) -> str | None:
    return next((f.get("value") for f in form.get("fields") or [] if f.get("text") == "Reference"), None)


class Pipeline(RuleBasedStateMachine):
    """One organisation connected to one sandbox account; we play Lever's webhooks ourselves."""

    app = client = sandbox = sink = None  # set by the test before running
    seen: Counter = Counter()  # what the examples exercised, over the whole run

    def __init__(self) -> None:
        super().__init__()
        db.session.remove()
        reset_schema()
        self.sandbox.admin("POST", "/_admin/reset")
        point_app_at_fast_sandbox(self.app, self.sandbox)
        self.app.config["LEVER_OUTCOME_SETTLE_SECONDS"] = 0.3
        self.org, self.connection, self.account_id, self.postings, self.stages = connected_org(
            self.sandbox, lambda name: self._org(name), 0)
        self.evaluator = accounts.create_user(self.org.id, "evaluator@example.com", "recruiter", name="Eve")
        db.session.commit()
        self.key = self.connection.test_signature_token
        self.url = f"/webhooks/lever/{self.connection.public_id}"
        self.opps: list[str] = []
        self.queued: list[dict] = []  # fired by Lever, not yet delivered (the order is ours to pick)
        self.delivered: list[dict] = []  # valid deliveries posted at least once
        self.faults = False
        self.sink.messages.clear()

    @staticmethod
    def _org(name: str):
        org = accounts.create_organisation(name)
        db.session.commit()
        return org

    # -- Lever side ---------------------------------------------------------------------------------

    def _fire(self, event: str, opp_id: str, **extra) -> None:
        self.queued.append(signed(self.key, event=event, data={"opportunityId": opp_id, **extra}))

    @initialize(count=st.integers(1, 3))
    def first_applications(self, count):
        """A few candidates for the tagged job, delivered and invited (so later steps have attempts)."""
        for n in range(count):
            self.apply("Data Analyst", EMAILS[n])
        self.deliver_all(0)
        drain_worker(rounds=50)

    @rule(posting=st.sampled_from(POSTINGS), email=st.sampled_from(EMAILS))
    def apply(self, posting, email):
        opp = self.sandbox.admin("POST", "/_admin/applications", {
            "account_id": self.account_id, "posting_id": self.postings[posting], "name": email.split("@")[0],
            "email": email})
        self.opps.append(opp["id"])
        self._fire("applicationCreated", opp["id"])

    @rule(pick=st.integers(0, 99), stage=st.sampled_from(STAGES))
    def move_stage(self, pick, stage):
        if not self.opps:
            return
        opp_id = self.opps[pick % len(self.opps)]
        self.sandbox.admin("POST", f"/_admin/opportunities/{opp_id}/stage", {"stage_id": self.stages[stage]})
        self._fire("candidateStageChange", opp_id, toStageId=self.stages[stage])

    @rule(pick=st.integers(0, 99))
    def archive(self, pick):
        if not self.opps:
            return
        opp_id = self.opps[pick % len(self.opps)]
        self.sandbox.admin("POST", f"/_admin/opportunities/{opp_id}/archive", {})
        self._fire("candidateArchiveChange", opp_id)

    # -- deliveries ---------------------------------------------------------------------------------

    def _post(self, body: dict, expect: int) -> None:
        resp = self.client.post(self.url, json=body)
        assert resp.status_code == expect, (resp.status_code, resp.get_data(as_text=True))

    @rule(pick=st.integers(0, 99), duplicate=st.booleans())
    def deliver(self, pick, duplicate):
        """Deliver one queued delivery (any of them: reordering), maybe twice."""
        if not self.queued:
            return
        body = self.queued.pop(pick % len(self.queued))
        self._post(body, 200)
        if duplicate:
            self._post(dict(body), 200)
        self.delivered.append(body)

    @rule(seed=st.integers(0, 2 ** 16))
    def deliver_all(self, seed):
        """Lever catches up: every queued delivery arrives, in a shuffled order."""
        import random

        random.Random(seed).shuffle(self.queued)
        while self.queued:
            self.deliver(0, False)

    @rule(pick=st.integers(0, 99))
    def redeliver_later(self, pick):
        """Lever retries a delivery we already acknowledged."""
        if self.delivered:
            self._post(dict(self.delivered[pick % len(self.delivered)]), 200)

    @rule(pick=st.integers(0, 99))
    def drop(self, pick):
        """Lever never delivers this one."""
        if self.queued:
            self.queued.pop(pick % len(self.queued))

    @rule(pick=st.integers(0, 99), how=st.sampled_from(["token", "signature", "other_key"]))
    def forged(self, pick, how):
        source = (self.queued + self.delivered)
        if not source:
            return
        body = dict(source[pick % len(source)])
        if how == "token":
            body["token"] = secrets.token_hex(16)
        elif how == "signature":
            body["signature"] = "0" * 64
        else:
            body = signed("not-our-signature-token", event=body["event"], data=body["data"])
        before = db.session.scalar(select(func.count(InboxDelivery.id)))
        self._post(body, 401)
        assert db.session.scalar(select(func.count(InboxDelivery.id))) == before

    # -- faults, crashes, time ------------------------------------------------------------------------

    @rule(on=st.booleans())
    def sandbox_faults(self, on):
        self.sandbox.set_faults(**(FAULTS_ON if on else FAULTS_OFF))
        self.faults = on

    @rule(count=st.integers(1, 3), pick=st.integers(0, 99))
    def worker_crash(self, count, pick):
        """A worker claimed rows and died: claims abandoned long ago, then released."""
        long_ago = utcnow() - timedelta(hours=1)
        # A row that already took a worker down several times is a poison row, made dead by design
        # (MAX_ATTEMPTS); crashes here hit ordinary rows.
        pending = list(db.session.scalars(select(Effect.id).where(
            Effect.state == "pending", Effect.attempts < 3).order_by(Effect.id)))
        effect_ids = [pending[(pick + n) % len(pending)] for n in range(min(count, len(pending)))]
        if effect_ids:
            db.session.execute(update(Effect).where(Effect.id.in_(effect_ids)).values(
                state="claimed", claimed_at=long_ago, claimed_by="dead-worker", attempts=Effect.attempts + 1))
        delivery_ids = list(db.session.scalars(select(InboxDelivery.id).where(
            InboxDelivery.state == "pending").limit(count)))
        if delivery_ids:
            db.session.execute(update(InboxDelivery).where(InboxDelivery.id.in_(delivery_ids)).values(
                state="claimed", claimed_at=long_ago, attempts=InboxDelivery.attempts + 1))
        db.session.commit()
        effects.release_stale_claims()
        db.session.commit()

    @rule(pick=st.integers(0, 99))
    def worker_dies_after_email(self, pick):
        """The invitation email reached the SMTP server; the worker died before its commit."""
        self._dies_after_effect("send_invitation", pick)

    @rule(kind=st.sampled_from(sorted(set(CRASH_POINTS) - {"send_invitation"})), pick=st.integers(0, 99))
    def worker_dies_after_lever_write(self, kind, pick):
        """Lever answered the write; the worker died before its commit."""
        self._dies_after_effect(kind, pick)

    def _dies_after_effect(self, kind, pick):
        """A worker processes the inbox, claims one row of `kind` (else of any kind that can die after
        its effect), performs it (the email reaches the SMTP server, or Lever answers the write) and
        dies before committing; later its claim is found abandoned."""
        self.seen["crash steps"] += 1
        inbox.run("doomed-worker")
        db.session.commit()
        rows = db.session.execute(select(Effect.id, Effect.kind).where(
            Effect.state == "pending", Effect.kind.in_(CRASH_POINTS), Effect.attempts < 3)
            .order_by(Effect.id)).all()
        pending = [effect_id for effect_id, k in rows if k == kind] or [effect_id for effect_id, _ in rows]
        if not pending:
            return
        self.seen["crash steps with work"] += 1
        effect_id = pending[pick % len(pending)]
        kind = db.session.get(Effect, effect_id).kind
        if not outbox.claim(effect_id, "doomed-worker"):
            db.session.rollback()
            return
        db.session.commit()
        try:
            with dies_after(CRASH_POINTS[kind]):
                performers.perform(db.session.get(Effect, effect_id), client_for)
        except WorkerDied:
            self.seen[f"died after {kind}"] += 1
            db.session.rollback()
            db.session.execute(update(Effect).where(Effect.id == effect_id).values(
                claimed_at=utcnow() - timedelta(hours=1)))
            db.session.commit()
            effects.release_stale_claims()
        db.session.commit()  # never reached the write (skipped, or Lever refused it): the worker lived on

    @rule()
    def reconcile(self):
        """The scheduler's opportunities job (reconciliation) runs, faults or not."""
        run_job("opportunities", organisation_id=self.org.id)
        db.session.commit()

    @rule()
    def person_decides(self):
        """Interrupted invitation emails wait for a person, who asks the candidate: resend when the
        email never arrived, leave it otherwise."""
        received = invitation_emails(self.sink)
        undecided = db.session.scalars(select(Effect).where(
            Effect.state == "needs_decision", Effect.kind == "send_invitation")).all()
        for effect in undecided:
            self.seen["interrupted emails decided"] += 1
            if not received[db.session.get(Attempt, effect.attempt_id).token]:
                sync_services.retry_effect(self.org.id, effect.id, self.evaluator.id)
        db.session.commit()

    @rule()
    def token_expires(self):
        self.connection = db.session.merge(self.connection)
        db.session.refresh(self.connection)
        self.connection.expires_at = utcnow() - timedelta(minutes=5)
        db.session.commit()

    @rule(passes=st.integers(1, 3), catch_up=st.booleans())
    def run_worker(self, passes, catch_up):
        """A few worker passes; with catch_up, every back-off has already elapsed."""
        from dashboard.jobs.worker import run_once

        for _ in range(passes):
            if catch_up:
                db.session.execute(update(Effect).where(Effect.state == "pending").values(next_try_at=utcnow()))
                db.session.execute(update(InboxDelivery).where(InboxDelivery.state == "pending")
                                   .values(next_try_at=utcnow()))
                db.session.commit()
            run_once()

    # -- the candidate ------------------------------------------------------------------------------

    @rule(pick=st.integers(0, 99), correct=st.integers(0, 4), points=st.integers(0, 10))
    def candidate_progresses(self, pick, correct, points):
        """The next thing for one attempt: start, submit the next part, or (staff) evaluate."""
        live = db.session.scalars(select(Attempt).where(Attempt.status.in_(("invited", "in_progress")) | (
            (Attempt.status == "completed") & (Attempt.evaluation_state != "final"))).order_by(Attempt.id)).all()
        if not live:
            return
        advance(live[pick % len(live)], self.evaluator.id, correct, points)

    # -- properties -----------------------------------------------------------------------------------

    @invariant()
    def one_invitation_email_per_opportunity_and_assessment(self):
        """Counted from what the SMTP server received: one attempt per (opportunity, assessment), one
        email per attempt link."""
        db.session.rollback()
        twice = {token: n for token, n in invitation_emails(self.sink).items() if n > 1}
        assert not twice, ("invitation emailed more than once", twice)

    @invariant()
    def one_live_feedback_form_per_opportunity_and_attempt(self):
        for lever_opp in self.sandbox.state(self.account_id)["opportunities"]:
            refs = [reference_of(f) for f in live_forms(lever_opp)]
            refs = [r for r in refs if r]
            assert len(refs) == len(set(refs)), (lever_opp["id"], refs)

    def teardown(self):
        try:
            self.settle()
        finally:
            self.sandbox.set_faults(**FAULTS_OFF)

    def _reconnect_if_needed(self) -> None:
        """A refresh whose answer was lost leaves Lever holding a rotated token we never saw: the
        product asks for a reconnect (test_r4_revoked covers the real flow); the owner does it."""
        from dashboard.lever.connection.crypto import encrypt
        from dashboard.lever.connection.models import LeverConnection
        from tests.support.connections import SCOPES

        db.session.expire_all()
        conn = db.session.get(LeverConnection, self.connection.id)
        if conn.status != "reconnect_needed":
            return
        minted = self.sandbox.mint_token(client_id="dashboard-local", account_id=self.account_id,
                                         user_id=conn.perform_as_user_id, scopes=SCOPES)
        conn.access_token_enc, conn.refresh_token_enc = encrypt(minted["access_token"]), encrypt(
            minted["refresh_token"])
        conn.expires_at, conn.status, conn.status_reason = utcnow() + timedelta(hours=1), "connected", None
        db.session.commit()

    def settle(self):
        """Faults off, a person decides, reconciliation runs, the worker drains; then the converged state."""
        self.sandbox.set_faults(**FAULTS_OFF)
        self._reconnect_if_needed()
        drain_worker(rounds=200)
        self.person_decides()
        [run] = run_job("opportunities", organisation_id=self.org.id)
        assert run.status == "ok", (run.status, run.error)
        db.session.commit()
        drain_worker(rounds=200)
        db.session.expire_all()
        # inbox: every valid delivery stored exactly once and processed; nothing stuck
        tokens = [b["token"] for b in self.delivered]
        stored = db.session.scalars(select(InboxDelivery).where(InboxDelivery.token.in_(tokens))).all()
        assert sorted(d.token for d in stored) == sorted(tokens)
        assert {d.state for d in stored} <= {"done"}, [(d.token, d.state, d.error) for d in stored]
        assert db.session.scalar(select(func.count(InboxDelivery.id))) == len(tokens)
        # emails: each invitation the platform counts as sent reached the candidate exactly once; one
        # whose sending was interrupted after the server took it waits for a person, and reached them once
        received = invitation_emails(self.sink)
        announced = set()
        for effect in db.session.scalars(select(Effect).where(Effect.kind == "send_invitation")):
            attempt = db.session.get(Attempt, effect.attempt_id)
            if effect.state == "done" and attempt.status != "invited" and not received[attempt.token]:
                continue  # the candidate started before the email was due: nothing was sent
            if effect.state in ("done", "needs_decision"):
                assert received[attempt.token] == 1, (attempt.id, effect.state, received[attempt.token])
            if effect.state == "done":
                announced.add(attempt.id)
        states = dict(db.session.execute(select(Effect.state, func.count(Effect.id)).group_by(Effect.state)).all())
        stuck = db.session.execute(select(Effect.kind, Effect.state, Effect.attempts, Effect.last_error).where(
            Effect.state.not_in(("done", "cancelled")),
            ~((Effect.state == "needs_decision") & (Effect.kind == "send_invitation")))).all()
        assert not stuck, (states, stuck)
        # reconciliation: every opportunity of a linked job in Lever is known as Lever shows it, and
        # decided (invited, or a reason), dropped deliveries included
        lever = {o["id"]: o for o in self.sandbox.state(self.account_id)["opportunities"]}
        linked = {self.postings["Data Analyst"], self.postings["Senior Data Analyst"]}
        known = {o.lever_id: o for o in db.session.scalars(select(LeverOpportunity))}
        invited_ids = set(db.session.scalars(select(Invitation.opportunity_id)))
        for lever_id, data in lever.items():
            if not {a.get("posting") for a in data.get("applications") or []} & linked:
                continue
            ours = known.get(lever_id)
            assert ours is not None, ("never learned of", lever_id)
            assert ours.stage_lever_id == data["stage"], (lever_id, ours.stage_lever_id, data["stage"])
            assert ours.archived == (data.get("archived") is not None), (lever_id, ours.archived, data["archived"])
            assert ours.id in invited_ids or ours.reason_code, ("undecided", lever_id)
        # Lever: one status tag on every opportunity at most, the right one on invited ones
        for lever_id, data in lever.items():
            assert len([t for t in data["tags"] if t.startswith(STATUS_PREFIX)]) <= 1, (lever_id, data["tags"])
        invited = db.session.scalars(select(LeverOpportunity).join(
            Invitation, Invitation.opportunity_id == LeverOpportunity.id).distinct()).all()
        for opp in invited:
            tags = [t for t in lever[opp.lever_id]["tags"] if t.startswith(STATUS_PREFIX)]
            want = expected_status(opp.id, announced)
            assert tags == ([want] if want else []), (opp.lever_id, tags, want)
        # Lever: exactly one live form per scored attempt on each live opportunity, with the platform's values
        forms = 0
        for attempt in db.session.scalars(select(Attempt).where(Attempt.final_score.is_not(None))):
            for invitation in db.session.scalars(select(Invitation).where(Invitation.attempt_id == attempt.id)):
                opp = db.session.get(LeverOpportunity, invitation.opportunity_id)
                if opp.deleted:
                    continue
                ours = [f for f in live_forms(lever[opp.lever_id]) if reference_of(f) == f"attempt-{attempt.id}"]
                assert len(ours) == 1, ("live forms for a scored attempt", opp.lever_id, attempt.id, len(ours))
                forms += 1
                values = {f["text"]: f.get("value") for f in ours[0]["fields"]}
                assert values["Scores by part"] == expected_parts(attempt), (values["Scores by part"], attempt.id)
                if attempt.evaluation_state == "final":  # the rating comes only with the final score
                    passing = attempt.assessment.passing_score
                    assert values["Rating"] == rating_for(passing, attempt.final_score).label
                    assert values["Final score"] == format_score(attempt.final_score)
                    assert values["Score status"] == "Final"
                else:
                    assert values["Rating"] is None and values["Final score"].startswith("Not final")
                    assert values["Score status"].startswith("Provisional")
        self.seen["forms compared"] += forms
        self.seen["emails received"] += sum(received.values())
        self.seen["examples settled"] += 1
        self.seen["opportunities learned by reconciliation only"] += len(
            set(known) - {b["data"]["opportunityId"] for b in self.delivered})
        if os.environ.get("SM_VERBOSE"):
            print(f"settled: {len(tokens)} deliveries, {len(lever)} opportunities, {len(invited)} invited, "
                  f"{states}, {sum(received.values())} emails, {forms} forms checked")


@pytest.fixture
def pipeline(app, client, sandbox, smtp_server):
    Pipeline.app, Pipeline.client, Pipeline.sandbox, Pipeline.sink = app, client, sandbox, smtp_server
    yield Pipeline
    Pipeline.app = Pipeline.client = Pipeline.sandbox = Pipeline.sink = None


def test_pipeline_state_machine(pipeline):
    pipeline.seen.clear()
    run_state_machine_as_test(pipeline, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
        derandomize=os.environ.get("SM_RANDOM") is None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
    print(f"\npipeline state machine: {dict(sorted(pipeline.seen.items()))}")


def test_pipeline_dies_after_every_kind_of_effect(pipeline):
    """The same machine driven through a fixed story, so that a worker dies after each kind of effect
    (the email handed to SMTP; each kind of Lever write answered) whatever the generated examples hit,
    with a dropped delivery that only reconciliation can recover."""
    pipeline.seen.clear()
    machine = pipeline()
    try:
        machine.first_applications(2)
        machine.apply("Data Analyst", EMAILS[2])
        machine.apply("Senior Data Analyst", EMAILS[3])
        machine.deliver_all(0)
        machine.worker_dies_after_email(0)
        for kind in ("add_link", "inherit_tags", "status_tag"):
            machine.worker_dies_after_lever_write(kind, 0)
        machine.apply("Data Analyst", EMAILS[4])
        machine.drop(0)  # never delivered: reconciliation must find it
        machine.run_worker(3, True)
        for step in range(12):  # every attempt started, submitted and evaluated, dying after its writes
            machine.candidate_progresses(step, 3, 7)
            machine.worker_dies_after_lever_write("feedback" if step % 2 else "status_tag", 0)
            machine.one_invitation_email_per_opportunity_and_assessment()
            machine.one_live_feedback_form_per_opportunity_and_attempt()
        machine.person_decides()
    finally:
        machine.teardown()
    died = {k for k, n in pipeline.seen.items() if k.startswith("died after") and n}
    assert died == {f"died after {kind}" for kind in CRASH_POINTS}, pipeline.seen
    assert pipeline.seen["forms compared"] >= 1, pipeline.seen
    assert pipeline.seen["opportunities learned by reconciliation only"] >= 1, pipeline.seen
