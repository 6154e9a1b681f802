"""Domain events of attempts, as blinker signals.

Services send them right after the change is flushed and before the caller commits, as
`signal.send(None, attempt_id=..., organisation_id=...)` (`part_scored` also `part_id=`).
Subscribers add rows to the same session so they commit atomically with the change.

`reminder_due` is a question rather than news: a receiver answering True holds the reminder back
(the integration does for candidates hired or archived in the ATS).
"""

from blinker import Namespace

signals = Namespace()

attempt_invited = signals.signal("attempt-invited")
attempt_started = signals.signal("attempt-started")
part_scored = signals.signal("part-scored")
attempt_completed = signals.signal("attempt-completed")
attempt_evaluated = signals.signal("attempt-evaluated")
attempt_expired = signals.signal("attempt-expired")
invitation_resent = signals.signal("invitation-resent")
reminder_due = signals.signal("reminder-due")


def reminder_held(attempt_id: int) -> bool:
    """True when a subscriber holds back the reminder of this attempt."""
    return any(answer for _, answer in reminder_due.send(None, attempt_id=attempt_id))
