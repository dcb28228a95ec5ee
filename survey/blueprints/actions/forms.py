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

from survey.blueprints.forms import Form
from survey.i18n import lazy_gettext
from survey.models.action import ACTION_STATUSES
from survey.services.actions import MAX_NOTES, MAX_TITLE, STATUS_LABELS

STATUS_CHOICES = [SelectChoice(status, lazy_gettext(STATUS_LABELS[status])) for status in ACTION_STATUSES]
TARGET_CHOICES = [
    SelectChoice("teams", lazy_gettext("Raise it in these teams")),
    SelectChoice("pair", lazy_gettext("Close the gap between two teams")),
]


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class ActionForm(Form):
    title = StringField(lazy_gettext("What will be done"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    wave = SelectField(lazy_gettext("Answers the results of"), coerce=_int_or_none, validate_choice=True)
    dimension = SelectField(lazy_gettext("Dimension it should move"), validators=[DataRequired()])
    target = SelectField(lazy_gettext("Target"), choices=TARGET_CHOICES)
    teams = SelectMultipleField(lazy_gettext("Teams"), coerce=int)
    owner = SelectField(lazy_gettext("Owner"), coerce=int)
    owner_name = StringField(lazy_gettext("…or a named person"), validators=[Optional(), Length(max=200)])
    owner_email = EmailField(
        lazy_gettext("Their e-mail, for reminders (optional)"),
        validators=[Optional(), Email(), Length(max=320)],
    )
    due_on = DateField(lazy_gettext("Due date"), validators=[Optional()])
    status = SelectField(lazy_gettext("Status"), choices=STATUS_CHOICES)
    notes = TextAreaField(lazy_gettext("Notes"), validators=[Optional(), Length(max=MAX_NOTES)])
    source = HiddenField(default="other")


class UpdateForm(Form):
    text = TextAreaField(lazy_gettext("What happened"), validators=[Optional(), Length(max=MAX_NOTES)])
    status = SelectField(
        lazy_gettext("Status"), choices=[SelectChoice("", lazy_gettext("unchanged")), *STATUS_CHOICES]
    )
