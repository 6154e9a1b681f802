"""Enable, callback, settings, webhooks, test and disconnect of the Lever connection.

Views are thin: they check the session-bound OAuth state, call the connection services, commit once
and then perform the follow-up Lever calls (users list, webhooks) with their own commit.
"""

from __future__ import annotations

import hmac

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm

from dashboard.core.auth import role_required
from dashboard.core.boundary import act, attempt
from dashboard.core.htmx import is_htmx
from dashboard.extensions import db
from dashboard.lever.api.environments import environment_from_config
from dashboard.lever.api.errors import LeverError
from dashboard.lever.connection import scopes
from dashboard.lever.connection import services as svc
from dashboard.lever.connection.clients import client_for
from dashboard.lever.connection.forms import LeverSettingsForm, PasteWebhookForm
from dashboard.lever.connection.models import EVENT_LABELS, WEBHOOK_EVENTS
from dashboard.lever.connection.tokens import oauth_from_config

bp = Blueprint("lever_connect", __name__, url_prefix="/settings/integrations/lever")

SESSION_KEY = "lever_oauth"


def settings_url() -> str:
    """Where the connection card lives: the organisation settings page when it exists."""
    if "org.settings" in current_app.view_functions:
        return url_for("org.settings")
    return url_for("lever_connect.page")


def _back():
    return redirect(settings_url())


def _connection_or_flash(require_connected: bool = True):
    conn = svc.get_connection(current_user.organisation_id)
    if conn is None or (require_connected and conn.status != "connected"):
        flash("Lever is not connected. Click Enable to connect it first.", "error")
        return None
    return conn


def lever_card_context(settings_form=None, paste_form=None) -> dict:
    """Everything `lever/_card.html` shows for the logged-in user's organisation."""
    if not (current_user and current_user.is_authenticated):
        return {"conn": None, "can_manage": False}
    conn = svc.get_connection(current_user.organisation_id)
    if not isinstance(settings_form, FlaskForm):
        settings_form = LeverSettingsForm(formdata=None, obj=conn) if conn else None
        if settings_form is not None:
            settings_form.set_users(conn.lever_users)
    if not isinstance(paste_form, FlaskForm):
        paste_form = PasteWebhookForm(formdata=None, prefix="webhook")
    hooks = {e: [h for h in conn.webhooks if h.event == e] for e in WEBHOOK_EVENTS} if conn else {}
    return {
        "conn": conn,
        "can_manage": current_user.has_role("admin"),
        "hooks": hooks,
        "event_labels": EVENT_LABELS,
        "settings_form": settings_form,
        "paste_form": paste_form,
        "history": list(conn.events[:5]) if conn else [],
        "settings_url": settings_url(),
        "webhook_url": svc.webhook_url(current_app.config, conn) if conn else None,
        "missing_features": scopes.missing_features(conn),
    }


def lever_banner():
    """The connection needing attention, for owners/admins (None otherwise)."""
    if not (current_user and current_user.is_authenticated and current_user.has_role("admin")):
        return None
    conn = svc.layout_connection(current_user.organisation_id)
    return conn if conn is not None and conn.status == "reconnect_needed" else None


def lever_missing_features() -> list:
    """The features a connected organisation lacks Lever's permission for, for owners/admins."""
    if not (current_user and current_user.is_authenticated and current_user.has_role("admin")):
        return []
    return scopes.missing_features(svc.layout_connection(current_user.organisation_id))


@bp.app_context_processor
def _inject():
    return {"lever_card_context": lever_card_context, "lever_banner": lever_banner,
            "lever_missing_features": lever_missing_features, "lever_settings_url": settings_url}


@bp.get("/")
@role_required("recruiter")
def page():
    """The connection card on a page of its own."""
    return render_template("lever/connect_page.html")


@bp.post("/enable")
@role_required("admin")
def enable():
    """Start the authorization-code flow: state and PKCE verifier stay in this session only."""
    auth = oauth_from_config(current_app.config).authorize(svc.callback_url(current_app.config))
    session[SESSION_KEY] = {"state": auth.state, "verifier": auth.code_verifier,
                            "org": current_user.organisation_id, "user": current_user.id}
    return redirect(auth.url)


@bp.get("/callback")
@role_required("admin")
def callback():
    """Lever sends the browser back here with a code (or a refusal) and our state."""
    pending = session.pop(SESSION_KEY, None)
    state = request.args.get("state", "")
    if (not isinstance(pending, dict) or not state
            or not hmac.compare_digest(str(pending.get("state", "")), state)
            or pending.get("org") != current_user.organisation_id or pending.get("user") != current_user.id):
        flash("This Lever authorization could not be verified: it expired, was already used, or was "
              "started in another session. Nothing was changed; click Enable to try again.", "error")
        return _back()
    if request.args.get("error"):
        reason = (request.args.get("error_description") or request.args["error"])[:300]
        flash(f"Lever was not connected: the authorization was refused ({reason}).", "error")
        return _back()
    code = request.args.get("code", "")
    if not code:
        flash("Lever's answer had no authorization code. Nothing was changed; please try again.", "error")
        return _back()

    outcome = attempt(lambda: svc.complete_authorization(
        current_user.organisation_id, current_user.id, code=code,
        redirect_uri=svc.callback_url(current_app.config), code_verifier=pending.get("verifier"),
        oauth=oauth_from_config(current_app.config), lever_env=environment_from_config(current_app.config).name))
    if not outcome.ok:
        flash(str(outcome.error), "error")
        return _back()
    _after_connect(outcome.result)  # reads Lever's users: who connected, by name
    flash(f"Lever is connected ({outcome.result.account_label}).", "success")
    lacking = scopes.missing_features(outcome.result)
    if lacking:
        flash("Lever did not grant every permission; everything else works, but these features are off: "
              + ", ".join(f.name for f in lacking) + ". Reconnect and keep every permission ticked to turn "
              "them on.", "warning")
    return _back()


def _after_connect(conn) -> None:
    """Load Lever's users (perform-as default) and set up the webhooks; problems go on the card."""
    client = client_for(conn)
    try:
        svc.refresh_lever_users(conn, client)
    except LeverError as exc:
        flash(f"Lever's user list could not be loaded ({exc.message}); choose the feedback author "
              "later in the settings.", "warning")
    db.session.commit()
    failures = svc.set_up_webhooks(conn, client, svc.webhook_url(current_app.config, conn))
    db.session.commit()
    if failures:
        flash("Some webhooks could not be set up: " + "; ".join(failures), "warning")


@bp.post("/webhooks/setup")
@role_required("admin")
def setup_webhooks():
    """Set up the webhooks again after a failure."""
    conn = _connection_or_flash()
    if conn is None:
        return _back()
    try:
        failures = svc.set_up_webhooks(conn, client_for(conn), svc.webhook_url(current_app.config, conn))
    except LeverError as exc:
        db.session.commit()
        flash(f"Webhooks could not be set up: {exc.message}", "error")
        return _back()
    db.session.commit()
    if failures:
        flash("Some webhooks could not be set up: " + "; ".join(failures), "error")
    else:
        flash("All webhooks are set up.", "success")
    return _back()


@bp.post("/webhooks/paste")
@role_required("admin")
def paste_webhook():
    """Store the signature token of a webhook made by hand in Lever."""
    conn = _connection_or_flash()
    if conn is None:
        return _back()
    form = PasteWebhookForm(prefix="webhook")
    if not form.validate():
        return render_template("lever/connect_page.html", lever_paste_form=form), 400
    return act(lambda: svc.add_pasted_webhook(conn, event=form.event.data, token=form.token.data,
                                              url=svc.webhook_url(current_app.config, conn)),
               settings_url(), f"Signature token saved for {EVENT_LABELS[form.event.data]}.")


@bp.post("/settings")
@role_required("admin")
def save_settings():
    """Perform-as user, reuse window and tag prefix."""
    conn = _connection_or_flash(require_connected=False)
    if conn is None:
        return _back()
    form = LeverSettingsForm()
    form.set_users(conn.lever_users)
    if not form.validate():
        return render_template("lever/connect_page.html", lever_settings_form=form), 400
    brand = (form.tag_brand.data or "").strip()
    unlinked = svc.prefix_change_impact(conn, brand)
    if unlinked and request.form.get("confirm_prefix") != brand:  # say what it unlinks; save only when confirmed
        return render_template("lever/connect_page.html", lever_settings_form=form,
                               lever_prefix_change={"old": conn.tag_brand, "new": brand, "jobs": unlinked}), 409
    return act(lambda: svc.update_settings(conn, current_user.id, perform_as_user_id=form.perform_as_user_id.data,
                                           reuse_days=form.reuse_days.data, tag_brand=form.tag_brand.data),
               settings_url(), "Lever settings saved.")


@bp.post("/users/refresh")
@role_required("admin")
def refresh_users():
    """Reload Lever's active users for the perform-as choice."""
    conn = _connection_or_flash()
    if conn is None:
        return _back()
    try:
        svc.refresh_lever_users(conn, client_for(conn))
        ok, message = True, "Lever's user list was reloaded."
    except LeverError as exc:
        ok, message = False, f"Lever's user list could not be loaded: {exc.message}"
    db.session.commit()
    if is_htmx():
        return render_template("lever/_card.html", lever_card_notice=(ok, message))
    flash(message, "success" if ok else "error")
    return _back()


@bp.post("/test")
@role_required("admin")
def test_connection():
    """One cheap authenticated call; htmx gets the result inline."""
    conn = svc.get_connection(current_user.organisation_id)
    if conn is None or conn.status != "connected":
        ok, message = False, "Lever is not connected."
    else:
        ok, message = svc.check_connection(client_for(conn))
        db.session.commit()  # the token source may have refreshed or flagged the connection
    if is_htmx():
        return render_template("lever/connect_test.html", ok=ok, message=message)
    flash(("Connection works. " if ok else "Connection failed: ") + message, "success" if ok else "error")
    return _back()


@bp.post("/disconnect")
@role_required("admin")
def disconnect():
    """Remove our webhooks in Lever, drop the tokens, keep the history."""
    conn = _connection_or_flash(require_connected=False)
    if conn is None:
        return _back()
    if conn.status == "disconnected":
        flash("Lever is already disconnected.", "info")
        return _back()
    client = None
    if conn.status == "connected":
        try:
            client = client_for(conn)
        except LeverError:
            client = None
    failures = svc.disconnect(conn, current_user.id, client)
    db.session.commit()
    if failures:
        flash("Lever is disconnected, but these webhooks could not be removed in Lever; remove them in "
              "Lever's Settings → Integrations and API → Webhooks: " + "; ".join(failures), "warning")
    else:
        flash("Lever is disconnected.", "success")
    return _back()
