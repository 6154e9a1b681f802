"""What the attempts section of the candidate page needs besides the attempts: the forms of its
controls (extend, extra time, cancel) and the rules that bound them."""

from __future__ import annotations

from dashboard.attempts import policy, services
from dashboard.attempts.forms import CancelForm, ExtendDeadlineForm, ExtraTimeForm
from dashboard.core.clock import utcnow


def attempt_controls() -> dict:
    """Template context for `attempts/_attempts.html`."""
    return {"extend_form": ExtendDeadlineForm(), "extra_form": ExtraTimeForm(), "cancel_form": CancelForm(),
            "link_for": services.attempt_link, "time_ends_at": services.time_ends_at,
            "time_limit": services.time_limit, "now": utcnow(), "extension_room": policy.extension_room,
            "extra_time_room": policy.extra_time_room, "reminder_due_at": policy.reminder_due_at,
            "max_deadline_days": policy.max_deadline_days(), "max_extra_minutes": policy.max_extra_minutes()}
