"""Forms of the staff actions on attempts (the take flow reads per-question fields directly).

The bounds here only catch nonsense; the caps on totals (policy.py) are the service's to enforce, with
a message saying how much is left."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class ExtendDeadlineForm(FlaskForm):
    """Give an unstarted invitation more days (reopens an expired one)."""

    days = IntegerField("Extend by (days)", default=3,
                        validators=[InputRequired(), NumberRange(1, 365, "Between 1 and 365 days.")])
    notify = BooleanField("Tell the candidate (email with the new deadline)")


class ExtraTimeForm(FlaskForm):
    """Give more minutes to the time limit."""

    minutes = IntegerField("Extra minutes", default=15,
                           validators=[InputRequired(), NumberRange(1, 600, "Between 1 and 600 minutes.")])
    notify = BooleanField("Tell the candidate (email with the new time limit)")


class CancelForm(FlaskForm):
    """Cancel an invitation, with an optional reason."""

    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=500)])
