"""QUALITY.md R1 and R2 against the sandbox over HTTP.

CI runs a smaller size; R1_DELIVERIES=5000 and R2_CANDIDATES=100 run the full size.
"""

from __future__ import annotations

import os
import random

import pytest
from sqlalchemy import func, select

from dashboard.attempts import services as attempts
from dashboard.attempts.models import Attempt
from dashboard.extensions import db
from dashboard.lever.sync.models import Effect, InboxDelivery, Invitation
from dashboard.mail.models import MailMessage
from tests.support.connections import connected_org, signed
from tests.support.lever import point_app_at_fast_sandbox
from tests.support.sync import drain_worker

R1_DELIVERIES = int(os.environ.get("R1_DELIVERIES", "600"))
R2_CANDIDATES = int(os.environ.get("R2_CANDIDATES", "12"))


def test_r1_duplicated_shuffled_forged_deliveries_invite_exactly_once(app, client, sandbox, make_org):
    point_app_at_fast_sandbox(app, sandbox)
    rng = random.Random(1)
    distinct_target = int(R1_DELIVERIES / 1.43)
    per_org = max(4, int(distinct_target / 1.4 / 3))
    good, expected = [], {}
    orgs = []
    for i in range(3):
        org, connection, account_id, postings, stages = connected_org(sandbox, make_org, i)
        orgs.append((org, connection))
        plan = [rng.choice(["Data Analyst", "Senior Data Analyst", "Data Engineer"]) for _ in range(per_org)]
        opps = sandbox.admin("POST", "/_admin/applications", {"account_id": account_id, "applications": [
            {"posting_id": postings[p], "name": f"Cand {i}-{n}", "email": f"c{i}-{n}@example.com"}
            for n, p in enumerate(plan)]})
        expected[org.id] = 0
        for posting, opp in zip(plan, opps, strict=True):
            data = {"opportunityId": opp["id"], "candidateId": opp["id"], "contactId": opp["id"]}
            good.append((connection, signed(connection.test_signature_token, data=data)))
            if posting == "Senior Data Analyst":
                stage = rng.choice(["Phone Screen", "Hiring Manager Review"])
                sandbox.admin("POST", f"/_admin/opportunities/{opp['id']}/stage", {"stage_id": stages[stage]})
                good.append((connection, signed(connection.test_signature_token, event="candidateStageChange",
                                                data={**data, "toStageId": stages[stage]})))
                expected[org.id] += stage == "Hiring Manager Review"
            elif posting == "Data Analyst":
                expected[org.id] += 1
    deliveries = [(c, b, True) for c, b in good]
    deliveries += [(c, dict(b), True) for c, b in rng.choices(good, k=int(len(good) * 0.3))]
    bad_count = int(len(deliveries) / 9)
    for _ in range(bad_count):
        target, body = rng.choice(good)
        forged = dict(body, token=f"forged-{rng.getrandbits(64):x}")
        if rng.random() < 0.5:  # signed with another organisation's token
            other = next(c for _, c in orgs if c.id != target.id)
            forged = signed(other.test_signature_token, event=body["event"], data=body["data"])
        deliveries.append((target, forged, False))
    rng.shuffle(deliveries)

    for connection, body, valid in deliveries:
        resp = client.post(f"/webhooks/lever/{connection.public_id}", json=body)
        assert resp.status_code == (200 if valid else 401), resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(InboxDelivery.id))) == len(good)

    drain_worker(rounds=10 + len(good) // 5)
    for org, _ in orgs:
        invited = db.session.scalar(select(func.count(Invitation.id)).where(Invitation.organisation_id == org.id))
        assert invited == expected[org.id]
        emails = db.session.scalar(select(func.count(MailMessage.id)).where(MailMessage.organisation_id == org.id))
        assert emails == expected[org.id]
    assert db.session.scalar(select(func.count(Effect.id)).where(Effect.state != "done")) == 0
    print(f"R1: {len(deliveries)} deliveries ({len(good)} distinct, {bad_count} forged), "
          f"{sum(expected.values())} invitations")


@pytest.mark.parametrize("faults", [{"error_rate": 0.2, "rate_limit_rate": 0.1, "timeout_rate": 0.05,
                                     "timeout_seconds": 1.5, "drop_response_after_write_rate": 0.05}])
def test_r2_every_effect_lands_through_faults(app, client, sandbox, make_org, faults):
    from dashboard.attempts.services import evaluate_attempt

    point_app_at_fast_sandbox(app, sandbox)
    org, connection, account_id, postings, _ = connected_org(sandbox, make_org, 0)
    opps = sandbox.admin("POST", "/_admin/applications", {"account_id": account_id, "applications": [
        {"posting_id": postings["Data Analyst"], "name": f"Faulty {n}", "email": f"f{n}@example.com"}
        for n in range(R2_CANDIDATES)]})
    sandbox.set_faults(**faults)
    for opp in opps:
        body = signed(connection.test_signature_token, data={"opportunityId": opp["id"]})
        assert client.post(f"/webhooks/lever/{connection.public_id}", json=body).status_code == 200
    drain_worker(rounds=400)
    for attempt in db.session.scalars(select(Attempt)).all():
        attempts.start_attempt(attempt.id)
        parts = sorted(attempt.part_scores, key=lambda ps: ps.part.position)
        attempts.submit_part(attempt.id, parts[0].part_id, {q.id: 1 for q in parts[0].part.questions})
        attempts.submit_part(attempt.id, parts[1].part_id, {q.id: "text" for q in parts[1].part.questions})
        db.session.commit()
        drain_worker(rounds=3, must_settle=False)  # interleave provisional writes with faults
        question = parts[1].part.questions[0]
        answer = next(a for a in attempt.answers if a.question_id == question.id)
        evaluate_attempt(attempt.id, {answer.id: 10}, None)
        db.session.commit()
    drain_worker(rounds=600)
    sandbox.set_faults(error_rate=0, rate_limit_rate=0, timeout_rate=0, drop_response_after_write_rate=0)
    statuses = [c.get("status") for c in sandbox.calls()]
    assert statuses.count(500) > 0 and statuses.count(429) > 0  # the faults really happened

    assert db.session.scalar(select(func.count(Effect.id)).where(Effect.state != "done")) == 0
    state = sandbox.state(account_id)
    by_id = {o["id"]: o for o in state["opportunities"]}
    for opp in opps:
        lever_opp = by_id[opp["id"]]
        forms = [f for f in lever_opp["feedback"] if not f.get("deletedAt")]
        assert len(forms) == 1, lever_opp["feedback"]
        values = {f["text"]: f["value"] for f in forms[0]["fields"]}
        assert values["Score status"] == "Final" and values["Rating"] == "4 - Strong Hire"
        assert {t for t in lever_opp["tags"] if t.startswith("Alooba - ")} == {"Alooba - Completed"}
        assert "Alooba Assessment - Data Analyst Assessment" in lever_opp["tags"]
        assert len(lever_opp["links"]) == 1
    assert db.session.scalar(select(func.count(MailMessage.id))) == R2_CANDIDATES
