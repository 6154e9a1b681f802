"""The admin JSON API (`/_admin/...`) for tests and demos. No faults, no auth: a local tool."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from . import domain, feedback, opportunities, settings, tokens, webhooks
from .seed import seed
from .shapes import opportunity_shaper
from .util import bad_request, sandbox

bp = Blueprint("admin", __name__, url_prefix="/_admin")


def _body() -> dict:
    body = request.get_json(silent=True)
    if body is None and not request.data:
        return {}
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return body


def _account_id(body: dict | None = None) -> str:
    wanted = (body or {}).get("account_id") or request.args.get("account_id")
    return domain.default_account(sandbox().store, wanted)["id"]


@bp.post("/reset")
def reset():
    """Delete everything."""
    sandbox().reset()
    return jsonify({"ok": True})


@bp.post("/seed")
def seed_view():
    """Create accounts, clients, users, stages, postings, webhook groups (or the demo set)."""
    return jsonify(seed(sandbox().store, _body())), 201


@bp.route("/config", methods=["GET", "POST"])
def config():
    """Read or change the configuration (validated; unknown keys refused).

    Keys (settings.DEFAULT_CONFIG): rate, burst, access_token_ttl, webhook_retry_delays, send_retry_after,
    code_ttl, enforce_applications_scope (false), answer_shapes ("recorded" | "documented"),
    archived_shape ("object" | "top_level"), omit_urls_in_lists (false).
    """
    store = sandbox().store
    if request.method == "POST":
        return jsonify(settings.update_config(store, _body()))
    return jsonify(settings.get_config(store))


@bp.route("/faults", methods=["GET", "POST"])
def faults():
    """Read or change fault injection."""
    store = sandbox().store
    if request.method == "POST":
        return jsonify(settings.update_faults(store, _body()))
    return jsonify(settings.get_faults(store))


@bp.post("/tokens")
def mint_tokens():
    """Mint tokens directly: {client_id, account_id?, user_id?, scopes}."""
    body, store = _body(), sandbox().store
    client = store.get("clients", body.get("client_id") or "")
    if not client:
        raise bad_request("unknown client_id")
    account_id = _account_id(body)
    scopes = body.get("scopes")
    if not isinstance(scopes, list) or not all(s in tokens.SCOPES for s in scopes):
        raise bad_request("scopes must be a list of known scopes")
    user_id = body.get("user_id")
    if not user_id:
        supers = [u for u in store.list("users", account_id) if u["accessRole"] == "super admin"]
        if not supers:
            raise bad_request("user_id is required (the account has no super admin)")
        user_id = supers[0]["id"]
    elif domain.owner_of(store, "users", user_id) != account_id:
        raise bad_request("user_id is not a user of this account")
    ttl = int(body.get("ttl") or settings.get_config(store)["access_token_ttl"])
    return jsonify(tokens.issue(store, client_id=client["id"], account_id=account_id, user_id=user_id,
                                scopes=scopes, ttl=ttl))


@bp.post("/revoke")
def revoke():
    """Revoke an app: every token of a client (in one account when given)."""
    body = _body()
    if not isinstance(body.get("client_id"), str):
        raise bad_request("client_id is required")
    count = tokens.revoke_client(sandbox().store, body["client_id"], body.get("account_id"))
    return jsonify({"revoked_families": count})


def _opp_json(opp: dict) -> dict:
    store = sandbox().store
    account_id = domain.owner_of(store, "opportunities", opp["id"]) or ""
    return opportunity_shaper(store, account_id, {"applications"})(opp)


@bp.post("/applications")
def add_applications():
    """Add applicants: one {posting_id, name, email, stage_id?} or {"applications": [...]}."""
    body, sb = _body(), sandbox()
    account_id = _account_id(body)
    items = body.get("applications", [body])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise bad_request("applications must be a list of objects")
    opps = opportunities.add_applications(sb.store, sb.fire, account_id, items)
    if "applications" in body:
        return jsonify([_opp_json(o) for o in opps]), 201
    return jsonify(_opp_json(opps[0])), 201


@bp.post("/opportunities/<opp_id>/<action>")
def opportunity_action(opp_id, action):
    """stage {stage_id} | archive {reason: id or text, default Withdrew} | unarchive | hire; each fires its event."""
    body, sb = _body(), sandbox()
    account_id = domain.owner_of(sb.store, "opportunities", opp_id) or _account_id(body)
    if action == "stage":
        opp = opportunities.move_stage(sb.store, sb.fire, account_id, opp_id, body.get("stage_id"))
    elif action == "archive":
        reason = domain.archive_reason(sb.store, account_id, body.get("reason") or "Withdrew", by_text=True)
        opp = opportunities.set_archived(sb.store, sb.fire, account_id, opp_id, reason["id"])
    elif action == "unarchive":
        opp = opportunities.set_archived(sb.store, sb.fire, account_id, opp_id, None)
    elif action == "hire":
        opp = opportunities.hire(sb.store, sb.fire, account_id, opp_id)
    else:
        raise bad_request(f"unknown action {action}")
    return jsonify(_opp_json(opp))


@bp.delete("/opportunities/<opp_id>")
def delete_opportunity(opp_id):
    """Delete an opportunity (fires candidateDeleted)."""
    sb = sandbox()
    account_id = domain.owner_of(sb.store, "opportunities", opp_id) or _account_id()
    opportunities.delete(sb.store, sb.fire, account_id, opp_id)
    return "", 204


@bp.post("/postings/<posting_id>/tags")
def posting_tags(posting_id):
    """Replace a posting's tags: {tags: [...]}."""
    store, body = sandbox().store, _body()
    account_id = domain.owner_of(store, "postings", posting_id) or _account_id(body)
    return jsonify(domain.set_posting_tags(store, account_id, posting_id, body.get("tags")))


@bp.post("/webhook-groups")
def webhook_groups():
    """Switch event groups on/off: {applicationCreated: true, ..., account_id?}."""
    body = _body()
    account_id = _account_id(body)
    changes = {k: v for k, v in body.items() if k != "account_id"}
    return jsonify(settings.set_groups(sandbox().store, account_id, changes))


@bp.post("/webhooks/<hook_id>/test")
def send_test(hook_id):
    """Deliver a test event (data {}) to one webhook."""
    store = sandbox().store
    account_id = domain.owner_of(store, "webhooks", hook_id) or _account_id()
    return jsonify(sandbox().deliverer.send_test(account_id, hook_id)), 201


@bp.get("/state")
def state():
    """Everything in one account (signature tokens included, for tests)."""
    store = sandbox().store
    aid = _account_id()
    opps = []
    for opp in store.list("opportunities", aid):
        item = _opp_json(opp)
        item["feedback"] = [f for f in store.list("feedback", aid) if f["opportunityId"] == opp["id"]]
        item["notes"] = [n for n in store.list("notes", aid) if n["opportunityId"] == opp["id"]]
        opps.append(item)
    return jsonify({
        "account": domain.default_account(store, aid), "users": store.list("users", aid),
        "stages": domain.stages(store, aid), "archive_reasons": domain.archive_reasons(store, aid),
        "postings": store.list("postings", aid), "opportunities": opps,
        "webhooks": [webhooks.public(h, True) for h in store.list("webhooks", aid)],
        "templates": feedback.list_templates(store, aid), "webhook_groups": settings.get_groups(store, aid),
        "clients": store.list("clients"),
    })


@bp.get("/calls")
def calls():
    """The API call log."""
    return jsonify(sandbox().calls.all())


@bp.post("/calls/clear")
def clear_calls():
    """Forget the call log."""
    sandbox().calls.clear()
    return jsonify({"ok": True})


@bp.get("/rate")
def rate():
    """Most requests seen in any 1-second window, per credential (`account:client`)."""
    return jsonify(sandbox().calls.max_per_second())


@bp.get("/deliveries")
def deliveries():
    """Webhook deliveries with their attempts (optionally ?account_id=)."""
    wanted = request.args.get("account_id")
    return jsonify(sandbox().store.list("deliveries", wanted))


@bp.post("/deliveries/<delivery_id>/rerun")
def rerun(delivery_id):
    """Deliver again."""
    return jsonify(sandbox().deliverer.rerun(delivery_id))
