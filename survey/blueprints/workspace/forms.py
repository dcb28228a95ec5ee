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

from survey.blueprints.forms import Form
from survey.i18n import _, lazy_gettext
from survey.models import MIN_ANONYMITY_THRESHOLD, RELEASE_POLICIES, TEAM_FUNCTIONS, USER_ROLES, WAVE_MODES
from survey.services import ServiceError
from survey.services.background import NEEDS_CLOSE, parse_reminder_days
from survey.services.form_design import FORM_ITEM_CHOICES
from survey.services.users import MIN_PASSWORD_LENGTH


class ActionForm(Form):
    """A button that changes something: only the CSRF token."""


#: The forms a wave can use, as posted (``full`` or ``planned_missing:<items>``) and labelled.
FORM_CHOICES = [SelectChoice("full", lazy_gettext("full: every respondent answers every statement"))] + [
    SelectChoice(
        f"planned_missing:{items}",
        lazy_gettext(
            "shorter: each respondent answers {items} random statements of each dimension", items=items
        ),
    )
    for items in FORM_ITEM_CHOICES
]
FORM_LABEL = lazy_gettext("Form")


def parse_form_choice(value: str) -> tuple[str, int | None]:
    """``"full"`` -> ("full", None); ``"planned_missing:2"`` -> ("planned_missing", 2)."""
    form, _colon, items = (value or "").partition(":")
    return form, int(items) if items.isdigit() else None


class FormChoiceForm(Form):
    survey_form = SelectField(FORM_LABEL, choices=FORM_CHOICES, default="full")


#: The label of the reminder days, on the new wave form and the wave page.
REMINDER_DAYS_LABEL = lazy_gettext("Automatic reminders (days before the close, e.g. 3, 1; empty for none)")


def _reminder_days(form, field) -> None:
    """Reminder days as the service reads them, and only for a wave with a closing time."""
    try:
        days = parse_reminder_days(field.data)
    except ServiceError as error:
        raise ValidationError(str(error)) from error
    closes = getattr(form, "closes_at", None)
    if days and closes is not None and closes.data is None:
        raise ValidationError(_(str(NEEDS_CLOSE)))


class OrganizationForm(Form):
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        lazy_gettext("Short name in addresses (optional: lower-case letters, digits and hyphens)"),
        validators=[Optional(), Length(max=64)],
    )


#: The roles a user can be given, as the form lists them.
ROLE_LABELS = {"admin": lazy_gettext("Admin"), "consultant": lazy_gettext("Consultant"),
               "manager": lazy_gettext("Manager")}  # fmt: skip
#: A team's function, as the team form lists it.
FUNCTION_LABELS = {"sales": lazy_gettext("Sales"), "marketing": lazy_gettext("Marketing"),
                   "other": lazy_gettext("Other")}  # fmt: skip


class UserForm(Form):
    email = EmailField(lazy_gettext("E-mail"), validators=[DataRequired(), Length(max=320)])
    role = SelectField(
        lazy_gettext("Role"), choices=[SelectChoice(role, ROLE_LABELS[role]) for role in USER_ROLES]
    )
    organization = SelectField(
        lazy_gettext("Organisation (consultants and managers)"), coerce=int, choices=[]
    )
    password = PasswordField(
        lazy_gettext("Initial password (at least {count} characters)", count=MIN_PASSWORD_LENGTH),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
    )


class TeamForm(Form):
    name = StringField(lazy_gettext("Team name"), validators=[DataRequired(), Length(max=200)])
    function = SelectField(
        lazy_gettext("Function"),
        choices=[SelectChoice(function, FUNCTION_LABELS[function]) for function in TEAM_FUNCTIONS],
    )
    parent = SelectField(lazy_gettext("Parent team (optional)"), coerce=int, choices=[])


class RosterUploadForm(Form):
    file = FileField(
        lazy_gettext("Roster file (.csv or .xlsx)"),
        validators=[
            FileRequired(lazy_gettext("Choose a file.")),
            FileAllowed(["csv", "xlsx"], lazy_gettext("Upload a .csv or .xlsx file.")),
        ],
    )


class RosterConfirmForm(Form):
    #: The checked rows as JSON; checked again on confirmation, so tampering gains nothing.
    payload = HiddenField(validators=[DataRequired()])


class ParticipantForm(Form):
    email = EmailField(lazy_gettext("E-mail"), validators=[Optional(), Length(max=320)])
    name = StringField(lazy_gettext("Name"), validators=[Optional(), Length(max=200)])
    team = SelectField(lazy_gettext("Team"), coerce=int, choices=[])
    active = BooleanField(lazy_gettext("Active (invited to new waves)"))


def _ticked(form, field) -> None:
    """At least one box ticked (no ``required`` on each box, which would ask for all of them)."""
    if not field.data:
        raise ValidationError(_("Tick at least one instrument."))


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (no Ctrl-click list box)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WaveForm(Form):
    name = StringField(lazy_gettext("Wave name"), validators=[DataRequired(), Length(max=200)])
    #: Ticked instruments; their order comes from ``positions`` (one per choice, same order).
    instruments = CheckboxesField(lazy_gettext("Instruments"), choices=[], validators=[_ticked])
    positions = FieldList(
        SelectField(lazy_gettext("Position"), coerce=int, choices=[], validate_choice=False), min_entries=0
    )
    languages = CheckboxesField(
        lazy_gettext("Languages (none ticked: every language the instruments offer)"), choices=[]
    )
    opens_at = DateTimeLocalField(lazy_gettext("Opens (optional)"), validators=[Optional()])
    closes_at = DateTimeLocalField(
        lazy_gettext("Closes (optional; closed automatically then)"), validators=[Optional()]
    )
    reminder_days = StringField(REMINDER_DAYS_LABEL, validators=[Length(max=100), _reminder_days])
    anonymity_threshold = IntegerField(
        lazy_gettext(
            "Anonymity threshold (smallest group shown, at least {minimum})", minimum=MIN_ANONYMITY_THRESHOLD
        ),
        default=5,
        validators=[DataRequired(), NumberRange(min=MIN_ANONYMITY_THRESHOLD, max=1000)],
    )
    mode = SelectField(
        lazy_gettext("Mode"),
        choices=[
            SelectChoice(mode, label)
            for mode, label in zip(
                WAVE_MODES,
                (
                    lazy_gettext("confidential: respondents can resume; answers never reported per person"),
                    lazy_gettext("anonymous: a submitted response is unlinked from its invitation"),
                ),
                strict=True,
            )
        ],
    )
    release_policy = SelectField(
        lazy_gettext("When results are released"),
        choices=[
            SelectChoice(policy, label)
            for policy, label in zip(
                RELEASE_POLICIES,
                (
                    lazy_gettext("when the wave closes (recommended)"),
                    lazy_gettext("in steps while it is open, each once enough new people have answered"),
                ),
                strict=True,
            )
        ],
        default="at_close",
    )
    survey_form = SelectField(FORM_LABEL, choices=FORM_CHOICES, default="full")
    open_now = BooleanField(lazy_gettext("Open the wave right away"))


class TimeZoneForm(Form):
    time_zone = SelectField(
        lazy_gettext("Time zone (dates and times in the workspace are shown and typed in it)"), choices=[]
    )


class ReopenForm(Form):
    closes_at = DateTimeLocalField(
        lazy_gettext("New closing time (optional; empty: close it by hand)"), validators=[Optional()]
    )


class ReminderForm(Form):
    days = StringField(REMINDER_DAYS_LABEL, validators=[Length(max=100), _reminder_days])


class ThresholdForm(Form):
    threshold = IntegerField(
        lazy_gettext("Anonymity threshold"),
        validators=[DataRequired(), NumberRange(min=MIN_ANONYMITY_THRESHOLD, max=1000)],
    )


class CloneForm(Form):
    name = StringField(lazy_gettext("Name of the next round"), validators=[DataRequired(), Length(max=200)])
