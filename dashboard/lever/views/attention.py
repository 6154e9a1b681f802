"""Needs attention: what needs a person now, computed from the records on every request (never cached).

Each item names the candidate or the job, says the cause in plain words and offers the fix the viewer
may use. It leaves the list by itself once the records say the problem is gone: an outbox row done, a
delivery processed or repaired, a held applicant decided, an email delivered, the connection back, a
webhook heard, a job run again. Every query is bounded (LIMIT per kind) and walks an index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import and_, func, or_, select

from dashboard.assessments.models import Assessment
from dashboard.attempts.models import Attempt, Candidate
from dashboard.core.clock import as_utc, utcnow
from dashboard.core.templating import plural
from dashboard.extensions import db
from dashboard.jobs.registry import setting
from dashboard.jobs.runs import job_health, scheduler_state
from dashboard.lever.connection.models import EVENT_LABELS
from dashboard.lever.connection.scopes import stage_changes_blocked
from dashboard.lever.connection.services import get_connection
from dashboard.lever.sync import announced, reasons
from dashboard.lever.sync import services as sync_services
from dashboard.lever.sync.models import (
    Effect,
    InboxDelivery,
    LeverJobAutomation,
    LeverOpportunity,
    LeverPosting,
    ReconcileState,
)
from dashboard.lever.sync.performers import LABELS as EFFECT_LABELS
from dashboard.lever.views import linked_jobs
from dashboard.mail.models import MailMessage

LIMIT = 50  # per kind: a longer list is summarised by its count
RETRIES_BEFORE_ATTENTION = 3
JOB_HELD = ("stage_unknown", "tag_near_miss", "assessment_unpublished")  # held by their job's tags: one item per job


@dataclass
class Action:
    """A fix offered in place: a POST form (`fields` as hidden inputs), a link, or a tag to copy."""

    label: str
    url: str = ""
    method: str = "post"  # post | link | copy
    fields: dict = field(default_factory=dict)
    confirm: str | None = None


@dataclass
class Item:
    """One thing that needs a person."""

    kind: str  # connection, webhooks, scheduler, backfill, effect, delivery, mail, job, applicant
    subject: str
    cause: str
    subject_url: str | None = None
    since: datetime | None = None
    detail: str | None = None
    actions: list[Action] = field(default_factory=list)
    tags: list = field(default_factory=list)  # linked_jobs.TagView of a job's tags with problems
    note: str | None = None  # for a viewer who may not act: who can
    attempt_id: int | None = None  # an invitation email's attempt (its mail row is not listed twice)


@dataclass
class Attention:
    """The items, most urgent kinds first, and how many there are."""

    items: list[Item]

    @property
    def count(self) -> int:
        """How many items (each kind bounded by LIMIT)."""
        return len(self.items)


def waiting_threshold() -> timedelta:
    """How long a webhook delivery may wait before it needs a person (ATTENTION_AFTER_SECONDS, 300)."""
    return timedelta(seconds=float(setting(current_app.config, "ATTENTION_AFTER_SECONDS", 300)))


def compute(organisation_id: int, viewer, health: tuple | None = None,
            backfill: tuple[int, object] | None = None, postings: list | None = None) -> Attention:
    """Every item for the organisation, with the actions `viewer`'s role may use. `health`: the
    (SchedulerState, [JobHealth]) the page has already read, if any; `backfill` ((held, since) of
    `overview.backfill_held`) and `postings` (`linked_jobs.postings_of`) likewise."""
    admin = viewer.has_role("admin")
    connection = get_connection(organisation_id)
    items: list[Item] = []
    if connection is not None:
        items += _connection(connection, admin)
        items += _stage_changes(connection, admin)
        items += _webhooks(connection)
    items += _scheduler(organisation_id, connection, health)
    if connection is not None:
        items += _backfill(organisation_id, admin, backfill)
    effects = _effects(organisation_id)
    items += effects
    if connection is not None:
        items += _deliveries(organisation_id, connection)
    items += _mail(organisation_id, {i.attempt_id for i in effects if i.attempt_id})
    if connection is not None:
        items += _jobs(organisation_id, connection, admin, postings)
        items += _applicants(organisation_id)
    return Attention(items)


def _connection(connection, admin: bool) -> list[Item]:
    if connection.status != "reconnect_needed":
        return []
    return [Item("connection", "Lever connection", f"Lever refused our access: "
                 f"{connection.status_reason or 'the authorization was revoked or expired'}. Work waiting for "
                 "Lever is kept and resumes once it is reconnected.",
                 url_for("lever_connect.page"),
                 **_reconnect(admin))]


def _reconnect(admin: bool) -> dict:
    """The Reconnect button for admins and owners; for anyone else, who can press it."""
    if admin:
        return {"actions": [Action("Reconnect", url_for("lever_connect.enable"))]}
    return {"note": "An admin or owner reconnects Lever."}


def _stage_changes(connection, admin: bool) -> list[Item]:
    """Stage changes refused (a scope missing, or a 403 although it was granted) while a job's stage
    automation would move or archive candidates."""
    blocked = stage_changes_blocked(connection)
    if blocked is None:
        return []
    automations = db.session.scalar(select(func.count(LeverJobAutomation.id)).where(
        LeverJobAutomation.connection_id == connection.id,
        or_(LeverJobAutomation.complete_stage_id.is_not(None), LeverJobAutomation.pass_stage_id.is_not(None),
            LeverJobAutomation.fail_action != "nothing")))
    if not automations:
        return []
    jobs = f"{automations} job{'s' if automations != 1 else ''}"
    return [Item("connection", "Stage automation", f"{blocked} The stage automation of {jobs} cannot move or "
                 "archive candidates until then; invitations, tags and feedback keep working.",
                 url_for("lever_connect.page"),
                 **_reconnect(admin))]


def _webhooks(connection) -> list[Item]:
    events = announced.switched_off(db.session.get(ReconcileState, connection.id))
    if not events:
        return []
    groups = ", ".join(EVENT_LABELS.get(e, e) for e in events)
    return [Item("webhooks", "Lever webhooks", "Reconciliation keeps finding changes that no webhook announced, "
                 f"so applicants wait for it (up to its interval). Switch these webhook groups on in Lever "
                 f"(Settings → Integrations and API → Webhooks): {groups}.", url_for("lever_connect.page"),
                 actions=[Action("Webhook checklist", url_for("lever_connect.page") + "#lever-card", "link")])]


def _scheduler(organisation_id: int, connection, health: tuple | None) -> list[Item]:
    scheduler, jobs = health if health is not None else (scheduler_state(), None)
    items = []
    if scheduler.ever and not scheduler.running:
        items.append(Item("scheduler", "Scheduler", "No scheduler is running: reconciliation with Lever, token "
                          "refresh and invitation expiry have stopped. Start `flask scheduler`."))
        return items
    if jobs is None:
        connected_at = connection.connected_at if connection is not None and connection.is_connected else None
        jobs = job_health(organisation_id, current_app.config, waiting_since=connected_at, scheduler=scheduler)
    for health in jobs:
        if not health.late:
            continue
        error = health.last_run.error if health.last_run is not None and health.last_run.status == "failed" else None
        last = health.last_ok.finished_at if health.last_ok else None
        items.append(Item("scheduler", f"Scheduled job “{health.label}”",
                          "It has not succeeded for two intervals." if last else "Its first run is overdue.",
                          url_for("lever.activity", kind="scheduler"), since=last, detail=error))
    return items


def _backfill(organisation_id: int, admin: bool, held: tuple[int, object] | None) -> list[Item]:
    waiting, since = held if held is not None else (sync_services.backfill_waiting(organisation_id), None)
    if not waiting:
        return []
    since = since if held is not None else sync_services.backfill_since(organisation_id)
    people = f"{waiting} applicant{'s' if waiting != 1 else ''}"
    actions = [Action("Invite them", url_for("lever_sync.backfill"), fields={"decision": "all"}),
               Action("Leave them", url_for("lever_sync.backfill"), fields={"decision": "new_only"})] if admin else []
    return [Item("backfill", people + " already in Lever when it was connected",
                 "They are held for the backfill decision: nobody is invited until an admin chooses to invite "
                 "them or to leave them.", url_for("lever.candidates", status="not_invited", reason="backfill_held"),
                 since=since, actions=actions, note=None if admin else "An admin or owner decides.")]


def _subject(candidate_id, candidate_name, candidate_email, opp_id, opp_name) -> tuple[str, str | None]:
    if candidate_id:
        return candidate_name or candidate_email or "A candidate", url_for("lever.candidate", candidate_id=candidate_id)
    if opp_id:
        return opp_name or "An applicant", url_for("lever.applicant", opportunity_id=opp_id)
    return "An organisation-wide write", None


def _effects(organisation_id: int) -> list[Item]:
    """Outbox rows that failed for good, wait for a decision, or keep failing (three tries, or a failure
    older than the waiting threshold)."""
    old = utcnow() - waiting_threshold()
    failing = and_(Effect.state == "pending", Effect.attempts >= 1, Effect.last_error.is_not(None),
                   or_(Effect.attempts >= RETRIES_BEFORE_ATTENTION, Effect.created_at < old))
    rows = db.session.execute(  # the columns shown, not whole rows: their JSON payloads stay in the table
        select(Effect.id, Effect.candidate_id, Effect.opportunity_id, Effect.attempt_id, Effect.kind, Effect.state,
               Effect.attempts, Effect.created_at, Effect.last_error, Candidate.name, Candidate.email,
               LeverOpportunity.name.label("opportunity_name"))
        .outerjoin(Candidate, Candidate.id == Effect.candidate_id)
        .outerjoin(LeverOpportunity, LeverOpportunity.id == Effect.opportunity_id)
        .where(Effect.organisation_id == organisation_id,
               or_(Effect.state.in_(("dead", "needs_decision")), failing))
        .order_by(Effect.id.desc()).limit(LIMIT)).all()
    items = []
    for effect in rows:
        subject, href = _subject(effect.candidate_id, effect.name, effect.email, effect.opportunity_id,
                                 effect.opportunity_name)
        label = EFFECT_LABELS.get(effect.kind, effect.kind.replace("_", " "))
        retry = url_for("lever.retry", effect_id=effect.id)
        if effect.state == "needs_decision":
            cause = (f"{label}: the worker stopped while sending, so the email may or may not have gone out. "
                     "Resend it if the candidate did not receive it.")
            actions = [Action("Resend", retry)]
        elif effect.state == "dead":
            cause = f"{label} failed after {effect.attempts} tr{'y' if effect.attempts == 1 else 'ies'}."
            actions = [Action("Retry", retry)]
        else:
            tries = f"{effect.attempts} tr{'y' if effect.attempts == 1 else 'ies'}"
            cause = f"{label} keeps failing ({tries} so far); it is tried again by itself, or now."
            actions = [Action("Retry now", retry)]
        items.append(Item("effect", subject, cause, href, effect.created_at, effect.last_error, actions,
                          attempt_id=effect.attempt_id if effect.kind == "send_invitation" else None))
    return items


def _deliveries(organisation_id: int, connection) -> list[Item]:
    if not connection.is_connected:
        return []  # paused with the connection: the connection's item says so
    old = utcnow() - waiting_threshold()
    deliveries = db.session.scalars(select(InboxDelivery).where(
        InboxDelivery.organisation_id == organisation_id,
        or_(InboxDelivery.state == "failed",
            and_(InboxDelivery.state.in_(("pending", "claimed")),
                 or_(InboxDelivery.received_at < old, InboxDelivery.attempts >= RETRIES_BEFORE_ATTENTION))))
        .order_by(InboxDelivery.id.desc()).limit(LIMIT)).all()
    if not deliveries:
        return []
    known = {o.lever_id: o for o in db.session.scalars(select(LeverOpportunity).where(
        LeverOpportunity.connection_id == connection.id,
        LeverOpportunity.lever_id.in_({d.opportunity_lever_id for d in deliveries if d.opportunity_lever_id})))}
    items = []
    for delivery in deliveries:
        opp = known.get(delivery.opportunity_lever_id or "")
        event = EVENT_LABELS.get(delivery.event, delivery.event)
        label = "Resync" if delivery.event == "resync" else f"The webhook “{event}”"
        if opp is not None:
            subject, href = _subject(opp.candidate_id, opp.name, opp.email, opp.id, opp.name)
        else:
            subject, href = "A new applicant, not read from Lever yet", None
        retry = [Action("Try again", url_for("lever.retry_delivery", delivery_id=delivery.id))]
        if delivery.state == "failed":
            cause = (f"{label} could not be processed after {plural(delivery.attempts, 'try', 'tries')}. "
                     "Reconciliation applies the change at its next run; or try again now.")
        elif delivery.attempts == 0:
            minutes = int((utcnow() - as_utc(delivery.received_at)).total_seconds() // 60)
            cause = (f"{label} has waited {plural(minutes, 'minute')} for a worker to process it: is `flask worker` "
                     "running?")
            retry = []
        else:
            tries = plural(delivery.attempts, "try", "tries")
            cause = f"{label} keeps failing ({tries} so far); it is tried again by itself."
        items.append(Item("delivery", subject, cause, href, delivery.received_at, delivery.error, retry))
    return items


def _mail(organisation_id: int, listed_invitations: set[int]) -> list[Item]:
    messages = db.session.scalars(select(MailMessage).where(
        MailMessage.organisation_id == organisation_id, MailMessage.category == "candidate",
        or_(MailMessage.status == "failed",
            and_(MailMessage.status == "queued", MailMessage.attempts >= RETRIES_BEFORE_ATTENTION)))
        .order_by(MailMessage.id.desc()).limit(LIMIT)).all()
    if not messages:
        return []
    addresses = {m.to for m in messages}
    delivered = dict(db.session.execute(select(MailMessage.to, func.max(MailMessage.id)).where(
        MailMessage.organisation_id == organisation_id, MailMessage.to.in_(addresses),
        MailMessage.status.in_(("sent", "stored"))).group_by(MailMessage.to)).all())
    candidates = {c.email: c for c in db.session.scalars(select(Candidate).where(
        Candidate.organisation_id == organisation_id, Candidate.email.in_(addresses)))}
    open_attempts = {a.candidate_id: a for a in db.session.scalars(select(Attempt).where(
        Attempt.candidate_id.in_([c.id for c in candidates.values()]), Attempt.status == "invited")
        .order_by(Attempt.id))}
    items, seen = [], {f"invitation:{attempt_id}" for attempt_id in listed_invitations}
    for message in messages:
        if message.idempotency_key in seen:
            continue  # its outbox row is listed with its fix
        if delivered.get(message.to, 0) > message.id or message.to in seen:
            continue  # a later copy went out, or this address is listed already
        seen.add(message.to)
        candidate = candidates.get(message.to)
        subject = (candidate.name or candidate.email) if candidate else message.to
        href = url_for("lever.candidate", candidate_id=candidate.id) if candidate else None
        attempt = open_attempts.get(candidate.id) if candidate else None
        actions = [Action("Resend", url_for("attempts.resend", attempt_id=attempt.id),
                          fields={"back": url_for("lever.attention")})] if attempt else []
        state = "was not delivered" if message.status == "failed" else "keeps failing, and is tried again by itself"
        items.append(Item("mail", subject, f"The email “{message.subject}” to {message.to} {state}.", href,
                          message.created_at, message.error, actions))
    return items


def _jobs(organisation_id: int, connection, admin: bool, postings: list | None) -> list[Item]:
    held = dict(db.session.execute(
        select(LeverOpportunity.posting_lever_id, func.count(LeverOpportunity.id))
        .where(LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.deleted.is_(False),
               LeverOpportunity.reason_code.in_(JOB_HELD))
        .group_by(LeverOpportunity.posting_lever_id)).all())
    items = []
    assessments = {}
    for row in linked_jobs.problem_rows(connection, postings):
        waiting = held.pop(row.posting.lever_id, 0)
        people = f" {waiting} applicant{'s' if waiting != 1 else ''} not invited because of it." if waiting else ""
        actions = []
        for problem in row.problems:
            if problem.suggestion:
                actions.append(Action(f"Copy “{problem.suggestion}”", problem.suggestion, "copy"))
            if problem.kind == "unpublished" and problem.name and admin:
                assessments = assessments or _assessment_ids(organisation_id)
                if problem.name in assessments:
                    actions.append(Action(f"Publish “{problem.name}”",
                                          url_for("assessments.show", assessment_id=assessments[problem.name]),
                                          "link"))
        items.append(Item("job", row.posting.text, " ".join(row.warnings) + people,
                          url_for("lever.jobs") + f"#job-{row.posting.id}", row.posting.refreshed_at,
                          actions=actions, tags=[t for t in row.tags if t.problem]))
    titles = dict(db.session.execute(select(LeverPosting.lever_id, LeverPosting.text).where(
        LeverPosting.connection_id == connection.id, LeverPosting.lever_id.in_(list(held)))).all()) if held else {}
    for posting_id, waiting in held.items():  # held under tags since fixed: a refresh or a resync decides again
        who = plural(waiting, "applicant was", "applicants were")
        items.append(Item("job", titles.get(posting_id, "A job"), f"{who} held by this "
                          "job's tags, which look right now: Sync now (or Resync them) to invite them.",
                          url_for("lever.candidates", job=posting_id, status="not_invited")))
    return items


def _assessment_ids(organisation_id: int) -> dict[str, int]:
    return dict(db.session.execute(select(Assessment.name, Assessment.id).where(
        Assessment.organisation_id == organisation_id)).all())


def _applicants(organisation_id: int) -> list[Item]:
    """Applicants held for a reason of their own (an unusable email, and codes other features add)."""
    own = [c for c in reasons.HELD if c not in ("backfill_held", *JOB_HELD)]
    opps = db.session.scalars(select(LeverOpportunity).where(
        LeverOpportunity.organisation_id == organisation_id, LeverOpportunity.reason_code.in_(own),
        LeverOpportunity.deleted.is_(False)).order_by(LeverOpportunity.id.desc()).limit(LIMIT)).all()
    return [Item("applicant", opp.name or opp.email or "An applicant", (opp.reason or "") + " Fix it in Lever, then "
                 "Resync.", url_for("lever.applicant", opportunity_id=opp.id), opp.first_seen_at,
                 actions=[Action("Resync", url_for("lever.resync_applicant", opportunity_id=opp.id))])
            for opp in opps]
