"""The Data API's pipeline endpoints: an opportunity's stage and archived state, and archive reasons."""

from __future__ import annotations

from flask import g, request

from . import domain, opportunities
from .api import bp, json_body, needs, page
from .shapes import one, opportunity_shaper
from .util import bad_request, not_found, sandbox


def _acting_user() -> str | None:
    """The optional `perform_as` user, checked when given."""
    user_id = request.args.get("perform_as")
    return domain.acting_user(sandbox().store, g.account_id, user_id) if user_id else None


def _answer(opp: dict):
    return one(opportunity_shaper(sandbox().store, g.account_id, set())(opp))


@bp.put("/opportunities/<opp_id>/stage")
@needs("opportunities", write=True)
def update_stage(opp_id):
    """Move an opportunity to `{"stage": stageId}`, as a move in the recruiter UI does (same webhook)."""
    sb, body = sandbox(), json_body()
    opportunities.get_opportunity(sb.store, g.account_id, opp_id)
    stage_id = body.get("stage")
    if not isinstance(stage_id, str) or not stage_id:
        raise bad_request("stage must be a stage id")
    return _answer(opportunities.move_stage(sb.store, sb.fire, g.account_id, opp_id, stage_id, _acting_user()))


@bp.put("/opportunities/<opp_id>/archived")
@needs("opportunities", write=True)
def update_archived(opp_id):
    """Archive with `{"reason": archiveReasonId}`, or unarchive with `{"reason": null}`."""
    sb, body = sandbox(), json_body()
    opportunities.get_opportunity(sb.store, g.account_id, opp_id)
    if "reason" not in body:
        raise bad_request("reason is required: an archive reason id, or null to unarchive")
    reason_id = body["reason"]
    if reason_id is not None and not isinstance(reason_id, str):
        raise bad_request("reason must be an archive reason id or null")
    _acting_user()  # checked like Lever checks it; the archived state does not record who archived
    return _answer(opportunities.set_archived(sb.store, sb.fire, g.account_id, opp_id, reason_id))


@bp.get("/archive_reasons")
@needs("archive_reasons")
def list_archive_reasons():
    """The account's archive reasons, optionally of one `type` (hired or non-hired)."""
    kind = request.args.get("type")
    if kind is not None and kind not in domain.ARCHIVE_REASON_TYPES:
        raise bad_request(f"type must be one of {', '.join(domain.ARCHIVE_REASON_TYPES)}")
    reasons = domain.archive_reasons(sandbox().store, g.account_id)
    return page([r for r in reasons if kind is None or r["type"] == kind])


@bp.get("/archive_reasons/<reason_id>")
@needs("archive_reasons")
def get_archive_reason(reason_id):
    """One archive reason."""
    for reason in domain.archive_reasons(sandbox().store, g.account_id):
        if reason["id"] == reason_id:
            return one(reason)
    raise not_found("archive reason")
