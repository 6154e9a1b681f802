"""Forms of the staff actions on attempts (the take flow reads per-question fields directly)."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class ExtendDeadlineForm(FlaskForm):
    """Give an unstarted invitation more days."""

    days = IntegerField("Extend by (days)", default=3,
                        validators=[InputRequired(), NumberRange(1, 365, "Between 1 and 365 days.")])


class ExtraTimeForm(FlaskForm):
    """Give more minutes to the time limit."""

    minutes = IntegerField("Extra minutes", default=15,
                           validators=[InputRequired(), NumberRange(1, 600, "Between 1 and 600 minutes.")])


class CancelForm(FlaskForm):
    """Cancel an invitation, with an optional reason."""

    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=500)])
