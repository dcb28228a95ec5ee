from wtforms import BooleanField, EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from survey.blueprints.forms import Form
from survey.i18n import LANGUAGE_NAMES, lazy_gettext
from survey.services.users import MIN_PASSWORD_LENGTH

#: The account page's language choice: "" follows the browser, else a shipped language by its own name.
BROWSER_LANGUAGE = ""


class LoginForm(Form):
    email = EmailField(lazy_gettext("E-mail"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField(lazy_gettext("Keep me signed in on this device"))


def _new_password_field() -> PasswordField:
    return PasswordField(
        lazy_gettext("New password (at least {count} characters)", count=MIN_PASSWORD_LENGTH),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
    )


def _confirm_field() -> PasswordField:
    return PasswordField(
        lazy_gettext("New password again"),
        validators=[DataRequired(), EqualTo("new", message=lazy_gettext("The passwords differ."))],
    )


class ChangePasswordForm(Form):
    current = PasswordField(lazy_gettext("Current password"), validators=[DataRequired(), Length(max=1024)])
    new = _new_password_field()
    confirm = _confirm_field()


class ForgotPasswordForm(Form):
    email = EmailField(lazy_gettext("E-mail"), validators=[DataRequired(), Length(max=320)])


class SetPasswordForm(Form):
    new = _new_password_field()
    confirm = _confirm_field()


class LanguageForm(Form):
    language = SelectField(
        lazy_gettext("Language"),
        choices=[
            SelectChoice(BROWSER_LANGUAGE, lazy_gettext("Same as my browser")),
            *(SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()),
        ],
    )
