"""The Data API under /v1: authentication, scopes, pacing, pagination, postings and opportunities."""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import Blueprint, current_app, g, jsonify, request

from . import domain, opportunities, tokens
from .access import APPLICATIONS_SCOPE, confidential_refusal, has_scope, listed_confidentiality, missing_scope
from .guard import drop_connection, injected_fault
from .settings import get_config, get_faults
from .shapes import one, opportunity_shaper, shape_posting
from .util import ApiError, api_error, bad_request, sandbox

bp = Blueprint("api", __name__, url_prefix="/v1")
GUARDED = ("/v1/", "/oauth/token")
WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")


def needs(resource: str, write: bool = False):
    """Mark a view as requiring `<resource>:read:admin` (or `:write:admin`)."""
    def mark(view):
        view.required_scope = (resource, write)
        return view
    return mark


def register_guards(app) -> None:
    """Faults, authentication, rate limiting, scopes and the call log for /v1 and /oauth/token."""

    @app.before_request
    def before():
        if not request.path.startswith(GUARDED):
            return None
        g.client_id = g.account_id = None
        sb = sandbox()
        fault = injected_fault(get_faults(sb.store))
        if fault == "error":
            return api_error(500, "InternalServerError", "Injected server error")
        if fault == "rate_limit":
            return _too_many()
        if not request.path.startswith("/v1/"):
            return None
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return api_error(401, "UnauthorizedError", "Missing bearer token")
        try:
            claims = tokens.decode_access(sb.store, header[7:].strip())
        except ApiError as exc:
            return api_error(exc.status, exc.code, exc.message)
        g.account_id, g.client_id = claims[tokens.CLAIM_ACCOUNT], claims["azp"]
        g.user_id, g.scopes = claims[tokens.CLAIM_USER], claims["scope"].split()
        cfg = get_config(sb.store)
        if not sb.limiter.allow(f"{g.account_id}:{g.client_id}", cfg["rate"], cfg["burst"]):
            return _too_many()
        view = current_app.view_functions.get(request.endpoint)
        required = getattr(view, "required_scope", None)
        if required and not has_scope(g.scopes, *required):
            return api_error(403, "ForbiddenError", f"Missing scope {required[0]}:"
                             f"{'write' if required[1] else 'read'}:admin")
        refusal = confidential_refusal(sb.store, g.account_id, request.view_args or {}, g.scopes)
        if refusal:
            return api_error(refusal.status, refusal.code, refusal.message)
        return None

    @app.after_request
    def after(resp):
        if not request.path.startswith(GUARDED):
            return resp
        sb = sandbox()
        client_id = g.get("client_id") or request.form.get("client_id")
        sb.calls.record(request.method, request.path, resp.status_code, client_id, g.get("account_id"))
        faults = get_faults(sb.store)
        if (request.method in WRITE_METHODS and resp.status_code < 300
                and faults["drop_response_after_write_rate"]
                and _chance(faults["drop_response_after_write_rate"])):
            drop_connection(request.environ, faults["timeout_seconds"])
        return resp

    @app.errorhandler(ApiError)
    def api_refusal(exc: ApiError):
        return api_error(exc.status, exc.code, exc.message)


def _chance(rate: float) -> bool:
    import random
    return random.random() < rate


def _too_many():
    resp = api_error(429, "TooManyRequests", "Rate limit exceeded")
    if get_config(sandbox().store)["send_retry_after"]:
        resp.headers["Retry-After"] = "1"
    return resp


# -- pagination -----------------------------------------------------------------------------------

def _offset_sig(index: int) -> str:
    key = tokens.signing_secret(sandbox().store)
    mac = hmac.new(key, f"{g.account_id}:{request.path}:{index}".encode(), hashlib.sha256).hexdigest()
    return mac[:16]


def page(items: list, shape=lambda x: x):
    """The list envelope for `limit`/`offset`: {data, hasNext, next?}."""
    raw_limit = request.args.get("limit", "100")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise bad_request("limit must be an integer from 1 to 100")
    limit, start = int(raw_limit), 0
    offset = request.args.get("offset")
    if offset:
        try:
            index, sig = base64.urlsafe_b64decode(offset.encode()).decode().split(":")
            start = int(index)
            valid = hmac.compare_digest(sig, _offset_sig(start))
        except (ValueError, UnicodeDecodeError):
            valid = False
        if not valid:
            raise bad_request(f"Invalid offset token: {offset}")
    chunk = items[start:start + limit]
    body = {"data": [shape(x) for x in chunk], "hasNext": start + limit < len(items)}
    if body["hasNext"]:
        nxt = start + limit
        body["next"] = base64.urlsafe_b64encode(f"{nxt}:{_offset_sig(nxt)}".encode()).decode()
    return jsonify(body)


def _ms(name: str) -> int | None:
    value = request.args.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise bad_request(f"{name} must be milliseconds since the epoch")
    return int(value)


def json_body() -> dict:
    """The request's JSON object, or a 400."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return body


# -- postings, stages, users, tags ----------------------------------------------------------------

@bp.get("/postings")
@needs("postings")
def list_postings():
    """Postings filtered by state, tag (repeated = OR) and confidentiality (non-confidential by default)."""
    states, tags = request.args.getlist("state"), request.args.getlist("tag")
    shown = listed_confidentiality(request.args.get("confidentiality"), g.scopes)
    items = [p for p in sandbox().store.list("postings", g.account_id)
             if (not states or p["state"] in states) and (not tags or set(tags) & set(p["tags"]))
             and p.get("confidentiality", "non-confidential") in shown]
    return page(items, shape_posting)


@bp.get("/postings/<posting_id>")
@needs("postings")
def get_posting(posting_id):
    """One posting."""
    return one(shape_posting(domain.get_posting(sandbox().store, g.account_id, posting_id)))


@bp.get("/stages")
@needs("stages")
def list_stages():
    """The account's stages."""
    return page(domain.stages(sandbox().store, g.account_id))


@bp.get("/users")
@needs("users")
def list_users():
    """Users, optionally filtered by email."""
    emails = [e.lower() for e in request.args.getlist("email")]
    users = [u for u in sandbox().store.list("users", g.account_id) if not emails or u["email"] in emails]
    return page(users)


@bp.get("/tags")
@needs("tags")
def list_tags():
    """Every tag in use with its count of opportunities."""
    counts: dict[str, int] = {}
    for opp in sandbox().store.list("opportunities", g.account_id):
        for tag in opp["tags"]:
            counts[tag] = counts.get(tag, 0) + 1
    return page([{"text": t, "count": c} for t, c in counts.items()])


# -- opportunities --------------------------------------------------------------------------------

EXPANDABLE = {"applications", "stage", "contact"}


def _expand() -> set[str]:
    """The expansions asked for; applications need their scope when `enforce_applications_scope` is on."""
    wanted = {part for value in request.args.getlist("expand") for part in value.split(",") if part}
    if wanted - EXPANDABLE:
        raise bad_request(f"cannot expand {', '.join(sorted(wanted - EXPANDABLE))}")
    if ("applications" in wanted and get_config(sandbox().store)["enforce_applications_scope"]
            and not has_scope(g.scopes, "applications")):
        raise missing_scope(APPLICATIONS_SCOPE, "expand=applications")
    return wanted


def _matches(opp: dict, args) -> bool:
    postings, stage_ids = args.getlist("posting_id"), args.getlist("stage_id")
    tags, emails = args.getlist("tag"), [e.lower() for e in args.getlist("email")]
    if postings and not {a["posting"] for a in opp["applications"]} & set(postings):
        return False
    if (stage_ids and opp["stage"] not in stage_ids) or (tags and not set(tags) & set(opp["tags"])):
        return False
    if emails and not set(emails) & set(opp["emails"]):
        return False
    archived = args.get("archived")
    return archived is None or (opp["archived"] is not None) == (archived == "true")


@bp.get("/opportunities")
@needs("opportunities")
def list_opportunities():
    """Opportunities with Lever's filters (non-confidential ones unless `confidentiality` says otherwise)."""
    expand = _expand()
    if request.args.get("archived") not in (None, "true", "false"):
        raise bad_request("archived must be true or false")
    shown = listed_confidentiality(request.args.get("confidentiality"), g.scopes)
    ranges = [("updatedAt", _ms("updated_at_start"), _ms("updated_at_end")),
              ("createdAt", _ms("created_at_start"), _ms("created_at_end"))]
    items = [o for o in sandbox().store.list("opportunities", g.account_id)
             if _matches(o, request.args) and o.get("confidentiality", "non-confidential") in shown
             and all((lo is None or o[f] >= lo) and (hi is None or o[f] <= hi) for f, lo, hi in ranges)]
    return page(items, opportunity_shaper(sandbox().store, g.account_id, expand, in_list=True))


@bp.get("/opportunities/<opp_id>")
@needs("opportunities")
def get_opportunity(opp_id):
    """One opportunity."""
    expand, store = _expand(), sandbox().store
    opp = opportunities.get_opportunity(store, g.account_id, opp_id)
    return one(opportunity_shaper(store, g.account_id, expand)(opp))


@bp.post("/opportunities/<opp_id>/<action>")
@needs("opportunities", write=True)
def change_opportunity(opp_id, action):
    """addTags / removeTags / addLinks / removeLinks with set semantics."""
    store, body = sandbox().store, json_body()
    if action in ("addTags", "removeTags"):
        opp = opportunities.change_tags(store, g.account_id, opp_id, body.get("tags"), action == "addTags")
    elif action in ("addLinks", "removeLinks"):
        opp = opportunities.change_links(store, g.account_id, opp_id, body.get("links"), action == "addLinks")
    else:
        raise ApiError(404, "ResourceNotFound", f"unknown action {action}")
    return one(opportunity_shaper(store, g.account_id, set())(opp))
