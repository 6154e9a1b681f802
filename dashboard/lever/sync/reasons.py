"""Why an applicant was, or was not, invited: the decision the rules last took for an opportunity.

Each decision is a short code (for filters, counts and Needs attention) and the words its sync history
uses. `HELD` are the codes that wait for a person: nobody is invited until someone acts.
"""

from __future__ import annotations

from dashboard.lever.sync import tags as tag_rules
from dashboard.lever.sync.models import LeverOpportunity

# code → what the candidates list says (the row's own reason gives the details)
LABELS = {
    "invited": "Invited",
    "result_reused": "Result reused",
    "job_not_linked": "Job not linked",
    "no_posting": "No job posting",
    "waiting_stage": "Waiting for the trigger stage",
    "stage_unknown": "Trigger stage not found",
    "tag_near_miss": "Tag near miss",
    "assessment_unpublished": "Assessment not published",
    "archived": "Archived",
    "hired": "Hired",
    "backfill_held": "Held for the backfill decision",
    "backfill_skipped": "Before the connection",
    "email_unusable": "Email unusable",
}
NOT_INVITED = tuple(code for code in LABELS if code not in ("invited", "result_reused"))
# Held until a person acts (decide the backfill, fix a tag or a stage, publish, fix the email). Other
# features add theirs here, so that Needs attention and the counts follow.
HELD = ("backfill_held", "stage_unknown", "tag_near_miss", "assessment_unpublished", "email_unusable")
UNKNOWN = "Not decided since this was recorded: the next sync says why."

NO_POSTING = "Not linked: the opportunity has no job posting."
ARCHIVED = "Not invited: the opportunity is archived."
HIRED = "Not invited: hired in Lever."


def decide(opp: LeverOpportunity, code: str, reason: str) -> bool:
    """Record the decision on the opportunity; True when it differs from the one before."""
    changed = (opp.reason_code, opp.reason) != (code, reason[:300])
    opp.reason_code, opp.reason = code, reason[:300]
    return changed


def unlinked(job: str, resolution: tag_rules.Resolution) -> tuple[str, str]:
    """(code, words) for an applicant to a job whose tags link no assessment."""
    kinds = {p.kind for p in resolution.problems}
    near = next((p for p in resolution.problems if p.kind == "near_miss" and p.suggestion), None)
    if near is not None:
        return "tag_near_miss", (f"Not invited: job “{job}” has the tag “{near.tag}”, which nearly matches "
                                 f"“{near.suggestion}”; fix the tag in Lever.")
    if "unpublished" in kinds:
        name = next(p.name for p in resolution.problems if p.kind == "unpublished")
        return "assessment_unpublished", f"Not invited: the assessment “{name}” of job “{job}” is not published."
    return "job_not_linked", f"Not linked: job “{job}” has no assessment tag."


def stage_wait(stages: str, blocked: bool) -> tuple[str, str]:
    """(code, words) for an applicant waiting for a trigger stage (`stages`: the names, quoted)."""
    if blocked:
        return "stage_unknown", f"Waiting: stage {stages} does not exist in Lever; fix the job's tag."
    return "waiting_stage", f"Waiting for stage {stages}."


def invited(reused_only: bool) -> tuple[str, str]:
    """(code, words) once the opportunity has its invitations."""
    if reused_only:
        return "result_reused", "Not invited again: an earlier result is reused."
    return "invited", "Invited."
