"""The recruiter UI: postings, candidates, webhooks settings, faults. Plain server-rendered HTML."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for

from . import domain, feedback, opportunities, settings, tokens
from .util import ApiError, sandbox

bp = Blueprint("ui", __name__)


def _account() -> dict | None:
    store = sandbox().store
    wanted = request.cookies.get("account")
    account = store.get("accounts", wanted) if wanted else None
    accounts = store.list("accounts")
    return account or (accounts[0] if accounts else None)


@bp.app_context_processor
def layout_context():
    """The account switcher on every page."""
    return {"accounts": sandbox().store.list("accounts"), "current": _account()}


def _back(endpoint: str = "ui.postings", **kw):
    return redirect(url_for(endpoint, **kw))


@bp.errorhandler(ApiError)
def refused(exc: ApiError):
    """Show a refusal on the page the user came from."""
    flash(exc.message)
    return redirect(request.referrer or url_for("ui.postings"))


@bp.post("/account")
def switch_account():
    """Choose which account the UI shows."""
    resp = _back()
    resp.set_cookie("account", request.form.get("account_id", ""), samesite="Lax")
    return resp


@bp.get("/")
def postings():
    """Postings with their tags and an add-applicant form."""
    account = _account()
    if not account:
        return render_template("empty.html")
    store = sandbox().store
    opps = store.list("opportunities", account["id"])
    counts = {}
    for opp in opps:
        for app in opp["applications"]:
            counts[app["posting"]] = counts.get(app["posting"], 0) + 1
    return render_template("postings.html", postings=store.list("postings", account["id"]), counts=counts,
                           opportunities=opps, stages={s["id"]: s["text"] for s in domain.stages(
                               store, account["id"])}, reasons=_reason_names(account["id"]),
                           posting_states=domain.POSTING_STATES)


def _reason_names(account_id: str) -> dict[str, str]:
    return {r["id"]: r["text"] for r in domain.archive_reasons(sandbox().store, account_id)}


@bp.post("/postings")
def create_posting():
    """Add a posting: text, tags (one per line), state, and whether it is confidential."""
    form = request.form
    tags = [t.strip() for t in form.get("tags", "").splitlines() if t.strip()]
    confidentiality = "confidential" if "confidential" in form else "non-confidential"
    domain.create_posting(sandbox().store, _account()["id"], form.get("text"), tags,
                          form.get("state") or "published", confidentiality=confidentiality)
    flash("Posting added.")
    return _back()


@bp.post("/postings/<posting_id>/tags")
def posting_tags(posting_id):
    """Replace a posting's tags (one per line)."""
    tags = [t.strip() for t in request.form.get("tags", "").splitlines() if t.strip()]
    domain.set_posting_tags(sandbox().store, _account()["id"], posting_id, tags)
    flash("Tags saved.")
    return _back()


@bp.post("/postings/<posting_id>/applicants")
def add_applicant(posting_id):
    """Add an applicant (fires applicationCreated)."""
    sb = sandbox()
    item = {"posting_id": posting_id, "name": request.form.get("name"), "email": request.form.get("email")}
    opp = opportunities.add_applications(sb.store, sb.fire, _account()["id"], [item])[0]
    return _back("ui.candidate", opp_id=opp["id"])


@bp.get("/candidates/<opp_id>")
def candidate(opp_id):
    """A candidate: tags, links, feedback forms, stage, archive, hire, delete."""
    store, account = sandbox().store, _account()
    opp = opportunities.get_opportunity(store, account["id"], opp_id) if account else None
    if not opp:
        return render_template("error.html", message="Candidate not found."), 404
    users = {u["id"]: u["name"] for u in store.list("users", account["id"])}
    reasons, stages = domain.archive_reasons(store, account["id"]), domain.stages(store, account["id"])
    return render_template("candidate.html", opp=opp, stages=stages, users=users,
                           stage_names={s["id"]: s["text"] for s in stages},
                           reasons={r["id"]: r["text"] for r in reasons},
                           active_reasons=[r for r in reasons if r["status"] == "active"],
                           feedback=[f for f in store.list("feedback", account["id"])
                                     if f["opportunityId"] == opp_id],
                           notes=[n for n in store.list("notes", account["id"])
                                  if n["opportunityId"] == opp_id],
                           postings={p["id"]: p["text"] for p in store.list("postings", account["id"])})


@bp.post("/candidates/<opp_id>/<action>")
def candidate_action(opp_id, action):
    """Tags, links, stage, archive, unarchive, hire, delete."""
    sb, aid, form = sandbox(), _account()["id"], request.form
    value = (form.get("value") or "").strip()
    if action in ("addTag", "removeTag") and value:
        opportunities.change_tags(sb.store, aid, opp_id, [value], action == "addTag")
    elif action in ("addLink", "removeLink") and value:
        opportunities.change_links(sb.store, aid, opp_id, [value], action == "addLink")
    elif action == "stage":
        opportunities.move_stage(sb.store, sb.fire, aid, opp_id, form.get("stage_id", ""))
    elif action == "archive":
        reason = domain.archive_reason(sb.store, aid, form.get("reason") or "Withdrew", by_text=True)
        opportunities.set_archived(sb.store, sb.fire, aid, opp_id, reason["id"])
    elif action == "unarchive":
        opportunities.set_archived(sb.store, sb.fire, aid, opp_id, None)
    elif action == "hire":
        opportunities.hire(sb.store, sb.fire, aid, opp_id)
    elif action == "delete":
        opportunities.delete(sb.store, sb.fire, aid, opp_id)
        flash("Candidate deleted.")
        return _back()
    else:
        flash("Nothing to do.")
    return _back("ui.candidate", opp_id=opp_id)


@bp.get("/settings/webhooks")
def webhooks_page():
    """Settings → Integrations and API → Webhooks: groups, webhooks, deliveries, apps."""
    store, account = sandbox().store, _account()
    if not account:
        return render_template("empty.html")
    return render_template("webhooks.html", groups=settings.get_groups(store, account["id"]),
                           hooks=store.list("webhooks", account["id"]), clients=store.list("clients"),
                           deliveries=list(reversed(store.list("deliveries", account["id"])))[:100])


@bp.post("/settings/webhooks/groups")
def webhook_groups():
    """Save the event-group toggles."""
    changes = {g: g in request.form for g in settings.EVENT_GROUPS}
    settings.set_groups(sandbox().store, _account()["id"], changes)
    flash("Webhook settings saved.")
    return _back("ui.webhooks_page")


@bp.post("/settings/webhooks/<hook_id>/test")
def webhook_test(hook_id):
    """Send test."""
    sandbox().deliverer.send_test(_account()["id"], hook_id)
    flash("Test delivery sent.")
    return _back("ui.webhooks_page")


@bp.post("/settings/deliveries/<delivery_id>/rerun")
def delivery_rerun(delivery_id):
    """Rerun a delivery."""
    sandbox().deliverer.rerun(delivery_id)
    flash("Delivery rerun.")
    return _back("ui.webhooks_page")


@bp.post("/settings/apps/<client_id>/revoke")
def revoke_app(client_id):
    """Revoke an app in this account (a Super Admin's action)."""
    count = tokens.revoke_client(sandbox().store, client_id, _account()["id"])
    flash(f"Revoked {count} grant(s) of {client_id}.")
    return _back("ui.webhooks_page")


@bp.route("/settings/faults", methods=["GET", "POST"])
def faults_page():
    """Fault-injection settings."""
    store = sandbox().store
    if request.method == "POST":
        current = settings.get_faults(store)
        changes = {}
        for key, value in current.items():
            if isinstance(value, bool):
                changes[key] = key in request.form
            else:
                try:
                    changes[key] = type(value)(request.form.get(key, value))
                except ValueError:
                    flash(f"{key} must be a number.")
                    return _back("ui.faults_page")
        settings.update_faults(store, changes)
        flash("Faults saved.")
        return _back("ui.faults_page")
    return render_template("faults.html", faults=settings.get_faults(store))


@bp.route("/settings/config", methods=["GET", "POST"])
def config_page():
    """The configuration: rate limits, token lifetimes, retries, scope enforcement and shape switches."""
    store = sandbox().store
    if request.method == "POST":
        try:
            changes = _config_form(settings.get_config(store), request.form)
        except ValueError as exc:
            flash(str(exc))
            return _back("ui.config_page")
        settings.update_config(store, changes)
        flash("Configuration saved.")
        return _back("ui.config_page")
    return render_template("config.html", config=settings.get_config(store), help=settings.CONFIG_HELP,
                           choices=settings.CHOICES)


def _config_form(current: dict, form) -> dict:
    """Read the configuration form: checkboxes, choices, numbers and comma-separated lists."""
    changes = {}
    for key, value in current.items():
        raw = form.get(key, "")
        if isinstance(value, bool):
            changes[key] = key in form
        elif key in settings.CHOICES:
            changes[key] = raw
        elif isinstance(value, list):
            try:
                changes[key] = [float(v) for v in raw.split(",") if v.strip()]
            except ValueError:
                raise ValueError(f"{key} must be numbers separated by commas") from None
        else:
            try:
                changes[key] = float(raw)  # update_config keeps whole numbers whole
            except ValueError:
                raise ValueError(f"{key} must be a number") from None
    return changes


def ms_time(value: int | None) -> str:
    """Milliseconds since the epoch as a UTC time for the pages."""
    if value is None:
        return "—"
    return datetime.fromtimestamp(value / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def field_display(field: dict) -> str:
    """A feedback field's value as Lever shows it."""
    value = field.get("value")
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


bp.add_app_template_global(field_display)
bp.add_app_template_filter(ms_time)
bp.add_app_template_global(feedback.SCORE_OPTIONS, "score_options")
