"""Domain events of attempts, as blinker signals, and who caused them.

Services send them right after the change is flushed and before the caller commits, as
`signal.send(None, attempt_id=..., organisation_id=..., **details)`. Subscribers add rows to the same
session (effects, history lines), so those commit atomically with the change.

| signal | sent by | details |
|---|---|---|
| `attempt_invited` | `create_attempt` | |
| `attempt_started` | `start_attempt` (always the candidate) | |
| `part_scored` | scoring | `part_id` |
| `attempt_completed` | `finish_attempt` | `actor`, `at_time_limit`, `minutes` (the time limit, extra included) |
| `attempt_evaluated` | evaluation | |
| `attempt_expired` | `expire_due_attempts` | `actor` (the scheduler), `deadline` |
| `attempt_cancelled` | `cancel_attempt` | `actor`, `reason`, `was` (the status before) |
| `deadline_extended` | `extend_deadline` | `actor`, `days`, `deadline`, `reopened`, `notified` |
| `extra_time_granted` | `grant_extra_time` | `actor`, `minutes`, `total_minutes`, `time_limit`, `notified` |
| `invitation_resent` | `queue_invitation(resend=True)` | `actor` |
| `reminder_sent` | the reminders job | `actor` (the scheduler), `deadline` |

`actor` is an `Actor`: who made the change, for the history. `reminder_due` is a question rather than news: a receiver
answering True holds the reminder back (the integration does for candidates hired or archived in the ATS).
"""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace


@dataclass(frozen=True)
class Actor:
    """Who made a change, for the history: a staff user, the candidate, the scheduler or the ATS."""

    label: str
    user_id: int | None = None
    kind: str = "user"  # user | candidate | scheduler | integration

    @classmethod
    def staff(cls, user) -> Actor:
        """A signed-in staff member (named by email: unique, and what the staff pages show)."""
        return cls(user.email, user.id, "user")


SCHEDULER = Actor("the scheduler", kind="scheduler")
CANDIDATE = Actor("the candidate", kind="candidate")

signals = Namespace()

attempt_invited = signals.signal("attempt-invited")
attempt_started = signals.signal("attempt-started")
part_scored = signals.signal("part-scored")
attempt_completed = signals.signal("attempt-completed")
attempt_evaluated = signals.signal("attempt-evaluated")
attempt_expired = signals.signal("attempt-expired")
attempt_cancelled = signals.signal("attempt-cancelled")
deadline_extended = signals.signal("deadline-extended")
extra_time_granted = signals.signal("extra-time-granted")
invitation_resent = signals.signal("invitation-resent")
reminder_sent = signals.signal("reminder-sent")
reminder_due = signals.signal("reminder-due")


def reminder_held(attempt_id: int) -> bool:
    """True when a subscriber holds back the reminder of this attempt."""
    return any(answer for _, answer in reminder_due.send(None, attempt_id=attempt_id))
