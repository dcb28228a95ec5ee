from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from survey.models.action import ACTION_STATUSES
from survey.services.actions import MAX_NOTES, MAX_TITLE, STATUS_LABELS

STATUS_CHOICES = [SelectChoice(status, STATUS_LABELS[status]) for status in ACTION_STATUSES]
TARGET_CHOICES = [
    SelectChoice("teams", "Raise it in these teams"),
    SelectChoice("pair", "Close the gap between two teams"),
]


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class ActionForm(FlaskForm):
    title = StringField("What will be done", validators=[DataRequired(), Length(max=MAX_TITLE)])
    wave = SelectField("Answers the results of", coerce=_int_or_none, validate_choice=True)
    dimension = SelectField("Dimension it should move", validators=[DataRequired()])
    target = SelectField("Target", choices=TARGET_CHOICES)
    teams = SelectMultipleField("Teams", coerce=int)
    owner = SelectField("Owner", coerce=int)
    owner_name = StringField("…or a named person", validators=[Optional(), Length(max=200)])
    owner_email = EmailField(
        "Their e-mail, for reminders (optional)", validators=[Optional(), Email(), Length(max=320)]
    )
    due_on = DateField("Due date", validators=[Optional()])
    status = SelectField("Status", choices=STATUS_CHOICES)
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=MAX_NOTES)])
    source = HiddenField(default="other")


class UpdateForm(FlaskForm):
    text = TextAreaField("What happened", validators=[Optional(), Length(max=MAX_NOTES)])
    status = SelectField("Status", choices=[SelectChoice("", "unchanged"), *STATUS_CHOICES])
