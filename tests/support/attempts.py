"""A candidate's attempt driven through the platform's services, as the candidate and staff would."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.attempts import services as attempts
from dashboard.attempts.models import Attempt, Candidate
from dashboard.extensions import db


def attempt_for(email: str) -> Attempt:
    """The attempt of the candidate with this email."""
    return db.session.scalar(select(Attempt).join(Candidate).where(Candidate.email == email))


def take(attempt: Attempt, correct: int = 4) -> None:
    """The candidate starts and answers the auto part (`correct` of 4 right)."""
    attempts.start_attempt(attempt.id)
    db.session.commit()
    auto = next(ps for ps in attempt.part_scores if ps.part.grading == "auto")
    answers = {q.id: (q.correct_choice if i < correct else (q.correct_choice + 1) % 4)
               for i, q in enumerate(auto.part.questions)}
    attempts.submit_part(attempt.id, auto.part_id, answers)
    db.session.commit()


def complete(attempt: Attempt, text: str = "An answer") -> None:
    """The candidate starts and submits every part in order: each multiple-choice question answered right,
    each written one with `text`; committed."""
    attempts.start_attempt(attempt.id)
    for ps in sorted(attempt.part_scores, key=lambda p: p.part.position):
        answers = {q.id: (q.correct_choice if q.kind == "multiple_choice" else text) for q in ps.part.questions}
        attempts.submit_part(attempt.id, ps.part_id, answers)
    db.session.commit()


def finish_and_evaluate(attempt: Attempt, points: float, evaluator_id: int) -> None:
    """The candidate answers the manual part; `evaluator_id` gives its first question `points`."""
    manual = next(ps for ps in attempt.part_scores if ps.part.grading == "manual")
    attempts.submit_part(attempt.id, manual.part_id, {q.id: "My analysis" for q in manual.part.questions})
    db.session.commit()
    question = manual.part.questions[0]
    answer = next(a for a in attempt.answers if a.question_id == question.id)
    attempts.evaluate_attempt(attempt.id, {answer.id: points}, evaluator_id)
    db.session.commit()


def advance(attempt: Attempt, evaluator_id: int, correct: int = 3, points: float = 7) -> bool:
    """The next thing for one attempt: the candidate starts it or submits the next part, or staff
    evaluate what awaits them. False when nothing is left to do."""
    if attempt.status == "invited":
        attempts.start_attempt(attempt.id)
    elif attempt.status == "in_progress":
        part = sorted((ps for ps in attempt.part_scores if ps.state == "pending"),
                      key=lambda ps: ps.part.position)[0].part
        if part.grading == "auto":
            answers = {q.id: (q.correct_choice if i < correct else (q.correct_choice + 1) % 4)
                       for i, q in enumerate(part.questions)}
        else:
            answers = {q.id: "An answer" for q in part.questions}
        attempts.submit_part(attempt.id, part.id, answers)
    elif attempt.status == "completed" and attempt.evaluation_state != "final":
        manual = {ps.part_id for ps in attempt.part_scores if ps.state == "awaiting_evaluation"}
        if not manual:
            return False
        attempts.evaluate_attempt(attempt.id, {a.id: float(points) for a in attempt.answers
                                               if a.question.part_id in manual}, evaluator_id)
    else:
        return False
    db.session.commit()
    return True
