"""Forms of the organisation settings."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from dashboard.org.services import timezone_names, valid_timezone


class OrgSettingsForm(FlaskForm):
    """The organisation's name and timezone."""

    name = StringField("Organisation name", validators=[DataRequired(), Length(max=200)])
    timezone = SelectField("Timezone", validate_choice=False,
                           description="Dates and times on every page are shown in this timezone.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = list(timezone_names())

    def validate_timezone(self, field) -> None:
        """Only IANA timezone names."""
        if not valid_timezone(field.data or ""):
            raise ValidationError("Pick a timezone from the list (e.g. Europe/London).")
