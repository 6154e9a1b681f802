"""The linked-jobs read model: every posting with what its tags resolve to, its tag problems (near misses
made visible), counts per job, and what a change of tag prefix would unlink."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.lever.sync import catalog, tag_match
from dashboard.lever.sync import tags as tag_rules
from dashboard.lever.sync.models import LeverPosting

CLOSED_STATES = ("closed", "archived")  # postings nobody applies to: their tags need nobody's attention


@dataclass
class TagView:
    """One tag of a posting as the page shows it: its characters with the invisible ones marked, and
    the problem it has (None when it is fine or not ours)."""

    text: str
    segments: list[tag_match.Segment]
    problem: tag_rules.TagProblem | None = None
    ours: bool = False


@dataclass
class JobRow:
    """One posting as the linked-jobs page shows it."""

    posting: LeverPosting
    assessments: list[str]
    trigger: str
    linked: bool
    problems: list[tag_rules.TagProblem]
    tags: list[TagView]
    counts: dict = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """The problems in words."""
        return [p.message for p in self.problems]


def _tag_views(brand: str, posting: LeverPosting, problems: list[tag_rules.TagProblem]) -> list[TagView]:
    by_tag = {p.tag: p for p in problems}
    prefix = f"{brand} Assessment"
    return [TagView(t, tag_match.visible(t), by_tag.get(t), t.startswith(prefix) or t in by_tag)
            for t in posting.tags or [] if isinstance(t, str)]


def postings_of(connection) -> list[LeverPosting]:
    """The connection's postings by title."""
    return list(db.session.scalars(select(LeverPosting).where(
        LeverPosting.connection_id == connection.id).order_by(LeverPosting.text)))


def rows(connection, counts: dict[str, dict] | None = None, assessments: tuple | None = None,
         postings: list[LeverPosting] | None = None) -> tuple[list[JobRow], list[LeverPosting]]:
    """(postings with one of our tags or a tag problem, resolved; postings without any). `assessments`
    (`catalog.assessment_names` of the organisation) and `postings` (`postings_of`): when already read."""
    brand = connection.tag_brand or "Alooba"
    postings = postings_of(connection) if postings is None else postings
    published, others = assessments or catalog.assessment_names(connection.organisation_id)  # once, not per posting
    names = {aid: name for name, aid in published.items()}  # tags resolve to published assessments only
    stages = None  # read when a posting names a stage, once
    linked, untagged = [], []
    for posting in postings:
        parsed = tag_rules.parse_posting_tags(brand, posting.tags or [])
        if parsed.stage_names and stages is None:
            stages = catalog.stage_map(connection)
        res = tag_rules.resolve(parsed, published, others, stages if parsed.stage_names else {})
        if not (parsed.assessment_names or parsed.stage_names or res.problems):
            untagged.append(posting)
            continue
        if not res.linked:
            trigger = "not linked"
        elif res.waits_for_stage:
            wanted = " or ".join(f"“{s}”" for s in res.stage_names)
            trigger = f"at stage {wanted}" + (" (stage not found)" if res.blocked else "")
        else:
            trigger = "on application"
        linked.append(JobRow(posting, [names.get(i, "?") for i in res.assessment_ids], trigger, res.linked,
                             res.problems, _tag_views(brand, posting, res.problems),
                             (counts or {}).get(posting.lever_id, {})))
    return linked, untagged


def problem_rows(connection, postings: list[LeverPosting] | None = None) -> list[JobRow]:
    """Open postings whose tags have a problem (a near miss, an unpublished assessment, an unknown stage).
    `postings`: `postings_of(connection)`, when already read."""
    return [row for row in rows(connection, postings=postings)[0]
            if row.problems and (row.posting.state or "").lower() not in CLOSED_STATES]


def suggestions(organisation_id: int, connection, assessments: tuple | None = None) -> list[str]:
    """The tag to copy for each published assessment. `assessments`: `catalog.assessment_names`, when
    already read."""
    brand = (connection.tag_brand if connection else None) or "Alooba"
    published, _others = assessments or catalog.assessment_names(organisation_id)
    return [tag_rules.assessment_tag(brand, name) for name in sorted(published)]


def prefix_change_impact(connection, new_brand: str) -> list[str]:
    """Titles of the jobs linked today that `new_brand` as the tag prefix would leave unlinked."""
    if not new_brand or new_brand == (connection.tag_brand or "Alooba"):
        return []
    published, others = catalog.assessment_names(connection.organisation_id)
    lost = []
    for posting in db.session.scalars(select(LeverPosting).where(
            LeverPosting.connection_id == connection.id).order_by(LeverPosting.text)):
        now = tag_rules.resolve(tag_rules.parse_posting_tags(connection.tag_brand or "Alooba", posting.tags or []),
                                published, others, {})
        then = tag_rules.resolve(tag_rules.parse_posting_tags(new_brand, posting.tags or []), published, others, {})
        if now.linked and not then.linked:
            lost.append(posting.text)
    return lost
