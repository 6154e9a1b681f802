"""Sync rules: plain functions over our database and Lever's state (DESIGN.md "Rules").

The same functions run for a webhook, a reconciliation pass or a button. They decide and queue
effects (outbox rows) in the caller's transaction; they never speak to Lever except through the
`client` they are given for reads.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from dashboard.assessments.models import Assessment
from dashboard.attempts import services as attempts
from dashboard.attempts.events import Actor
from dashboard.attempts.models import Attempt, Candidate
from dashboard.attempts.services import candidate_profile_link
from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.lever.api import shapes
from dashboard.lever.api.environments import environment_from_config
from dashboard.lever.connection.models import LeverConnection
from dashboard.lever.sync import automation, catalog, emails, feedback, history, outbox, reasons
from dashboard.lever.sync import tags as tag_rules
from dashboard.lever.sync.models import Effect, FeedbackForm, Invitation, LeverOpportunity, LeverPosting, SyncEvent

ACTIVE = ("invited", "in_progress", "completed")
LEVER = Actor("Lever", kind="integration")  # who cancels an invitation when the opportunity is archived there


def known_opportunity(connection, lever_id: str) -> LeverOpportunity | None:
    """The opportunity row of this connection for a Lever id, if it was ever seen."""
    return db.session.scalar(select(LeverOpportunity).where(
        LeverOpportunity.connection_id == connection.id, LeverOpportunity.lever_id == lever_id))


def upsert_opportunity(connection, data: dict, posting_hint: str | None = None) -> tuple[LeverOpportunity, bool]:
    """Store what Lever says of one opportunity; (row, first time seen). `posting_hint` is the posting
    it was listed under, for answers that do not name it (read without the applications expanded)."""
    opp = known_opportunity(connection, data["id"])
    is_new = opp is None
    if is_new:
        opp = LeverOpportunity(organisation_id=connection.organisation_id, connection_id=connection.id,
                               lever_id=data["id"])
        db.session.add(opp)
    opp.email = emails.check(data).address  # only an address that can receive the invitation
    opp.name = str(data.get("name") or "")[:300] or None
    stage = data.get("stage")
    opp.stage_lever_id = (stage.get("id") if isinstance(stage, dict) else stage) or None
    opp.archived = shapes.is_archived(data)
    opp.posting_lever_id = shapes.posting_of(data) or posting_hint or opp.posting_lever_id
    shown = data.get("urls") if isinstance(data.get("urls"), dict) else {}
    opp.profile_url = (shown.get("show") or opp.profile_url
                       or shapes.profile_url(data, environment_from_config(current_app.config).hire_url))
    if isinstance(data.get("updatedAt"), int):
        opp.lever_updated_at = data["updatedAt"]
    opp.last_synced_at = utcnow()
    db.session.flush()
    return opp, is_new


APPLICATIONS_HIDDEN = ("Waiting: Lever did not say which job this candidate applied to (the connection lacks "
                      "access to applications); the next reconciliation finds it. Reconnect Lever to see it at once.")


def apply_opportunity(connection, client, data: dict, *, source: str, to_stage_id: str | None = None,
                      posting_hint: str | None = None, job_hidden: bool = False,
                      stage_hints: list[str] | None = None) -> LeverOpportunity:
    """Run every rule for one opportunity as Lever now shows it (`posting_hint`: see upsert_opportunity;
    `job_hidden`: Lever refused to show its applications, so an unknown job is left to reconciliation;
    `stage_hints`: every stage the deliveries folded into this evaluation said it moved to, oldest first,
    so a stage the candidate passed through before the read still counts)."""
    opp, is_new = upsert_opportunity(connection, data, posting_hint)
    hired_now = source == "candidateHired"
    if hired_now:
        opp.hired = True
    if opp.deleted:
        return opp
    posting = catalog.get_posting(connection, client, opp.posting_lever_id) if opp.posting_lever_id else None
    if posting is None:
        if job_hidden and not opp.posting_lever_id:
            _note(opp, "decision", APPLICATIONS_HIDDEN, "waiting", once=True)
        elif reasons.decide(opp, "no_posting", reasons.NO_POSTING) or is_new:
            _note(opp, "decision", reasons.NO_POSTING, "info")
        return opp
    res = catalog.resolve_posting(connection, posting, client)
    if not res.linked:
        code, reason = reasons.unlinked(posting.text, res)
        if reasons.decide(opp, code, reason) or is_new:
            _note(opp, "decision", reason, "info")
        return opp
    if stage_hints and res.waits_for_stage:
        to_stage_id = next((s for s in reversed(stage_hints) if s in res.stage_ids), to_stage_id)
    inherited = None
    if not opp.tags_inherited:
        inherited = tag_rules.inherited_tags(connection.tag_brand or "Alooba", posting.tags or [])
        opp.tags_inherited = True
    _decide(connection, client, opp, res, data, source, to_stage_id, is_new)
    if inherited is not None:
        _queue_inherited(connection, opp, inherited)
    return opp


def _queue_inherited(connection, opp: LeverOpportunity, inherited: list[str]) -> None:
    """Queue the job's assessment tags for a first-seen opportunity: riding on the status-tag write
    queued in this same pass (one addTags instead of two), else as their own write."""
    db.session.flush()
    status = db.session.scalar(select(Effect).where(
        Effect.opportunity_id == opp.id, Effect.kind == "status_tag", Effect.state == "pending",
        Effect.attempts == 0).order_by(Effect.id.desc()).limit(1))
    if status is not None:
        status.payload = {**(status.payload or {}), "tags": list(inherited)}
        return
    outbox.enqueue(organisation_id=opp.organisation_id, kind="inherit_tags", key=f"inherit:{opp.id}",
                   connection_id=connection.id, opportunity_id=opp.id, candidate_id=opp.candidate_id,
                   payload={"tags": inherited})


def _decide(connection, client, opp: LeverOpportunity, res, data: dict, source: str, to_stage_id: str | None,
            is_new: bool) -> None:
    """Archived, hired, waiting for a stage or the backfill decision, else invite."""
    hired_now = source == "candidateHired"
    if opp.archived:  # a hire archives too (with a hired reason): it is said as the hire it is
        cancel_open_invitations(opp, "archived in Lever")
        code, reason = ("hired", reasons.HIRED) if opp.hired else ("archived", reasons.ARCHIVED)
        reasons.decide(opp, code, reason)
        if is_new or source != "reconcile":
            _note(opp, "decision", reason, "info")
        return
    if opp.hired:
        reasons.decide(opp, "hired", reasons.HIRED)
        if hired_now:
            _note(opp, "decision", "Hired in Lever: reminders stopped.", "info")
        return
    trigger = "application"
    if res.waits_for_stage:
        wanted = " or ".join(f"“{s}”" for s in res.stage_names)
        reached = not res.blocked and (opp.stage_lever_id in res.stage_ids or to_stage_id in res.stage_ids)
        if not reached:
            code, reason = reasons.stage_wait(wanted, res.blocked)
            reasons.decide(opp, code, reason)
            _note(opp, "decision", reason, "waiting", once=True)
            return
        names = catalog.stage_names(connection)
        trigger = f"reached stage “{names.get(opp.stage_lever_id) or names.get(to_stage_id, '?')}”"
    if _held_for_backfill(connection, opp, data, res.waits_for_stage, to_stage_id):
        return
    if not _email_usable(opp, data, res.assessment_ids):
        return
    for assessment_id in res.assessment_ids:
        invite(connection, opp, assessment_id, trigger)
    _decided_invited(opp)


def _decided_invited(opp: LeverOpportunity) -> None:
    """After the invitations: invited (or a reused result), unless none could be made."""
    reused = list(db.session.scalars(select(Invitation.reused).where(Invitation.opportunity_id == opp.id)))
    if reused:
        reasons.decide(opp, *reasons.invited(all(reused)))


def _email_usable(opp: LeverOpportunity, data: dict, assessment_ids: list[int]) -> bool:
    """False (with the decision recorded) when an invitation is due but Lever's address cannot receive it."""
    checked = emails.check(data)
    if checked.usable:
        return True
    invited = set(db.session.scalars(select(Invitation.assessment_id).where(Invitation.opportunity_id == opp.id)))
    if all(a in invited for a in assessment_ids):
        return True  # nothing left to send: an address edited after the invitation changes nothing
    not_invited(opp, emails.EMAIL_UNUSABLE, f"Not invited (email unusable): {checked.problem}. Correct the "
                                            "address in Lever; the next sync invites the candidate.")
    return False


def not_invited(opp: LeverOpportunity, reason_code: str, summary: str) -> None:
    """An applicant of a linked job who is not invited, and why (`reason_code`, e.g. `email_unusable`):
    the decision on the opportunity (Needs attention, the candidates list) and one history line, repeated
    only once another decision was recorded since."""
    reasons.decide(opp, reason_code, summary)
    last = db.session.scalar(select(SyncEvent.summary).where(
        SyncEvent.opportunity_id == opp.id, SyncEvent.kind == "decision").order_by(SyncEvent.id.desc()).limit(1))
    if last != summary[:500]:
        _note(opp, "decision", summary[:500], "failed", detail=f"reason: {reason_code}")


BACKFILL_WAITING = "Waiting for the backfill decision: in Lever before the connection was made."
BACKFILL_SKIPPED = "Not invited: in Lever before the connection, and only new candidates are invited."


def trigger_time_ms(data: dict, stage_id: str | None) -> int | None:
    """When the opportunity met its trigger (Lever ms): entering `stage_id`, else its creation."""
    if stage_id:
        entered = [c.get("updatedAt") for c in data.get("stageChanges") or []
                   if isinstance(c, dict) and c.get("toStageId") == stage_id and isinstance(c.get("updatedAt"), int)]
        if entered:
            return max(entered)
    created = data.get("createdAt")
    return created if isinstance(created, int) else None


def _held_for_backfill(connection, opp: LeverOpportunity, data: dict, by_stage: bool,
                       to_stage_id: str | None) -> bool:
    """True (with a history line) when the trigger predates the connection and the admin has not
    chosen to invite those candidates ('all'); new triggers are never held."""
    if connection.backfill_decision == "all" or connection.connected_at is None:
        return False
    if db.session.scalar(select(Invitation.id).where(Invitation.opportunity_id == opp.id).limit(1)):
        return False
    when = trigger_time_ms(data, (to_stage_id or opp.stage_lever_id) if by_stage else None)
    if when is None or when >= int(as_utc(connection.connected_at).timestamp() * 1000):
        return False
    if connection.backfill_decision == "new_only":
        reasons.decide(opp, "backfill_skipped", BACKFILL_SKIPPED)
        _note(opp, "decision", BACKFILL_SKIPPED, "info", once=True)
    else:
        reasons.decide(opp, "backfill_held", BACKFILL_WAITING)
        _note(opp, "decision", BACKFILL_WAITING, "waiting", once=True)
    return True


def invite(connection, opp: LeverOpportunity, assessment_id: int, trigger: str) -> Invitation | None:
    """Invite once per (opportunity, assessment); reuse a recent attempt of the same email."""
    existing = db.session.scalar(select(Invitation).where(
        Invitation.opportunity_id == opp.id, Invitation.assessment_id == assessment_id))
    if existing is not None:
        return None
    if not opp.email:
        not_invited(opp, emails.EMAIL_UNUSABLE, "Not invited (email unusable): Lever holds no usable email "
                                                "address for this candidate.")
        return None
    candidate = attempts.find_or_create_candidate(opp.organisation_id, opp.email, opp.name or opp.email)
    opp.candidate_id = candidate.id
    attempt = reusable_attempt(candidate.id, assessment_id, connection.reuse_days or 180)
    reused = attempt is not None
    if attempt is None:
        attempt = attempts.create_attempt(opp.organisation_id, candidate.id, assessment_id, source="lever")
    invitation = Invitation(organisation_id=opp.organisation_id, opportunity_id=opp.id,
                            assessment_id=assessment_id, attempt_id=attempt.id, reused=reused,
                            trigger=trigger[:200], stage_lever_id=opp.stage_lever_id)
    db.session.add(invitation)
    db.session.flush()
    common = {"organisation_id": opp.organisation_id, "connection_id": connection.id,
              "opportunity_id": opp.id, "candidate_id": candidate.id}
    if not reused:
        outbox.enqueue(kind="send_invitation", key=f"invite-email:{attempt.id}", attempt_id=attempt.id,
                       **common)
    outbox.enqueue(kind="add_link", key=f"link:{opp.id}:{candidate.id}", **common)
    enqueue_status(opp)
    if reused and attempt.status in ("in_progress", "completed"):
        enqueue_feedback(opp, attempt.id)
        automation.queue_moves(opp, attempt)  # the result moves this opportunity too, if its job says so
    name = _assessment_name(assessment_id)
    if reused:
        _note(opp, "decision", f"Reused the attempt at “{name}” from {as_utc(attempt.invited_at):%d %b %Y}: "
                               "no second test; results are written to this opportunity too.")
    else:
        _note(opp, "decision", f"Invited to “{name}” ({trigger}).")
    return invitation


def reusable_attempt(candidate_id: int, assessment_id: int, reuse_days: int) -> Attempt | None:
    """The candidate's live attempt at this assessment from within the reuse window, if any."""
    since = utcnow() - timedelta(days=reuse_days)
    return db.session.scalar(select(Attempt).where(
        Attempt.candidate_id == candidate_id, Attempt.assessment_id == assessment_id,
        Attempt.status.in_(ACTIVE), Attempt.invited_at >= since,
    ).order_by(Attempt.invited_at.desc()).limit(1))


def cancel_open_invitations(opp: LeverOpportunity, reason: str) -> int:
    """Cancel this opportunity's invitations not yet started (attempts used by no other live
    opportunity) through the platform's service: its event queues the status tag and the history line,
    as for a cancellation made on the platform."""
    cancelled = 0
    for invitation in db.session.scalars(select(Invitation).where(Invitation.opportunity_id == opp.id)):
        attempt = db.session.get(Attempt, invitation.attempt_id)
        if attempt is None or attempt.status != "invited" or _shared_with_live(invitation):
            continue
        attempts.cancel_attempt(attempt.id, reason, actor=LEVER)
        cancelled += 1
    return cancelled


def _shared_with_live(invitation: Invitation) -> bool:
    others = db.session.scalars(select(LeverOpportunity).join(
        Invitation, Invitation.opportunity_id == LeverOpportunity.id).where(
        Invitation.attempt_id == invitation.attempt_id, Invitation.id != invitation.id)).all()
    return any(not (o.archived or o.deleted) for o in others)


def desired_status(opp: LeverOpportunity) -> str | None:
    """The one status this opportunity should carry (tags.STATUS_PRECEDENCE), or None. An open invitation
    counts only once its email was accepted by the mail server (or stored, with no server): Invited in
    Lever means the email went out."""
    rows = db.session.execute(select(Attempt.id, Attempt.status).join(
        Invitation, Invitation.attempt_id == Attempt.id).where(Invitation.opportunity_id == opp.id)).all()
    return tag_rules.status_for(status for attempt_id, status in rows
                                if status != "invited" or attempts.invitation_delivered(attempt_id))


def _enqueue_coalesced(opp: LeverOpportunity, kind: str, attempt_id: int | None = None) -> None:
    """Queue a convergent effect unless one for the same target is still waiting."""
    waiting = db.session.scalar(select(Effect.id).where(
        Effect.opportunity_id == opp.id, Effect.kind == kind, Effect.state == "pending",
        Effect.attempt_id == attempt_id if attempt_id is not None else Effect.attempt_id.is_(None)))
    if waiting is not None:
        return
    for new in db.session.new:
        if isinstance(new, Effect) and new.kind == kind and new.opportunity_id == opp.id \
                and new.attempt_id == attempt_id:
            return
    outbox.enqueue(organisation_id=opp.organisation_id, kind=kind, key=f"{kind}:{opp.id}:{uuid.uuid4().hex}",
                   connection_id=opp.connection_id, opportunity_id=opp.id, attempt_id=attempt_id,
                   candidate_id=opp.candidate_id)


def enqueue_status(opp: LeverOpportunity) -> None:
    """Bring the opportunity's status tag to `desired_status` (computed when performed)."""
    _enqueue_coalesced(opp, "status_tag")


def enqueue_feedback(opp: LeverOpportunity, attempt_id: int) -> None:
    """Create or update our feedback form for (opportunity, attempt) with the current scores."""
    _enqueue_coalesced(opp, "feedback", attempt_id)


def forget_opportunity(connection, lever_id: str) -> LeverOpportunity | None:
    """candidateDeleted: stop all sync for it and drop the Lever data we kept about it."""
    opp = db.session.scalar(select(LeverOpportunity).where(
        LeverOpportunity.connection_id == connection.id, LeverOpportunity.lever_id == lever_id))
    if opp is None or opp.deleted:
        return opp
    opp.deleted = True
    opp.name = opp.email = opp.profile_url = opp.stage_lever_id = None
    for effect in db.session.scalars(select(Effect).where(
            Effect.opportunity_id == opp.id, Effect.state.in_(("pending", "dead", "needs_decision")))):
        effect.state = "cancelled"
        effect.last_error = "opportunity deleted in Lever"
    for form in db.session.scalars(select(FeedbackForm).where(FeedbackForm.opportunity_id == opp.id)):
        db.session.delete(form)
    _note(opp, "decision", "Deleted in Lever: sync stopped and the Lever data kept about it removed.")
    return opp


def on_attempt_event(attempt_id: int, *, feedback: bool, status: bool) -> None:
    """A platform event on an attempt: queue status-tag and feedback writes for its opportunities."""
    rows = db.session.scalars(select(LeverOpportunity).join(
        Invitation, Invitation.opportunity_id == LeverOpportunity.id).where(
        Invitation.attempt_id == attempt_id, LeverOpportunity.deleted.is_(False))).all()
    for opp in rows:
        if status:
            enqueue_status(opp)
        if feedback:
            enqueue_feedback(opp, attempt_id)


def _assessment_name(assessment_id: int) -> str:

    assessment = db.session.get(Assessment, assessment_id)
    return assessment.name if assessment else f"#{assessment_id}"


def _note(opp: LeverOpportunity, kind: str, summary: str, outcome: str = "ok", *, once: bool = False,
          detail: str | None = None) -> None:
    """History line for this opportunity; `once` skips it when the latest line already says it."""
    if once:

        last = db.session.scalar(select(SyncEvent.summary).where(
            SyncEvent.opportunity_id == opp.id).order_by(SyncEvent.id.desc()).limit(1))
        if last == summary:
            return
    history.record(opp.organisation_id, kind, summary, candidate_id=opp.candidate_id, opportunity_id=opp.id,
                   outcome=outcome, detail=detail)


def repair(opp: LeverOpportunity, data: dict) -> int:
    """Put back what drifted in Lever: missing inherited tags, link or status tag; feedback not written, or
    written with other values than the scores now give. `data` is the opportunity as just read. Records
    the check (`last_checked_at`) and, when Lever shows the right status, that it was written. Returns how
    many repairs were queued."""
    if opp.deleted or opp.candidate_id is None:
        return 0
    connection = db.session.get(LeverConnection, opp.connection_id)
    brand = connection.tag_brand or "Alooba"
    tags = set(data.get("tags") or [])
    links = set(data.get("links") or [])
    now = utcnow()
    opp.last_checked_at = now
    repairs: list[str] = []
    status = desired_status(opp)
    wanted = tag_rules.status_tag(brand, status) if status else None
    present = [t for t in tag_rules.all_status_tags(brand) if t in tags]
    if (wanted and wanted not in tags) or [t for t in present if t != wanted]:
        enqueue_status(opp)
        repairs.append("status tag")
    else:
        opp.status_written, opp.status_written_at = status, now
    candidate = db.session.get(Candidate, opp.candidate_id)
    if candidate_profile_link(candidate) not in links:
        outbox.enqueue(organisation_id=opp.organisation_id, kind="add_link",
                       key=f"link:{opp.id}:{candidate.id}:{uuid.uuid4().hex}", connection_id=opp.connection_id,
                       opportunity_id=opp.id, candidate_id=candidate.id)
        repairs.append("link")
    posting = db.session.scalar(select(LeverPosting).where(
        LeverPosting.connection_id == opp.connection_id, LeverPosting.lever_id == opp.posting_lever_id))
    missing = [t for t in tag_rules.inherited_tags(brand, posting.tags if posting else []) if t not in tags]
    if missing:
        outbox.enqueue(organisation_id=opp.organisation_id, kind="inherit_tags",
                       key=f"inherit:{opp.id}:{uuid.uuid4().hex}", connection_id=opp.connection_id,
                       opportunity_id=opp.id, candidate_id=opp.candidate_id, payload={"tags": missing})
        repairs.append("job tags")
    for invitation in db.session.scalars(select(Invitation).where(Invitation.opportunity_id == opp.id)):
        attempt = db.session.get(Attempt, invitation.attempt_id)
        if attempt.status not in ("in_progress", "completed") or attempt.final_score is None:
            continue
        form = db.session.scalar(select(FeedbackForm).where(
            FeedbackForm.opportunity_id == opp.id, FeedbackForm.attempt_id == attempt.id))
        if form is None or form.lever_feedback_id is None or \
                form.written_digest != feedback.digest(feedback.values(attempt)):
            enqueue_feedback(opp, attempt.id)
            repairs.append("feedback")
    if repairs:
        _note(opp, "decision", f"Repairing what differs in Lever: {', '.join(repairs)}.", "info")
    return len(repairs)
