""""Sync now", the backfill decision and the scheduler health partial (under /lever).

"Sync now" runs the postings and opportunities jobs for the organisation in a background thread
of this process; the page polls the recorded runs with htmx until they finish.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from dashboard.accounts.auth import role_required
from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.jobs.models import JobRun, job_health
from dashboard.lever.connection.models import LeverConnection

log = logging.getLogger(__name__)
bp = Blueprint("lever_sync", __name__, url_prefix="/lever")
SYNC_JOBS = ("postings", "opportunities")
DECISIONS = {"all": "invite the candidates already in Lever", "new_only": "invite only new candidates"}

_threads_lock = threading.Lock()
_threads: dict[int, threading.Thread] = {}


def _connection(organisation_id: int) -> LeverConnection | None:
    return db.session.scalar(select(LeverConnection).where(LeverConnection.organisation_id == organisation_id))


def _sync_in_thread(app, organisation_id: int) -> None:
    from dashboard.jobs.registry import run_job

    with app.app_context():
        try:
            for job in SYNC_JOBS:
                run_job(job, organisation_id=organisation_id, trigger="manual")
        except Exception:
            log.exception("sync now failed for organisation %s", organisation_id)
        finally:
            db.session.remove()


def start_sync(organisation_id: int) -> bool:
    """Start a background sync for the organisation unless one is running; True when started."""
    app = current_app._get_current_object()
    if sync_is_running(organisation_id):
        return False
    with _threads_lock:
        running = _threads.get(organisation_id)
        if running is not None and running.is_alive():
            return False
        thread = threading.Thread(target=_sync_in_thread, args=(app, organisation_id),
                                  name=f"sync-now-{organisation_id}", daemon=True)
        _threads[organisation_id] = thread
        thread.start()
    return True


def wait_for_sync(organisation_id: int, timeout: float = 60.0) -> bool:
    """Block until the organisation's background sync has finished; True when it has."""
    with _threads_lock:
        thread = _threads.get(organisation_id)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()


def sync_is_running(organisation_id: int) -> bool:
    """True while a sync of this organisation is in progress: in this process, or in another web
    process (a manual run recorded as running in the last 15 minutes; older ones died with their process)."""
    with _threads_lock:
        thread = _threads.get(organisation_id)
    if thread is not None and thread.is_alive():
        return True
    since = utcnow() - timedelta(minutes=15)
    return db.session.scalar(select(JobRun.id).where(
        JobRun.organisation_id == organisation_id, JobRun.trigger == "manual", JobRun.status == "running",
        JobRun.started_at >= since).limit(1)) is not None


def sync_now_context(organisation_id: int) -> dict:
    """Context of `lever/_sync_now.html`: `sync_running`, `sync_runs` (latest manual run per job),
    `can_sync` (admin or owner)."""
    runs = []
    for job in SYNC_JOBS:
        run = db.session.scalar(select(JobRun).where(
            JobRun.organisation_id == organisation_id, JobRun.job == job, JobRun.trigger == "manual")
            .order_by(JobRun.id.desc()).limit(1))
        if run is not None:
            runs.append(run)
    return {"sync_running": sync_is_running(organisation_id), "sync_runs": runs,
            "can_sync": current_user.has_role("admin")}


def scheduler_health_context(organisation_id: int) -> dict:
    """Context of `lever/_scheduler_health.html`: `scheduler_health` (a list of JobHealth)."""
    from dashboard.jobs.registry import intervals

    return {"scheduler_health": job_health(organisation_id, intervals())}


def backfill_context(organisation_id: int) -> dict:
    """Context of `lever/_backfill.html`: `connection`, `backfill_waiting` (opportunities held),
    `can_decide` (admin or owner)."""
    from dashboard.lever.sync.models import SyncEvent
    from dashboard.lever.sync.rules import BACKFILL_WAITING

    waiting = db.session.scalar(select(func.count(func.distinct(SyncEvent.opportunity_id))).where(
        SyncEvent.organisation_id == organisation_id, SyncEvent.summary == BACKFILL_WAITING)) or 0
    return {"connection": _connection(organisation_id), "backfill_waiting": waiting,
            "can_decide": current_user.has_role("admin")}


def _respond(partial: str, context: dict):
    if request.headers.get("HX-Request"):
        return render_template(partial, **context)
    return redirect(url_for("lever.overview"))


@bp.route("/sync-now", methods=["POST"])
@role_required("admin")
def sync_now():
    """Run postings + opportunities reconciliation for this organisation now."""
    org_id = current_user.organisation_id
    connection = _connection(org_id)
    if connection is None or connection.status != "connected":
        flash("Lever is not connected: connect it before syncing.", "error")
        if request.headers.get("HX-Request"):
            return render_template("lever/_sync_now.html", sync_error="Lever is not connected.",
                                   **sync_now_context(org_id)), 409
        return redirect(url_for("lever.overview"))
    if not start_sync(org_id):
        flash("A sync is already running.", "info")
    return _respond("lever/_sync_now.html", sync_now_context(org_id))


@bp.route("/sync-now/status")
@role_required("recruiter")
def sync_status():
    """The sync-now partial (polled by htmx while a sync runs)."""
    return render_template("lever/_sync_now.html", **sync_now_context(current_user.organisation_id))


@bp.route("/scheduler-health")
@role_required("recruiter")
def scheduler_health():
    """The scheduled jobs' health partial."""
    return render_template("lever/_scheduler_health.html",
                           **scheduler_health_context(current_user.organisation_id))


@bp.route("/backfill", methods=["POST"])
@role_required("admin")
def backfill():
    """Record the admin's backfill decision; 'all' also starts a full reconciliation pass."""
    from dashboard.lever.sync import history
    from dashboard.lever.sync.reconcile import request_full_pass

    org_id = current_user.organisation_id
    decision = request.form.get("decision", "")
    connection = _connection(org_id)
    if connection is None or connection.status != "connected":
        abort(404)
    if decision not in DECISIONS:
        flash("Choose whether to invite the candidates already in Lever or only new ones.", "error")
        return redirect(url_for("lever.overview")), 303
    connection.backfill_decision = decision
    history.record(org_id, "decision", f"Backfill decision by {current_user.name or current_user.email}: "
                                       f"{DECISIONS[decision]}.", outcome="info")
    if decision == "all":
        request_full_pass(connection.id)
    db.session.commit()
    if decision == "all":
        start_sync(org_id)
    flash(f"Saved: {DECISIONS[decision]}.", "success")
    return _respond("lever/_backfill.html", backfill_context(org_id))
