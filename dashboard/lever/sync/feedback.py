"""Our feedback form in Lever: the template, the values, and the one form per (opportunity, attempt).

When an earlier try of the write may have reached Lever (a crash between Lever's answer and our
commit, a lost answer), the form is looked for before it is created, so a second one is never made:
a live form of our template whose reference field names the attempt. On a first try with nothing
unknown there is nothing to find, and the create goes out alone.

The form is written only when what it shows changes: a part that is submitted but not yet evaluated
reads "not scored yet", as before its submission.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from dashboard.assessments.models import Assessment, Part
from dashboard.assessments.rating import rating_for
from dashboard.attempts import services as attempts
from dashboard.attempts.models import Attempt, Candidate, PartScore
from dashboard.core.clock import utcnow
from dashboard.core.scores import format_score
from dashboard.extensions import db
from dashboard.lever.api.errors import LeverBadRequestError, LeverNotFoundError
from dashboard.lever.sync import catalog
from dashboard.lever.sync.models import FeedbackForm, LeverOpportunity

# Our key → (Lever field type, label). Exactly one score-system field, as Lever requires.
FIELDS = (
    ("rating", "score-system", "Rating"),
    ("status", "text", "Score status"),
    ("final", "text", "Final score"),
    ("pass_mark", "text", "Pass mark"),
    ("parts", "textarea", "Scores by part"),
    ("profile", "text", "Candidate profile"),
    ("reference", "text", "Reference"),
)


def template_name(brand: str) -> str:
    return f"{brand} Assessment Results"


def template_body(brand: str) -> dict:
    """The feedback template we create in Lever."""
    return {
        "text": template_name(brand),
        "instructions": f"Written by the {brand} integration; updated in place as scoring finishes.",
        "fields": [{"text": label, "type": kind, "required": False} for _, kind, label in FIELDS],
    }


def _field_map(template: dict) -> dict[str, str]:
    by_label = {f.get("text"): f.get("id") for f in template.get("fields") or [] if isinstance(f, dict)}
    return {key: by_label[label] for key, _, label in FIELDS if by_label.get(label)}


def ensure_template(connection, client, *, force: bool = False) -> tuple[str, dict[str, str]]:
    """(template id, field ids) of our template, created in Lever when missing; cached per connection."""
    cache = catalog.account_cache(connection)
    if cache.template_id and len(cache.template_fields or {}) == len(FIELDS) and not force:
        return cache.template_id, dict(cache.template_fields)
    name = template_name(connection.tag_brand or "Alooba")
    found = None
    for template in client.list_feedback_templates():
        if template.get("text") == name and not template.get("deletedAt"):
            full = template if template.get("fields") else client.get_feedback_template(template["id"])
            if len(_field_map(full)) == len(FIELDS):
                found = full
                break
    if found is None:
        found = client.create_feedback_template(template_body(connection.tag_brand or "Alooba"))
    cache.template_id = found["id"]
    cache.template_fields = _field_map(found)
    db.session.flush()
    return cache.template_id, dict(cache.template_fields)


def reference(attempt: Attempt) -> str:
    """The value of our reference field: how we recognise the form of this attempt."""
    return f"attempt-{attempt.id}"


def values(attempt: Attempt) -> dict[str, str | None]:
    """The form's values from the platform's current scores.

    The rating (the score-system field) is given only with the final score: while a part awaits
    evaluation it is null, and the score shown is labelled as covering the scored parts only, so a
    partial score never reads as an overall rating in Lever."""
    assessment = db.session.get(Assessment, attempt.assessment_id)
    candidate = db.session.get(Candidate, attempt.candidate_id)
    parts = db.session.scalars(select(Part).where(Part.assessment_id == assessment.id)
                               .order_by(Part.position)).all()
    scores = {s.part_id: s for s in db.session.scalars(select(PartScore).where(
        PartScore.attempt_id == attempt.id))}
    lines = []
    scored = 0
    for part in parts:
        score = scores.get(part.id)
        if score is not None and score.score is not None and score.state == "scored":
            lines.append(f"{part.name}: {format_score(score.score)}")
            scored += 1
        else:  # submitted and awaiting evaluation reads the same: no score to show yet
            lines.append(f"{part.name}: not scored yet")
    final = attempt.final_score
    is_final = attempt.evaluation_state == "final" and final is not None
    return {
        "rating": rating_for(attempt.passing_score, final).label if is_final else None,
        "status": "Final" if is_final else provisional_status(scored, len(parts)),
        "final": format_score(final) if is_final else provisional_score(final, scored, len(parts)),
        "pass_mark": format_score(attempt.passing_score),
        "parts": "\n".join(lines),
        "profile": attempts.candidate_profile_link(candidate),
        "reference": reference(attempt),
    }


def provisional_status(scored: int, total: int) -> str:
    """The "Score status" while the score is not final: what is still missing, and that no rating is given."""
    return (f"Provisional: {total - scored} of {total} part{'s' if total != 1 else ''} not scored yet; "
            "no rating until the final score")


def provisional_score(score: float | None, scored: int, total: int) -> str:
    """The "Final score" field before the score is final: never a bare number."""
    if score is None:
        return "Not final: no part scored yet"
    return (f"Not final: {format_score(score)} provisional, covering only the scored parts "
            f"({scored} of {total})")


def digest(vals: dict) -> str:
    return hashlib.sha256(json.dumps(vals, sort_keys=True).encode()).hexdigest()


def _find_ours(client, opp: LeverOpportunity, template_id: str, fields: dict[str, str], ref: str) -> str | None:
    for form in client.list_feedback(opp.lever_id):
        if form.get("deletedAt") or form.get("baseTemplateId") not in (template_id, None):
            continue
        for field in form.get("fields") or []:
            if field.get("id") == fields.get("reference") and field.get("value") == ref:
                return form["id"]
            if field.get("text") == "Reference" and field.get("value") == ref:
                return form["id"]
    return None


def write(connection, client, opp: LeverOpportunity, attempt: Attempt, perform_as: str, *,
          look_first: bool = True) -> str:
    """Create or update our form for (opportunity, attempt). Returns what was done. `look_first`: an
    earlier try may have created the form in Lever, so look for it before creating one."""
    form = db.session.scalar(select(FeedbackForm).where(
        FeedbackForm.opportunity_id == opp.id, FeedbackForm.attempt_id == attempt.id))
    if form is None:
        form = FeedbackForm(organisation_id=opp.organisation_id, opportunity_id=opp.id, attempt_id=attempt.id)
        db.session.add(form)
    vals = values(attempt)
    new_digest = digest(vals)
    if form.lever_feedback_id and form.written_digest == new_digest:
        return "unchanged"
    template_id, fields = ensure_template(connection, client)
    body = {"fieldValues": [{"id": fields[k], "value": v} for k, v in vals.items() if k in fields],
            "completedAt": int(utcnow().timestamp() * 1000)}
    action = "updated"
    if not form.lever_feedback_id and look_first:
        form.lever_feedback_id = _find_ours(client, opp, template_id, fields, vals["reference"])
    if form.lever_feedback_id:
        try:
            client.update_feedback(opp.lever_id, form.lever_feedback_id, body, perform_as=perform_as)
        except LeverNotFoundError:
            form.lever_feedback_id = None
    if not form.lever_feedback_id:
        try:
            created = client.create_feedback(opp.lever_id, {"baseTemplateId": template_id, **body},
                                             perform_as=perform_as)
        except (LeverBadRequestError, LeverNotFoundError):
            # Our template was deleted or changed in Lever: recreate / re-read it once and retry.
            template_id, fields = ensure_template(connection, client, force=True)
            body["fieldValues"] = [{"id": fields[k], "value": v} for k, v in vals.items() if k in fields]
            created = client.create_feedback(opp.lever_id, {"baseTemplateId": template_id, **body},
                                             perform_as=perform_as)
        form.lever_feedback_id = created["id"]
        action = "created"
    form.written_digest = new_digest
    form.written_at = utcnow()
    return action
