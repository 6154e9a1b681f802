"""Forms of the Lever connection card: integration settings and a pasted webhook token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from dashboard.lever.connection.models import EVENT_LABELS, WEBHOOK_EVENTS


class LeverSettingsForm(FlaskForm):
    """Who feedback is posted as, how long results are reused, and the tag prefix."""

    perform_as_user_id = SelectField("Post feedback in Lever as", choices=[],
                                     validators=[DataRequired("Choose a Lever user.")])
    reuse_days = IntegerField("Reuse a candidate's result for (days)", validators=[
        InputRequired("Enter a number of days."),
        NumberRange(min=1, max=3650, message="Enter between 1 and 3650 days."),
    ])
    tag_brand = StringField("Tag prefix", validators=[
        DataRequired("Enter a tag prefix."),
        Length(max=40, message="At most 40 characters."),
    ])

    def set_users(self, users: list[dict] | None) -> None:
        """Offer the cached active Lever users as choices."""
        self.perform_as_user_id.choices = [
            SelectChoice(u["id"], f"{u['name']} ({u['accessRole'] or 'user'})") for u in (users or [])
        ]


class PasteWebhookForm(FlaskForm):
    """The signature token of a webhook created by hand in Lever's settings."""

    event = SelectField("Event", choices=[SelectChoice(e, EVENT_LABELS[e]) for e in WEBHOOK_EVENTS],
                        validators=[DataRequired("Choose an event.")])
    token = StringField("Signature token", validators=[
        DataRequired("Paste the signature token."),
        Length(min=16, max=200, message="Paste the whole token as Lever shows it."),
    ])
