"""Signing in and out, and changing one's password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from survey.blueprints.auth.forms import ChangePasswordForm, LoginForm
from survey.extensions import db, login_manager
from survey.models import User, utcnow
from survey.services import ServiceError
from survey.services.accounts import change_password, clear_login_failures, login_delay, record_login_failure
from survey.services.users import authenticate

bp = Blueprint("auth", __name__, url_prefix="/auth")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after sign-in (no open redirects)."""
    # Browsers read "/\\host" like "//host", so backslashes are refused too.
    if (
        target
        and target.startswith("/")
        and "\\" not in target
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        wait = login_delay(form.email.data)
        if wait:
            # Counted per typed address, so this too reads the same with or without an account.
            flash(f"Too many failed sign-ins with this address. Try again in {wait} seconds.", "error")
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            user.last_login_at = utcnow()
            clear_login_failures(form.email.data)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        record_login_failure(form.email.data)
        db.session.commit()
        # One message for an unknown address and a wrong password: no account probing.
        flash("That e-mail address and password do not match an account.", "error")
        status = 401
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data, form.new.data)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Your password is changed.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
