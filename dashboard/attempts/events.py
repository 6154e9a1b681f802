"""Domain events of attempts, as blinker signals.

Services send them right after the change is flushed and before the caller commits, as
`signal.send(None, attempt_id=..., organisation_id=...)` (`part_scored` also `part_id=`).
Subscribers add rows to the same session so they commit atomically with the change.
"""

from blinker import Namespace

signals = Namespace()

attempt_invited = signals.signal("attempt-invited")
attempt_started = signals.signal("attempt-started")
part_scored = signals.signal("part-scored")
attempt_completed = signals.signal("attempt-completed")
attempt_evaluated = signals.signal("attempt-evaluated")
