"""Signing in and out, one's account: password and language."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from survey.blueprints.auth import throttle
from survey.blueprints.auth.forms import (
    BROWSER_LANGUAGE,
    ChangePasswordForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    SetPasswordForm,
)
from survey.extensions import db, login_manager
from survey.i18n import _, lazy_gettext, ngettext
from survey.models import User
from survey.services import ServiceError, audit
from survey.services.accounts import (
    WrongPasswordError,
    change_password,
    end_session,
    sign_in,
    start_session,
    user_for_session,
)
from survey.services.mailing import MailSettings, send_one
from survey.services.people import request_password_reset, set_password_with_link, valid_link

bp = Blueprint("auth", __name__, url_prefix="/auth")


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """The user of the sign-in whose token the session or remember-me cookie carries."""
    return user_for_session(session_token)


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after sign-in (no open redirects)."""
    # Browsers read "/\\host" like "//host", and drop tabs and newlines from URLs ("/\t/host"),
    # so backslashes and control characters are refused too (a newline cannot be a header).
    if (
        target
        and target.startswith("/")
        and "\\" not in target
        and not any(char < " " or char == "\x7f" for char in target)
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("main.index")


def _duration(name: str) -> timedelta:
    value = current_app.config[name]
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def _too_many(template: str, form, message: str, wait: int):
    """``message`` is already in the reader's language, with ``{wait}`` left to fill."""
    flash(message.format(wait=wait), "error")
    return render_template(template, form=form), 429, {"Retry-After": str(wait)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with e-mail address and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        wait = throttle.retry_after("signin")
        if wait:
            message = _("Too many failed sign-ins from your network address. Try again in {wait} seconds.")
            return _too_many("auth/login.html", form, message, wait)
        attempt = sign_in(
            form.email.data,
            form.password.data,
            remember=form.remember.data,
            lifetime=_duration("SIGNIN_LIFETIME"),
            remember_lifetime=_duration("REMEMBER_COOKIE_DURATION"),
        )
        db.session.commit()
        if attempt.wait:
            # Counted per typed address, so this too reads the same with or without an account.
            message = _("Too many failed sign-ins with this address. Try again in {wait} seconds.")
            return _too_many("auth/login.html", form, message, attempt.wait)
        if attempt.user is not None:
            login_user(attempt.user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        throttle.count_failure("signin")
        # One message for an unknown address and a wrong password: no account probing.
        flash(_("That e-mail address and password do not match an account."), "error")
        status = 401
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out: this sign-in ends, also for any copy of its cookies."""
    end_session(current_user.session_token)
    db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """One's account: who one is, the language of the workspace pages, a way to the password change."""
    form = LanguageForm(language=current_user.language or BROWSER_LANGUAGE)
    status = 200
    if form.validate_on_submit():
        chosen = form.language.data or None
        if chosen != current_user.language:
            audit.record(current_user, "user.language_changed", subject=current_user.email,
                         details={"language": chosen or "browser"})  # fmt: skip
            current_user.language = chosen
            db.session.commit()
        # Said in the language just chosen (the user's preference, else the browser's).
        flash(_("Your language is saved."), "success")
        return redirect(url_for("auth.account"))
    if form.is_submitted():
        status = 400
    return render_template("auth/account.html", form=form), status


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's password; every other sign-in of the account ends."""
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        wait = throttle.retry_after("password", current_user.id)
        if wait:
            message = _("Too many wrong current passwords. Try again in {wait} seconds.")
            return _too_many("auth/password.html", form, message, wait)
        try:
            ended = change_password(current_user, form.current.data, form.new.data)
        except ServiceError as error:
            db.session.rollback()
            if isinstance(error, WrongPasswordError):
                throttle.count_failure("password", current_user.id)
            flash(str(error), "error")
            status = 400
        else:
            db.session.commit()
            if ended:
                flash(ngettext("Your password is changed. You are signed out on {count} other sign-in.",
                               "Your password is changed. You are signed out on {count} other sign-ins.",
                               ended), "success")  # fmt: skip
            else:
                flash(_("Your password is changed."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form), status


#: The one answer to every "forgot password" request, whether or not the address has an account.
RESET_ANSWER = lazy_gettext(
    "If an account has this address, a link to set a new password is on its way; it works for one hour. "
    "Nothing arrived? Check the address, and your spam folder."
)


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    """Ask for a link to set a new password, by e-mail."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.password"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        wait = throttle.retry_after("reset")
        if wait:
            message = _("Too many requests from your network address. Try again in {wait} seconds.")
            return _too_many("auth/forgot.html", form, message, wait)
        throttle.count_failure("reset")
        outgoing = request_password_reset(form.email.data)
        db.session.commit()
        flash(str(RESET_ANSWER), "info")
        response = redirect(url_for("auth.forgot"))
        if outgoing is not None:
            # Sent once the answer has gone out, so its timing does not tell which addresses have
            # accounts; a failure is said to nobody but the log, for the same reason.
            response.call_on_close(_sender(outgoing, MailSettings.from_config(current_app.config)))
        return response
    return render_template("auth/forgot.html", form=form), 400 if form.is_submitted() else 200


def _sender(outgoing, settings: MailSettings):
    logger = current_app.logger

    def send() -> None:
        try:
            send_one(outgoing.compose(settings), settings)
        except ServiceError as error:
            logger.warning("A password-reset message was not sent: %s", error)

    return send


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Set a password with a one-time link (an invitation or a reset); signs the person in."""
    if valid_link(token) is None:
        db.session.rollback()
        return render_template("auth/link_unusable.html"), 404
    form = SetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = set_password_with_link(token, form.new.data)
            start_session(user, remember=False, lifetime=_duration("SIGNIN_LIFETIME"))
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            flash(str(error), "error")
            status = 400
        else:
            login_user(user)
            flash(_("Your password is set; you are signed in."), "success")
            return redirect(url_for("main.index"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/set_password.html", form=form), status


@bp.after_request
def private_headers(response):
    """The set-password page carries its token in the URL: never send it on, never cache it."""
    if request.endpoint == "auth.set_password":
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store, max-age=0"
    return response
