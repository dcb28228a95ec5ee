from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from survey.models import MIN_ANONYMITY_THRESHOLD, RELEASE_POLICIES, TEAM_FUNCTIONS, USER_ROLES, WAVE_MODES
from survey.services import ServiceError
from survey.services.background import NEEDS_CLOSE, parse_reminder_days
from survey.services.form_design import FORM_ITEM_CHOICES
from survey.services.users import MIN_PASSWORD_LENGTH


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


#: The forms a wave can use, as posted (``full`` or ``planned_missing:<items>``) and labelled.
FORM_CHOICES = [SelectChoice("full", "full: every respondent answers every statement")] + [
    SelectChoice(
        f"planned_missing:{items}",
        f"shorter: each respondent answers {items} random statements of each dimension",
    )
    for items in FORM_ITEM_CHOICES
]
FORM_LABEL = "Form"


def parse_form_choice(value: str) -> tuple[str, int | None]:
    """``"full"`` -> ("full", None); ``"planned_missing:2"`` -> ("planned_missing", 2)."""
    form, _, items = (value or "").partition(":")
    return form, int(items) if items.isdigit() else None


class FormChoiceForm(FlaskForm):
    survey_form = SelectField(FORM_LABEL, choices=FORM_CHOICES, default="full")


#: The label of the reminder days, on the new wave form and the wave page.
REMINDER_DAYS_LABEL = "Automatic reminders (days before the close, e.g. 3, 1; empty for none)"


def _reminder_days(form, field) -> None:
    """Reminder days as the service reads them, and only for a wave with a closing time."""
    try:
        days = parse_reminder_days(field.data)
    except ServiceError as error:
        raise ValidationError(str(error)) from error
    closes = getattr(form, "closes_at", None)
    if days and closes is not None and closes.data is None:
        raise ValidationError(NEEDS_CLOSE)


class OrganizationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "Slug (optional: lower-case letters, digits and hyphens)", validators=[Optional(), Length(max=64)]
    )


class UserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    role = SelectField("Role", choices=[SelectChoice(role) for role in USER_ROLES])
    organization = SelectField("Organisation (consultants and managers)", coerce=int, choices=[])
    password = PasswordField(
        f"Initial password (at least {MIN_PASSWORD_LENGTH} characters)",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
    )


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired(), Length(max=200)])
    function = SelectField("Function", choices=[SelectChoice(function) for function in TEAM_FUNCTIONS])
    parent = SelectField("Parent team (optional)", coerce=int, choices=[])


class RosterUploadForm(FlaskForm):
    file = FileField(
        "Roster file (.csv or .xlsx)",
        validators=[FileRequired(), FileAllowed(["csv", "xlsx"], "Upload a .csv or .xlsx file.")],
    )


class RosterConfirmForm(FlaskForm):
    #: The checked rows as JSON; checked again on confirmation, so tampering gains nothing.
    payload = HiddenField(validators=[DataRequired()])


class ParticipantForm(FlaskForm):
    email = EmailField("E-mail", validators=[Optional(), Length(max=320)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    team = SelectField("Team", coerce=int, choices=[])
    active = BooleanField("Active (invited to new waves)")


def _ticked(form, field) -> None:
    """At least one box ticked (no ``required`` on each box, which would ask for all of them)."""
    if not field.data:
        raise ValidationError("Tick at least one instrument.")


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (no Ctrl-click list box)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WaveForm(FlaskForm):
    name = StringField("Wave name", validators=[DataRequired(), Length(max=200)])
    #: Ticked instruments; their order comes from ``positions`` (one per choice, same order).
    instruments = CheckboxesField("Instruments", choices=[], validators=[_ticked])
    positions = FieldList(
        SelectField("Position", coerce=int, choices=[], validate_choice=False), min_entries=0
    )
    languages = CheckboxesField("Languages (none ticked: every language the instruments offer)", choices=[])
    opens_at = DateTimeLocalField("Opens (optional)", validators=[Optional()])
    closes_at = DateTimeLocalField("Closes (optional; closed automatically then)", validators=[Optional()])
    reminder_days = StringField(REMINDER_DAYS_LABEL, validators=[Length(max=100), _reminder_days])
    anonymity_threshold = IntegerField(
        f"Anonymity threshold (smallest group shown, at least {MIN_ANONYMITY_THRESHOLD})",
        default=5,
        validators=[DataRequired(), NumberRange(min=MIN_ANONYMITY_THRESHOLD, max=1000)],
    )
    mode = SelectField(
        "Mode",
        choices=[
            SelectChoice(mode, label)
            for mode, label in zip(
                WAVE_MODES,
                (
                    "confidential: respondents can resume; answers never reported per person",
                    "anonymous: a submitted response is unlinked from its invitation",
                ),
                strict=True,
            )
        ],
    )
    release_policy = SelectField(
        "When results are released",
        choices=[
            SelectChoice(policy, label)
            for policy, label in zip(
                RELEASE_POLICIES,
                (
                    "when the wave closes (recommended)",
                    "in steps while it is open, each once enough new people have answered",
                ),
                strict=True,
            )
        ],
        default="at_close",
    )
    survey_form = SelectField(FORM_LABEL, choices=FORM_CHOICES, default="full")
    open_now = BooleanField("Open the wave right away")


class TimeZoneForm(FlaskForm):
    time_zone = SelectField(
        "Time zone (dates and times in the workspace are shown and typed in it)", choices=[]
    )


class ReopenForm(FlaskForm):
    closes_at = DateTimeLocalField(
        "New closing time (optional; empty: close it by hand)", validators=[Optional()]
    )


class ReminderForm(FlaskForm):
    days = StringField(REMINDER_DAYS_LABEL, validators=[Length(max=100), _reminder_days])


class ThresholdForm(FlaskForm):
    threshold = IntegerField(
        "Anonymity threshold",
        validators=[DataRequired(), NumberRange(min=MIN_ANONYMITY_THRESHOLD, max=1000)],
    )


class CloneForm(FlaskForm):
    name = StringField("Name of the next round", validators=[DataRequired(), Length(max=200)])
