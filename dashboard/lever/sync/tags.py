"""The posting-tag grammar (DESIGN.md "Tags on postings").

`<brand> Assessment Stage - <stage>` is parsed before `<brand> Assessment - <name>`. Names compare
exactly after trimming outer white space; near misses (other case, extra inner spaces, unknown or
unpublished assessments) link nothing and are reported with the likely intended assessment.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

STATUS_INVITED = "Invited"
STATUS_IN_PROGRESS = "In Progress"
STATUS_COMPLETED = "Completed"
STATUS_EXPIRED = "Expired"
STATUSES = (STATUS_INVITED, STATUS_IN_PROGRESS, STATUS_COMPLETED, STATUS_EXPIRED)
# Which status an opportunity shows, from its attempts' statuses: the first present in this order (the least
# advanced live attempt; Expired only when nothing is open, running or done; cancelled ones show nothing).
STATUS_PRECEDENCE = (("invited", STATUS_INVITED), ("in_progress", STATUS_IN_PROGRESS),
                     ("completed", STATUS_COMPLETED), ("expired", STATUS_EXPIRED))


def status_tag(brand: str, status: str) -> str:
    """`Alooba - Invited` and friends."""
    return f"{brand} - {status}"


def all_status_tags(brand: str) -> list[str]:
    """The status tags for a brand, in lifecycle order (Expired last)."""
    return [status_tag(brand, s) for s in STATUSES]


def status_for(attempt_statuses) -> str | None:
    """The one status an opportunity shows for its attempts' statuses (STATUS_PRECEDENCE), or None."""
    present = set(attempt_statuses)
    return next((status for attempt_status, status in STATUS_PRECEDENCE if attempt_status in present), None)


def inherited_tags(brand: str, posting_tags: list[str]) -> list[str]:
    """The posting's tags that opportunities inherit: those beginning with `<brand> Assessment`."""
    prefix = f"{brand} Assessment"
    return [t for t in posting_tags if isinstance(t, str) and t.startswith(prefix)]


@dataclass
class ParsedTags:
    """What a posting's tags say: assessment names, stage names, and anything malformed."""

    assessment_names: list[str] = field(default_factory=list)
    stage_names: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def parse_posting_tags(brand: str, tags: list[str]) -> ParsedTags:
    """Split a posting's tags into assessment and stage references (stage form first).

    A tag that starts like ours but does not follow the grammar (wrong case of the keyword,
    missing dash, empty name) is returned in `malformed` so the dashboard can point at it.
    """
    parsed = ParsedTags()
    stage_prefix = f"{brand} Assessment Stage - "
    assessment_prefix = f"{brand} Assessment - "
    loose = _squash(f"{brand} assessment")
    for tag in tags or []:
        if not isinstance(tag, str):
            continue
        if tag.startswith(stage_prefix):
            name = tag[len(stage_prefix):].strip()
            (parsed.stage_names if name else parsed.malformed).append(name or tag)
        elif tag.startswith(assessment_prefix):
            name = tag[len(assessment_prefix):].strip()
            (parsed.assessment_names if name else parsed.malformed).append(name or tag)
        elif _squash(tag).startswith(loose):
            parsed.malformed.append(tag)
    return parsed


def closest_name(wanted: str, candidates: list[str]) -> str | None:
    """The candidate most likely meant by `wanted` (case/space-insensitive, then fuzzy)."""
    squashed = {_squash(c): c for c in candidates}
    if _squash(wanted) in squashed:
        return squashed[_squash(wanted)]
    match = difflib.get_close_matches(_squash(wanted), list(squashed), n=1, cutoff=0.75)
    return squashed[match[0]] if match else None


@dataclass
class Resolution:
    """A posting's tags resolved against this organisation's assessments and Lever's stages."""

    assessment_ids: list[int] = field(default_factory=list)
    stage_ids: list[str] = field(default_factory=list)
    stage_names: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def linked(self) -> bool:
        return bool(self.assessment_ids)

    @property
    def waits_for_stage(self) -> bool:
        return bool(self.stage_names)

    @property
    def blocked(self) -> bool:
        """A stage tag names no known stage: nobody is invited until it is fixed."""
        return self.waits_for_stage and len(self.stage_ids) < 1


def resolve(parsed: ParsedTags, published: dict[str, int], other_assessments: list[str],
            stages: dict[str, str]) -> Resolution:
    """Resolve parsed names. `published`: name → id; `stages`: stage name → Lever stage id."""
    res = Resolution(stage_names=list(parsed.stage_names))
    for name in parsed.assessment_names:
        if name in published:
            if published[name] not in res.assessment_ids:
                res.assessment_ids.append(published[name])
            continue
        guess = closest_name(name, list(published))
        if name in other_assessments:
            res.warnings.append(f"Assessment “{name}” is not published: publish it to link this job.")
        elif guess:
            res.warnings.append(f"No published assessment is named “{name}”; did you mean “{guess}”?")
        else:
            res.warnings.append(f"No published assessment is named “{name}”.")
    for name in parsed.stage_names:
        if name in stages:
            res.stage_ids.append(stages[name])
        else:
            guess = closest_name(name, list(stages))
            hint = f" Did you mean “{guess}”?" if guess else ""
            res.warnings.append(
                f"Lever has no stage named “{name}”: nobody is invited until it is fixed.{hint}")
    for tag in parsed.malformed:
        res.warnings.append(f"The tag “{tag}” does not follow the format and links nothing.")
    return res
