"""Platform objects for integration tests: a published assessment like the demo one."""

from __future__ import annotations

from dashboard.assessments import services as assessments
from dashboard.extensions import db


def analyst_assessment(organisation_id: int, name: str = "Data Analyst Assessment", passing: float = 60):
    """A published assessment: one auto part (4 multiple-choice questions) and one manual part."""
    assessment = assessments.create_assessment(organisation_id, name=name, passing_score=passing,
                                               time_limit_minutes=45, invitation_valid_days=7)
    auto = assessments.add_part(assessment.id, name="Basics", weight=1, grading="auto")
    for i in range(4):
        assessments.add_question(auto.id, kind="multiple_choice", prompt=f"Q{i}", choices=["a", "b", "c", "d"],
                                 correct_choice=1)
    manual = assessments.add_part(assessment.id, name="Written", weight=1, grading="manual")
    assessments.add_question(manual.id, kind="free_text", prompt="Explain", max_points=10)
    assessments.publish_assessment(assessment.id)
    db.session.commit()
    return assessment
