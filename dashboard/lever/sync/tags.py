"""The posting-tag grammar (DESIGN.md "Tags on postings").

`<brand> Assessment Stage - <stage>` is parsed before `<brand> Assessment - <name>`. Names compare
exactly after trimming outer white space; near misses (case, white space, dashes, a missing word, a
small typo: `tag_match`), unknown or unpublished assessments and unknown stages link nothing and are
reported as `TagProblem`s with the exact tag that was likely intended.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from dashboard.lever.sync import tag_match

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
    """What a posting's tags say: assessment names, stage names, and anything malformed.

    `assessment_tags` / `stage_tags` are the tags as written, in the order of the names; `other` are
    the posting's remaining tags (checked for near misses when resolved)."""

    assessment_names: list[str] = field(default_factory=list)
    stage_names: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    brand: str = "Alooba"
    assessment_tags: list[str] = field(default_factory=list)
    stage_tags: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def assessment_tag(brand: str, name: str) -> str:
    """The tag that links a job to the assessment `name`."""
    return f"{brand} Assessment - {name}"


def stage_tag(brand: str, stage: str) -> str:
    """The tag that makes a job's invitations wait for `stage`."""
    return f"{brand} Assessment Stage - {stage}"


def parse_posting_tags(brand: str, tags: list[str]) -> ParsedTags:
    """Split a posting's tags into assessment and stage references (stage form first).

    A tag that starts like ours but does not follow the grammar (wrong case of the keyword,
    missing dash, empty name) is returned in `malformed` so the dashboard can point at it.
    """
    parsed = ParsedTags(brand=brand)
    stage_prefix = stage_tag(brand, "")
    assessment_prefix = assessment_tag(brand, "")
    loose = _squash(f"{brand} assessment")
    for tag in tags or []:
        if not isinstance(tag, str):
            continue
        if tag.startswith(stage_prefix) and tag[len(stage_prefix):].strip():
            parsed.stage_names.append(tag[len(stage_prefix):].strip())
            parsed.stage_tags.append(tag)
        elif tag.startswith(assessment_prefix) and tag[len(assessment_prefix):].strip():
            parsed.assessment_names.append(tag[len(assessment_prefix):].strip())
            parsed.assessment_tags.append(tag)
        elif tag.startswith((stage_prefix, assessment_prefix)) or _squash(tag).startswith(loose):
            parsed.malformed.append(tag)
        else:
            parsed.other.append(tag)
    return parsed


def closest_name(wanted: str, candidates: list[str]) -> str | None:
    """The candidate most likely meant by `wanted` (case/space-insensitive, then fuzzy)."""
    squashed = {_squash(c): c for c in candidates}
    if _squash(wanted) in squashed:
        return squashed[_squash(wanted)]
    match = difflib.get_close_matches(_squash(wanted), list(squashed), n=1, cutoff=0.75)
    return squashed[match[0]] if match else None


@dataclass(frozen=True)
class TagProblem:
    """One tag of a posting that does not do what it seems meant to.

    `kind`: near_miss (nearly a tag that would link or set a stage), unpublished (names an assessment
    that is not published), unknown_assessment, unknown_stage, malformed. `suggestion` is the exact tag
    to use instead, `name` the assessment or stage concerned, `differences` what differs, in words."""

    tag: str
    kind: str
    message: str
    suggestion: str | None = None
    name: str | None = None
    differences: tuple[str, ...] = ()


@dataclass
class Resolution:
    """A posting's tags resolved against this organisation's assessments and Lever's stages."""

    assessment_ids: list[int] = field(default_factory=list)
    stage_ids: list[str] = field(default_factory=list)
    stage_names: list[str] = field(default_factory=list)
    problems: list[TagProblem] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """The problems in words."""
        return [p.message for p in self.problems]

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


class _Intended:
    """The tags that would do something for this organisation, by what they name."""

    def __init__(self, brand: str, published: dict[str, int], others: list[str], stages: dict[str, str]):
        self.brand = brand
        self.assessments = {assessment_tag(brand, n): n for n in published}
        self.unpublished = {assessment_tag(brand, n): n for n in others if n not in published}
        self.stages = {stage_tag(brand, n): n for n in stages}

    def near(self, tag: str, *groups: dict[str, str]) -> tuple[tag_match.NearMiss, str, dict] | None:
        best = None
        for group in groups:
            found = tag_match.near_miss(tag, group)
            if found is not None and (best is None or found.distance < best[0].distance):
                best = (found, group[found.intended], group)
        return best


def resolve(parsed: ParsedTags, published: dict[str, int], other_assessments: list[str],
            stages: dict[str, str]) -> Resolution:
    """Resolve parsed names. `published`: name → id; `stages`: stage name → Lever stage id."""
    res = Resolution(stage_names=list(parsed.stage_names))
    intended = _Intended(parsed.brand, published, other_assessments, stages)
    raw_assessments = parsed.assessment_tags or [assessment_tag(parsed.brand, n) for n in parsed.assessment_names]
    for name, tag in zip(parsed.assessment_names, raw_assessments, strict=False):
        if name in published:
            if published[name] not in res.assessment_ids:
                res.assessment_ids.append(published[name])
        else:
            res.problems.append(_unknown_assessment(tag, name, intended, published))
    raw_stages = parsed.stage_tags or [stage_tag(parsed.brand, n) for n in parsed.stage_names]
    for name, tag in zip(parsed.stage_names, raw_stages, strict=False):
        if name in stages:
            res.stage_ids.append(stages[name])
        else:
            res.problems.append(_unknown_stage(tag, name, intended, stages))
    for tag in parsed.malformed:
        res.problems.append(_near_problem(tag, intended) or TagProblem(
            tag, "malformed", f"The tag “{tag}” does not follow the format and links nothing."))
    for tag in parsed.other:
        problem = _near_problem(tag, intended)
        if problem is not None:
            res.problems.append(problem)
    return res


def _unknown_assessment(tag: str, name: str, intended: _Intended, published: dict[str, int]) -> TagProblem:
    if name in intended.unpublished.values():
        return TagProblem(tag, "unpublished", f"Assessment “{name}” is not published: publish it to link this job.",
                          name=name)
    near = intended.near(tag, intended.assessments)
    guess = near[1] if near else closest_name(name, list(published))
    if guess:
        suggestion = assessment_tag(intended.brand, guess)
        return TagProblem(tag, "near_miss", f"No published assessment is named “{name}”; did you mean “{guess}”?",
                          suggestion, guess, tuple(tag_match.differences(tag, suggestion)))
    near = intended.near(tag, intended.unpublished)
    if near:
        return TagProblem(tag, "unpublished", f"No published assessment is named “{name}”; “{near[1]}” exists "
                          "but is not published.", near[0].intended, near[1],
                          tuple(tag_match.differences(tag, near[0].intended)))
    return TagProblem(tag, "unknown_assessment", f"No published assessment is named “{name}”.", name=name)


def _unknown_stage(tag: str, name: str, intended: _Intended, stages: dict[str, str]) -> TagProblem:
    near = intended.near(tag, intended.stages)
    guess = near[1] if near else closest_name(name, list(stages))
    hint = f" Did you mean “{guess}”?" if guess else ""
    suggestion = stage_tag(intended.brand, guess) if guess else None
    return TagProblem(tag, "unknown_stage", f"Lever has no stage named “{name}”: nobody is invited until it is "
                      f"fixed.{hint}", suggestion, guess,
                      tuple(tag_match.differences(tag, suggestion)) if suggestion else ())


def _near_problem(tag: str, intended: _Intended) -> TagProblem | None:
    """A tag outside the grammar that nearly matches one that would link (or set a stage)."""
    near = intended.near(tag, intended.assessments, intended.stages, intended.unpublished)
    if near is None:
        return None
    found, name, group = near
    how = ", ".join(tag_match.differences(tag, found.intended))
    if group is intended.unpublished:
        return TagProblem(tag, "unpublished", f"The tag “{tag}” nearly matches “{found.intended}” ({how}), and "
                          f"the assessment “{name}” is not published.", found.intended, name,
                          tuple(tag_match.differences(tag, found.intended)))
    return TagProblem(tag, "near_miss", f"The tag “{tag}” nearly matches “{found.intended}” ({how}) and links "
                      "nothing: use the exact tag.", found.intended, name,
                      tuple(tag_match.differences(tag, found.intended)))
