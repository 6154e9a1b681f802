"""Scoring: auto parts at submission, manual parts on evaluation, the weighted final score."""

from __future__ import annotations

from datetime import datetime

from dashboard.assessments.models import Part
from dashboard.attempts import events
from dashboard.attempts.models import Answer, Attempt, PartScore
from dashboard.core.clock import utcnow
from dashboard.extensions import db


def auto_part_score(part: Part, answers: dict[int, Answer]) -> float:
    """Percentage of the part's multiple-choice questions answered with the correct choice."""
    questions = list(part.questions)
    if not questions:
        return 0.0
    correct = sum(
        1 for q in questions
        if q.id in answers and answers[q.id].choice is not None and answers[q.id].choice == q.correct_choice
    )
    return 100.0 * correct / len(questions)


def manual_part_score(part: Part, answers: dict[int, Answer]) -> float | None:
    """Points over maximum points (as a percentage), or None while an answer awaits its points."""
    total_max = sum(q.max_points for q in part.questions)
    earned = 0.0
    for q in part.questions:
        answer = answers.get(q.id)
        if answer is None or answer.points is None:
            return None
        earned += answer.points
    if total_max <= 0:
        return 0.0
    return 100.0 * earned / total_max


def weighted_final(attempt: Attempt) -> tuple[float | None, str]:
    """(final score, evaluation state) from the attempt's part scores.

    Only scored parts count; their weights form the denominator. The state is 'final' when
    every part is scored, 'provisional' when some are, 'pending' when none are.
    """
    scores = list(attempt.part_scores)
    scored = [ps for ps in scores if ps.state == "scored" and ps.score is not None]
    if not scored:
        return None, "pending"
    total_weight = sum(ps.part.weight for ps in scored)
    final = sum(ps.score * ps.part.weight for ps in scored) / total_weight if total_weight else 0.0
    state = "final" if len(scored) == len(scores) else "provisional"
    return final, state


def recompute_final(attempt: Attempt) -> None:
    """Store the attempt's current final score and evaluation state (flushes)."""
    attempt.final_score, attempt.evaluation_state = weighted_final(attempt)
    db.session.flush()


def answers_by_question(attempt: Attempt) -> dict[int, Answer]:
    """The attempt's answers keyed by question id."""
    return {a.question_id: a for a in attempt.answers}


def score_submitted_part(attempt: Attempt, part_score: PartScore, now: datetime | None = None) -> None:
    """Score a just-submitted part: auto parts at once, manual parts when every answer has points.

    Blank manual answers get 0 points straight away so nobody has to evaluate nothing.
    Emits `part_scored` when the part is scored.
    """
    now = now or utcnow()
    part = part_score.part
    answers = answers_by_question(attempt)
    part_score.submitted_at = now
    if part.grading == "auto":
        _mark_scored(attempt, part_score, auto_part_score(part, answers), now)
        return
    for q in part.questions:
        answer = answers.get(q.id)
        if answer is not None and not (answer.text or "").strip() and answer.points is None:
            answer.points = 0.0
            answer.evaluated_at = now
    score = manual_part_score(part, answers)
    if score is None:
        part_score.state = "awaiting_evaluation"
        recompute_final(attempt)
    else:
        _mark_scored(attempt, part_score, score, now)


def _mark_scored(attempt: Attempt, part_score: PartScore, score: float, now: datetime) -> None:
    part_score.score = score
    part_score.state = "scored"
    part_score.scored_at = now
    recompute_final(attempt)
    events.part_scored.send(None, attempt_id=attempt.id, organisation_id=attempt.organisation_id,
                            part_id=part_score.part_id)


def evaluate_answers(attempt: Attempt, points: dict[int, float], evaluator_id: int,
                     now: datetime | None = None) -> list[int]:
    """Record points on manual answers and score each part whose answers all have points.

    Returns the ids of the parts scored by this evaluation. Emits `part_scored` for each and
    `attempt_evaluated` when the evaluation made the attempt's score final.
    """
    now = now or utcnow()
    answers = {a.id: a for a in attempt.answers}
    for answer_id, value in points.items():
        answer = answers[answer_id]
        answer.points = value
        answer.evaluated_by_id = evaluator_id
        answer.evaluated_at = now
    db.session.flush()
    by_question = answers_by_question(attempt)
    scored: list[int] = []
    for ps in attempt.part_scores:
        if ps.state != "awaiting_evaluation":
            continue
        score = manual_part_score(ps.part, by_question)
        if score is not None:
            _mark_scored(attempt, ps, score, now)
            scored.append(ps.part_id)
    if scored and attempt.evaluation_state == "final":
        events.attempt_evaluated.send(None, attempt_id=attempt.id, organisation_id=attempt.organisation_id)
    return scored
