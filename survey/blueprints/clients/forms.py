from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from survey.blueprints.forms import Form
from survey.i18n import lazy_gettext
from survey.services.branding import MAX_SENDER_NAME
from survey.services.privacy import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS


class ActionForm(Form):
    """A button that changes something: only the CSRF token."""


class AddPersonForm(Form):
    email = EmailField(lazy_gettext("E-mail address"), validators=[DataRequired(), Length(max=320)])
    role = SelectField(
        lazy_gettext("Role"),
        choices=[
            SelectChoice("manager", lazy_gettext("Manager: reads results")),
            SelectChoice("consultant", lazy_gettext("Consultant: runs the diagnostics")),
        ],
        validators=[InputRequired()],
        default="manager",
    )


class BrandingForm(Form):
    accent_colour = StringField(
        lazy_gettext("Accent colour (#rrggbb; empty: Mindgap's blue)"),
        validators=[Optional(), Length(max=20)],
    )
    sender_name = StringField(
        lazy_gettext("Sender name of invitations (empty: the workspace's)"),
        validators=[Optional(), Length(max=MAX_SENDER_NAME)],
    )


class LogoForm(Form):
    file = FileField(
        lazy_gettext("Logo (PNG or JPEG, at most 512 kB and 2000 pixels a side)"), validators=[FileRequired()]
    )


class RetentionForm(Form):
    days = IntegerField(
        lazy_gettext(
            "Delete raw answers this many days after a wave closes ({least}–{most}; empty: keep them)",
            least=MIN_RETENTION_DAYS,
            most=MAX_RETENTION_DAYS,
        ),
        validators=[Optional(), NumberRange(min=MIN_RETENTION_DAYS, max=MAX_RETENTION_DAYS)],
    )


class EraseForm(Form):
    confirm = BooleanField(
        lazy_gettext("I understand that this cannot be undone"), validators=[DataRequired()]
    )
