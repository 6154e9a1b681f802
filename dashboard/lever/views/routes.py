"""The integration's dashboard: overview, needs attention, linked jobs, candidates and applicants with
their sync history, activity."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from dashboard.attempts.controls import attempt_controls
from dashboard.attempts.models import Candidate
from dashboard.core.auth import get_scoped_or_404, role_required, safe_next
from dashboard.core.boundary import act, attempt
from dashboard.core.htmx import partial_or_page
from dashboard.core.params import MAX_ID, int_arg
from dashboard.lever.connection.services import get_connection, read_layout
from dashboard.lever.sync import catalog, reasons
from dashboard.lever.sync import services as sync_services
from dashboard.lever.sync.models import Effect, InboxDelivery, LeverOpportunity
from dashboard.lever.sync.performers import LABELS as EFFECT_LABELS
from dashboard.lever.views import activity as activity_model
from dashboard.lever.views import attention as attention_model
from dashboard.lever.views import candidate_list, linked_jobs, options, read_models
from dashboard.lever.views import overview as ov

bp = Blueprint("lever", __name__, url_prefix="/lever")
OVERVIEW_ATTENTION = 5  # items on the Overview; the rest on Needs attention
HISTORY_KINDS = {"webhook": "Webhook", "decision": "Decision", "email": "Email", "lever_write": "Lever write",
                 "retry": "Retry", "failure": "Failure", "repair": "Repaired"}


@bp.app_context_processor
def _helpers():
    return {"event_label": lambda event: activity_model.EVENTS.get(event, event),
            "run_details": activity_model.run_details,
            "reason_label": lambda code: reasons.LABELS.get(code or "", "Not decided yet"),
            "effect_label": lambda kind: EFFECT_LABELS.get(kind, kind.replace("_", " ")),
            "history_kind": lambda kind: HISTORY_KINDS.get(kind, kind.replace("_", " "))}


def _connection():
    return get_connection(current_user.organisation_id)


def _back(default: str) -> str:
    """The page a button came from (a `back` field, a path of this site), else `default`."""
    return safe_next(request.form.get("back") or request.referrer and _path(request.referrer), default)


def _path(url: str) -> str:
    host = request.host_url.rstrip("/")
    return url[len(host):] if url.startswith(host + "/") else ""


@bp.route("/")
@role_required("recruiter")
def overview():
    """The Lever card with Sync now, Needs attention, the backfill decision, candidates by status,
    funnels per job and the scheduled jobs' health."""
    org_id = current_user.organisation_id
    connection = _connection()
    health = ov.scheduler_health_context(org_id, current_app.config)
    counts = ov.job_count_rows(org_id)
    held = ov.backfill_held(org_id) if connection is not None else (0, None)
    postings = linked_jobs.postings_of(connection) if connection is not None else None  # attention and funnels
    titles = {p.lever_id: p.text for p in postings} if postings is not None else None
    context = {**ov.sync_now_context(org_id, current_user), **ov.backfill_context(org_id, current_user, held),
               **health, "connection": connection, "counts": ov.status_counts(org_id, counts),
               "attention": attention_model.compute(org_id, current_user,
                                                    (health["scheduler"], health["scheduler_health"]), held, postings),
               "attention_shown": OVERVIEW_ATTENTION,
               "funnels": ov.funnels(org_id, titles, rows=counts), "health": ov.health(org_id, connection)}
    return render_template("lever/overview.html", **context)


@bp.route("/attention")
@role_required("recruiter")
def attention():
    """Everything that needs a person, each with its cause and its fix."""
    org_id = current_user.organisation_id
    held = ov.backfill_held(org_id) if _connection() is not None else None
    return partial_or_page("lever/_attention.html", "lever/attention.html", attention_shown=None,
                           attention=attention_model.compute(org_id, current_user, backfill=held))


@bp.route("/jobs")
@role_required("recruiter")
def jobs():
    """Every Lever posting with one of our tags (or a near miss), what it resolves to, and the rest collapsed."""
    org_id = current_user.organisation_id
    connection = _connection()
    assessments = catalog.assessment_names(org_id)  # read once: the tags' resolution and the suggestions
    rows, untagged = linked_jobs.rows(connection, ov.counts_by_posting(org_id), assessments) if connection \
        else ([], [])
    return render_template("lever/jobs.html", connection=connection, linked=rows, untagged=untagged,
                           suggestions=linked_jobs.suggestions(org_id, connection, assessments),
                           **ov.refresh_context(org_id, current_user))


@bp.route("/candidates")
@role_required("recruiter")
def candidates():
    """The one candidates list: search inside names and emails, filters kept in the URL, pages by key."""
    org_id = current_user.organisation_id
    read_layout(org_id)
    jobs, assessments = options.job_titles(org_id), options.assessment_names(org_id)
    int_arg("assessment", None, high=MAX_ID)  # a malformed number is a clear 400
    filters = candidate_list.filters_from(request.args, jobs, assessments)
    result = candidate_list.page(org_id, filters, request.args.get("after") or None)
    return partial_or_page("lever/_candidate_rows.html", "lever/candidates.html", result=result, filters=filters,
                           jobs=jobs, assessment_names=assessments,
                           postings=sorted(jobs.items(), key=lambda item: item[1]), reason_labels=reasons.LABELS,
                           assessments=sorted(((i, n) for i, (n, _) in assessments.items()), key=lambda a: a[1]),
                           statuses=candidate_list.STATUSES)


@bp.route("/candidates/<int:candidate_id>")
@role_required("recruiter")
def candidate(candidate_id: int):
    """One candidate: each attempt with its scores and controls, the Lever applications, open outbox
    items and the sync history."""
    cand = get_scoped_or_404(Candidate, candidate_id, current_user.organisation_id)
    org_id = current_user.organisation_id
    opportunities = read_models.opportunities_for_candidate(org_id, cand.id)
    context = {
        "candidate": cand,
        "attempts": read_models.attempts_for_candidate(cand.id),
        "opportunities": opportunities,
        "effects": read_models.effects_for_candidate(org_id, cand.id),
        "history": read_models.history_for_candidate(org_id, cand.id,
                                                     opportunity_ids=[o.id for o in opportunities]),
        "poll_url": url_for("lever.candidate", candidate_id=cand.id),
        "resync_url": url_for("lever.resync", candidate_id=cand.id),
        **attempt_controls(),
    }
    return partial_or_page("lever/_candidate_sync.html", "lever/candidate.html", **context)


@bp.route("/applicants/<int:opportunity_id>")
@role_required("recruiter")
def applicant(opportunity_id: int):
    """An applicant the integration has seen on a Lever posting, invited or not: why, and the history."""
    opp = get_scoped_or_404(LeverOpportunity, opportunity_id, current_user.organisation_id)
    org_id = current_user.organisation_id
    context = {"opp": opp, "opportunities": [opp], "effects": read_models.effects_for_opportunity(org_id, opp.id),
               "job": options.job_titles(org_id).get(opp.posting_lever_id or ""),
               "stage": read_models.stage_name(opp.connection_id, opp.stage_lever_id),
               "history": read_models.history_for_opportunity(org_id, opp.id),
               "reason_labels": reasons.LABELS, "unknown_reason": reasons.UNKNOWN,
               "poll_url": url_for("lever.applicant", opportunity_id=opp.id),
               "resync_url": url_for("lever.resync_applicant", opportunity_id=opp.id)}
    return partial_or_page("lever/_candidate_sync.html", "lever/applicant.html", **context)


@bp.route("/candidates/<int:candidate_id>/resync", methods=["POST"])
@role_required("recruiter")
def resync(candidate_id: int):
    """Re-read Lever and re-apply the rules for this candidate (performed by the worker)."""
    cand = get_scoped_or_404(Candidate, candidate_id, current_user.organisation_id)
    return act(lambda: sync_services.resync_candidate(current_user.organisation_id, cand.id, current_user.id),
               url_for("lever.candidate", candidate_id=cand.id),
               lambda count: f"Resync queued for {count} Lever opportunit{'y' if count == 1 else 'ies'}.")


@bp.route("/applicants/<int:opportunity_id>/resync", methods=["POST"])
@role_required("recruiter")
def resync_applicant(opportunity_id: int):
    """Re-read this applicant from Lever and decide again (performed by the worker)."""
    opp = get_scoped_or_404(LeverOpportunity, opportunity_id, current_user.organisation_id)
    return act(lambda: sync_services.resync_opportunity(current_user.organisation_id, opp.id, current_user.id),
               _back(url_for("lever.applicant", opportunity_id=opp.id)),
               "Resync queued: Lever is read again within a few seconds.")


@bp.route("/effects/<int:effect_id>/retry", methods=["POST"])
@role_required("recruiter")
def retry(effect_id: int):
    """Retry a failed outbox row, or resend an email whose first send was interrupted."""
    effect = get_scoped_or_404(Effect, effect_id, current_user.organisation_id)
    default = url_for("lever.candidate", candidate_id=effect.candidate_id) if effect.candidate_id \
        else url_for("lever.attention")
    outcome = attempt(lambda: sync_services.retry_effect(current_user.organisation_id, effect.id, current_user.id))
    flash(str(outcome.error) if not outcome.ok else "Queued again: the worker tries it within a few seconds.",
          "error" if not outcome.ok else "success")
    return redirect(_back(default))


@bp.route("/deliveries/<int:delivery_id>/retry", methods=["POST"])
@role_required("recruiter")
def retry_delivery(delivery_id: int):
    """Process a failed (or slow) webhook delivery again now."""
    delivery = get_scoped_or_404(InboxDelivery, delivery_id, current_user.organisation_id)
    return act(lambda: sync_services.retry_delivery(current_user.organisation_id, delivery.id, current_user.id),
               _back(url_for("lever.attention")), "Queued again: the worker reads Lever within a few seconds.")


@bp.route("/activity")
@role_required("recruiter")
def activity():
    """Webhook deliveries, Lever writes and emails, and job runs, named and in words; filters."""
    args = request.args
    kind = args.get("kind", "")
    kind, state = ("writes", "failed") if kind == "failures" else (kind, args.get("state", ""))
    kind = kind if kind in activity_model.KINDS else ""
    state = {"pending": "waiting"}.get(state, state)
    state = state if state in activity_model.STATES else ""
    org_id = current_user.organisation_id
    titles = options.job_titles(org_id)
    job = args.get("job", "")[:64] if args.get("job", "") in titles else ""
    routine = args.get("routine") == "1"
    runs, folded = activity_model.runs(org_id, routine=routine) if kind in ("", "scheduler") and not job else ([], 0)
    return render_template(
        "lever/activity.html", kind=kind, state=state, job=job, routine=routine, kinds=activity_model.KINDS,
        states=activity_model.STATES, postings=sorted(titles.items(), key=lambda item: item[1]),
        deliveries=activity_model.deliveries(org_id, titles, state=state, job=job) if kind in ("", "webhooks")
        else [],
        writes=activity_model.writes(org_id, titles, state=state, job=job) if kind in ("", "writes") else [],
        runs=runs, folded=folded, attention=attention_model.compute(org_id, current_user))
