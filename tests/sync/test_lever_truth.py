"""What Lever shows is true, against the sandbox over HTTP: no rating before the final score, no Invited
tag for an email that did not go out (an unusable address, a mail server's permanent refusal), and a
connection without the stage-change permission says so and keeps syncing the rest."""

from __future__ import annotations

from sqlalchemy import func, select

from dashboard.accounts.services import find_user_by_email
from dashboard.attempts import services as attempts
from dashboard.extensions import db
from dashboard.lever.api.oauth import ARCHIVE_REASONS_SCOPE
from dashboard.lever.sync.models import Effect, LeverOpportunity, SyncEvent
from dashboard.mail.models import MailMessage
from tests.support.attempts import attempt_for, finish_and_evaluate, take
from tests.support.automation import archive_calls, our_moves, refresh_reasons, set_automation
from tests.support.lever import CONNECT, connect
from tests.support.processes import free_port
from tests.support.sync import DA_TAG, drain_worker, field, reconcile, status_tags

UNUSABLE = {
    "markup": '"><img/src=x>@x.example',
    "no domain": "nodomain@",
    "several @": "two@at@signs.example",
    "empty": "",
}


def test_the_rating_is_written_only_with_the_final_score_on_the_same_form(world):
    opp = world.apply("Data Analyst", "Rae Rating", "rae@example.com")
    world.step(1)
    attempt = attempt_for("rae@example.com")
    take(attempt, correct=4)  # the auto part: 100 %; the written part waits for an evaluator
    manual = next(ps for ps in attempt.part_scores if ps.part.grading == "manual")
    attempts.submit_part(attempt.id, manual.part_id, {q.id: "My analysis" for q in manual.part.questions})
    db.session.commit()
    world.drain()
    [form] = world.feedback(opp["id"])
    assert field(form, "Rating") is None  # the score-system value: no rating from a partial score
    assert field(form, "Scores by part") == "SQL & Statistics basics: 100%\nWritten analysis: not scored yet"
    assert field(form, "Final score") == "Not final: 100% provisional, covering only the scored parts (1 of 2)"
    assert field(form, "Score status") == ("Provisional: 1 of 2 parts not scored yet; no rating until the final "
                                           "score")
    assert not [f for f in form["fields"] if "Hire" in str(f.get("value"))]

    question = manual.part.questions[0]
    answer = next(a for a in attempt.answers if a.question_id == question.id)
    attempts.evaluate_attempt(attempt.id, {answer.id: 4}, find_user_by_email("admin@acme.example").id)
    db.session.commit()
    world.drain()
    [final] = world.feedback(opp["id"])
    assert final["id"] == form["id"]  # updated in place
    assert field(final, "Scores by part") == "SQL & Statistics basics: 100%\nWritten analysis: 40%"
    assert (field(final, "Final score"), field(final, "Score status")) == ("70%", "Final")
    assert field(final, "Rating") == "3 - Hire"  # pass mark 60: 60 <= 70 < 80


def test_an_unusable_email_is_not_invited_and_gets_no_invited_tag(world):
    opps = {kind: world.apply("Data Analyst", f"Una {kind.title()}", address) for kind, address in UNUSABLE.items()}
    world.step(len(opps))
    assert db.session.scalar(select(func.count(MailMessage.id))) == 0
    for kind, address in UNUSABLE.items():
        lever_opp = world.opportunity(opps[kind]["id"])
        assert status_tags(lever_opp) == set(), kind
        assert DA_TAG in lever_opp["tags"]  # still the job's tags: it is an applicant of a linked job
        row = db.session.scalar(select(LeverOpportunity).where(LeverOpportunity.lever_id == opps[kind]["id"]))
        assert row.email is None and row.candidate_id is None
        [line] = db.session.scalars(select(SyncEvent).where(SyncEvent.opportunity_id == row.id,
                                                            SyncEvent.summary.like("Not invited%"))).all()
        assert line.summary.startswith("Not invited (email unusable): Lever holds "), line.summary
        assert (f"“{address}”" in line.summary) if address else "no email address" in line.summary
        assert (line.outcome, line.detail) == ("failed", "reason: email_unusable")
    attention = world.client.get("/lever/attention").get_data(as_text=True)
    for kind in UNUSABLE:  # each waits for a person, named, with the address shown as text
        assert f"Una {kind.title()}" in attention, kind
    assert "<img/src=x>" not in attention and "&lt;img/src=x&gt;" in attention
    reconcile(world)  # said once, not again on every pass
    assert db.session.scalar(select(func.count(SyncEvent.id)).where(SyncEvent.summary.like("Not invited%"))) == 4
    assert db.session.scalar(select(func.count(MailMessage.id))) == 0


def test_a_permanent_smtp_refusal_is_not_retried_and_leaves_no_invited_tag(world, refusing_smtp_server):
    opp = world.apply("Data Analyst", "Rob Refused", "rob@example.com")
    world.step(1)
    world.drain()
    assert refusing_smtp_server.refused == 1  # one delivery attempt: a 5xx is final
    effect = db.session.scalar(select(Effect).where(Effect.kind == "send_invitation"))
    assert (effect.state, effect.attempts) == ("dead", 1)
    assert "554" in effect.last_error and "refused by policy" in effect.last_error
    message = db.session.scalar(select(MailMessage).where(MailMessage.to == "rob@example.com"))
    assert (message.status, message.attempts) == ("failed", 1)
    assert status_tags(world.opportunity(opp["id"])) == set()  # Invited means the email went out
    line = db.session.scalar(select(SyncEvent).where(SyncEvent.summary.like("Invitation email failed%")))
    assert "refused for good, not retried" in line.summary and "refused by policy" in line.summary
    page = world.client.get(f"/lever/candidates/{effect.candidate_id}").get_data(as_text=True)
    assert "Transaction failed: refused by policy" in page and "refused for good, not retried" in page

    reconcile(world)
    assert refusing_smtp_server.refused == 1 and status_tags(world.opportunity(opp["id"])) == set()


def test_the_invited_tag_waits_until_the_mail_server_took_the_email(world, smtp_server):
    serving = world.app.config["MAIL_PORT"]
    world.app.config["MAIL_PORT"] = free_port()  # nothing listens: a temporary failure
    opp = world.apply("Data Analyst", "Ida Invited", "ida@example.com")
    world.wait_inbox(1)
    drain_worker(rounds=3, must_settle=False)
    email = db.session.scalar(select(Effect).where(Effect.kind == "send_invitation"))
    assert email.state == "pending" and email.attempts >= 1  # retried with back-off
    assert db.session.scalar(select(func.count(Effect.id)).where(
        Effect.kind == "status_tag", Effect.state == "done")) >= 1  # the status write ran, and left no tag
    assert status_tags(world.opportunity(opp["id"])) == set()

    world.app.config["MAIL_PORT"] = serving
    world.drain()
    assert len(smtp_server.messages) == 1
    assert status_tags(world.opportunity(opp["id"])) == {"Alooba - Invited"}  # queued by the email's success
    line = db.session.scalar(select(SyncEvent.summary).where(SyncEvent.summary.like("Invitation email to%")))
    assert line == "Invitation email to ida@example.com sent (accepted by the mail server)."


def test_without_the_new_scope_the_prompt_shows_and_tags_and_feedback_still_sync(world):
    reconcile(world)
    refresh_reasons(world)
    set_automation(world, complete="Phone Screen", fail_action="archive", fail_reason="Underqualified")
    assert connect(world.client, world.lever, untick=(ARCHIVE_REASONS_SCOPE,)).status_code == 302
    db.session.expire_all()
    assert ARCHIVE_REASONS_SCOPE not in world.connection.scope_list
    card = world.client.get(f"{CONNECT}/").get_data(as_text=True)
    notice = card[card.index('id="lever-missing-permissions"'):]
    assert "Reconnect to allow stage changes" in notice[:notice.index("</div>")]
    jobs = world.client.get("/lever/jobs").get_data(as_text=True)
    blocked = jobs[jobs.index('id="automation-blocked"'):]
    assert "Reconnect to allow stage changes" in blocked[:blocked.index("</div>")]
    assert "Lever refused to show its archive reasons" in refresh_reasons(world)
    attention = _attention_item(world, "Stage automation")
    assert "Reconnect to allow stage changes" in attention and "of 1 job cannot move" in attention
    assert 'action="/settings/integrations/lever/enable"' in attention  # the fix, in place

    opp = world.apply("Data Analyst", "Nora Noscope", "nora@example.com")
    world.step(1)
    attempt = attempt_for("nora@example.com")
    take(attempt, correct=0)
    finish_and_evaluate(attempt, 0, find_user_by_email("admin@acme.example").id)
    world.drain()
    lever_opp = world.opportunity(opp["id"])
    assert status_tags(lever_opp) == {"Alooba - Completed"}
    [form] = world.feedback(opp["id"])
    assert (field(form, "Final score"), field(form, "Rating")) == ("0%", "1 - Strong No Hire")
    assert our_moves(world, opp["id"]) == [world.stages["Phone Screen"]]  # the stage write itself is allowed
    assert archive_calls(world, opp["id"]) == [] and lever_opp["archived"] is None
    move = db.session.scalar(select(Effect).where(Effect.kind == "stage_move", Effect.state == "dead"))
    assert move.attempts == 1  # a 403 is not retried
    line = db.session.scalar(select(SyncEvent.summary).where(SyncEvent.summary.like("%refused the stage change%")))
    assert ARCHIVE_REASONS_SCOPE in line and line.endswith("Reconnect to allow stage changes.")

    connect(world.client, world.lever)  # every permission again: the prompt goes
    assert 'id="lever-missing-permissions"' not in world.client.get(f"{CONNECT}/").get_data(as_text=True)
    assert 'id="automation-blocked"' not in world.client.get("/lever/jobs").get_data(as_text=True)
    assert "Stage automation" not in world.client.get("/lever/attention").get_data(as_text=True)


def _attention_item(world, subject: str) -> str:
    """The Needs attention item about `subject`, as the page shows it."""
    page = world.client.get("/lever/attention").get_data(as_text=True)
    start = page.index(subject)
    return page[page.rindex("<li", 0, start):page.index("</li>", start)]


def test_a_refused_stage_change_shows_the_prompt_until_the_next_consent(world):
    world.connection.stage_changes_refused = "Forbidden: this user may not move candidates"  # as a 403 leaves it
    db.session.commit()
    card = world.client.get(f"{CONNECT}/").get_data(as_text=True)
    notice = card[card.index('id="lever-missing-permissions"'):]
    notice = notice[:notice.index("</div>")]
    assert "Reconnect to allow stage changes: Lever refused one (Forbidden: this user may not move" in notice
    assert "(missing" not in notice  # every scope was granted: Lever refused it anyway
    reconcile(world)
    assert 'id="automation-blocked"' in world.client.get("/lever/jobs").get_data(as_text=True)
    connect(world.client, world.lever)
    db.session.expire_all()
    assert world.connection.stage_changes_refused is None
    assert 'id="lever-missing-permissions"' not in world.client.get(f"{CONNECT}/").get_data(as_text=True)


def test_a_conflict_after_the_email_went_out_never_sends_it_twice(world, smtp_server, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from dashboard.lever.sync import performers

    def conflict(*args, **kwargs):  # a unique key refused right after the mail server took the email
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(performers.rules, "on_attempt_event", conflict)
    world.apply("Data Analyst", "Cora Conflict", "cora@example.com")
    world.wait_inbox(1)
    drain_worker(rounds=10, must_settle=False)
    assert len(smtp_server.messages) == 1
    email = db.session.scalar(select(Effect).where(Effect.kind == "send_invitation"))
    assert email.state == "needs_decision"  # a person decides, as after a worker stopped mid-send
    assert "may or may not have gone out" in email.last_error
