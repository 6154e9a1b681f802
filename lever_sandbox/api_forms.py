"""The Data API's feedback templates, feedback, notes and webhooks endpoints."""

from __future__ import annotations

from flask import g, jsonify, request

from . import feedback, webhooks
from .api import bp, json_body, needs, one, page
from .util import sandbox


def _store():
    return sandbox().store


@bp.get("/feedback_templates")
@needs("feedback_templates")
def list_templates():
    """The account's feedback templates."""
    return page(feedback.list_templates(_store(), g.account_id))


@bp.post("/feedback_templates")
@needs("feedback_templates", write=True)
def create_template():
    """Create a template (exactly one score-system field); bare when answers are "documented"."""
    return one(feedback.create_template(_store(), g.account_id, json_body()), 201, documented="bare")


@bp.get("/feedback_templates/<template_id>")
@needs("feedback_templates")
def get_template(template_id):
    """One template; bare when answers are "documented"."""
    return one(feedback.get_template(_store(), g.account_id, template_id), documented="bare")


@bp.put("/feedback_templates/<template_id>")
@needs("feedback_templates", write=True)
def update_template(template_id):
    """Replace a template: every field gets a new id."""
    return one(feedback.update_template(_store(), g.account_id, template_id, json_body()))


@bp.delete("/feedback_templates/<template_id>")
@needs("feedback_templates", write=True)
def delete_template(template_id):
    """Delete a template."""
    feedback.delete_template(_store(), g.account_id, template_id)
    return "", 204


@bp.post("/opportunities/<opp_id>/feedback")
@needs("feedback", write=True)
def create_feedback(opp_id):
    """Submit a feedback form as `perform_as`; bare when answers are "documented"."""
    return one(feedback.create_feedback(_store(), g.account_id, opp_id, json_body(),
                                        request.args.get("perform_as")), 201, documented="bare")


@bp.get("/opportunities/<opp_id>/feedback")
@needs("feedback")
def list_feedback(opp_id):
    """The opportunity's feedback forms."""
    return page(feedback.list_feedback(_store(), g.account_id, opp_id))


@bp.get("/opportunities/<opp_id>/feedback/<feedback_id>")
@needs("feedback")
def get_feedback(opp_id, feedback_id):
    """One feedback form (deleted ones carry deletedAt)."""
    return one(feedback.get_feedback(_store(), g.account_id, opp_id, feedback_id))


@bp.put("/opportunities/<opp_id>/feedback/<feedback_id>")
@needs("feedback", write=True)
def update_feedback(opp_id, feedback_id):
    """Change values; the answer has the storage-like shape."""
    return one(feedback.update_feedback(_store(), g.account_id, opp_id, feedback_id, json_body(),
                                        request.args.get("perform_as")))


@bp.delete("/opportunities/<opp_id>/feedback/<feedback_id>")
@needs("feedback", write=True)
def delete_feedback(opp_id, feedback_id):
    """Delete a feedback form."""
    feedback.delete_feedback(_store(), g.account_id, opp_id, feedback_id)
    return "", 204


@bp.post("/opportunities/<opp_id>/notes")
@needs("notes", write=True)
def create_note(opp_id):
    """Add a note."""
    return one(feedback.create_note(_store(), g.account_id, opp_id, json_body(),
                                    request.args.get("perform_as")), 201)


@bp.get("/opportunities/<opp_id>/notes")
@needs("notes")
def list_notes(opp_id):
    """The opportunity's notes."""
    from .opportunities import get_opportunity

    get_opportunity(_store(), g.account_id, opp_id)
    return page([n for n in _store().list("notes", g.account_id) if n["opportunityId"] == opp_id])


@bp.post("/webhooks")
@needs("webhooks", write=True)
def create_webhook():
    """Register a webhook; the signature token is returned only here (wrapped twice when "documented")."""
    hook = webhooks.create_webhook(_store(), g.account_id, json_body())
    return one(webhooks.public(hook, True), 201, documented="twice")


@bp.get("/webhooks")
@needs("webhooks")
def list_webhooks():
    """Every webhook, without signature tokens; `{"data": [...]}` only."""
    return jsonify({"data": [webhooks.public(h) for h in _store().list("webhooks", g.account_id)]})


@bp.put("/webhooks")
@needs("webhooks", write=True)
def update_webhooks():
    """Update webhooks from `{"data": [{id, url?, configuration?}]}`; answers `{"data": [...]}` without tokens."""
    hooks = webhooks.update_webhooks(_store(), g.account_id, json_body())
    return jsonify({"data": [webhooks.public(h) for h in hooks]})


@bp.delete("/webhooks/<hook_id>")
@needs("webhooks", write=True)
def delete_webhook(hook_id):
    """Remove a webhook."""
    webhooks.get_webhook(_store(), g.account_id, hook_id)
    _store().delete("webhooks", hook_id)
    return "", 204
