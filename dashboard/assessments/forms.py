"""Forms of the assessments feature."""

from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional


class AssessmentForm(FlaskForm):
    """Name and settings of an assessment."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description (shown to candidates)",
                                validators=[Optional(), Length(max=5000)])
    passing_score = DecimalField("Passing score (%)", places=None, default=50,
                                 validators=[InputRequired(), NumberRange(0, 100, "Between 0 and 100.")])
    time_limit_minutes = IntegerField("Time limit (minutes)", default=60,
                                      validators=[InputRequired(), NumberRange(1, 24 * 60,
                                                                               "At least 1 minute.")])
    invitation_valid_days = IntegerField("Invitation valid for (days)", default=7,
                                         validators=[InputRequired(), NumberRange(1, 365,
                                                                                  "Between 1 and 365 days.")])


class PartForm(FlaskForm):
    """A part of an assessment."""

    name = StringField("Part name", validators=[DataRequired(), Length(max=200)])
    weight = DecimalField("Weight", places=None, default=1,
                          validators=[InputRequired(), NumberRange(min=0.01, message="Greater than 0.")])
    grading = SelectField("Scoring", choices=[SelectChoice("auto", "Automatic (multiple choice)"),
                                              SelectChoice("manual", "Manual evaluation (free text, SQL)")])


class QuestionForm(FlaskForm):
    """A question; choices are one per line for multiple choice."""

    kind = SelectField("Type", choices=[SelectChoice("multiple_choice", "Multiple choice"),
                                        SelectChoice("free_text", "Free text"), SelectChoice("sql", "SQL")])
    prompt = TextAreaField("Question", validators=[DataRequired(), Length(max=5000)])
    choices = TextAreaField("Choices (one per line)", validators=[Optional(), Length(max=5000)])
    correct_choice = IntegerField("Number of the correct choice (1 = first line)",
                                  validators=[Optional(), NumberRange(min=1)])
    max_points = DecimalField("Maximum points", places=None, default=10,
                              validators=[Optional(), NumberRange(min=0.01, message="Greater than 0.")])


class InviteCandidateForm(FlaskForm):
    """Invite one candidate to this assessment by email."""

    email = EmailField("Candidate email", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Candidate name", validators=[DataRequired(), Length(max=200)])
    # "yes" once the person saw the candidate's earlier attempt and chose to create a new one.
    new_attempt = HiddenField()

