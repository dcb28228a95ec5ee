"""The front page and the signed-in home."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from survey.i18n import current_language, short_date
from survey.services.actions import STATUS_LABELS, is_overdue, open_actions_for
from survey.services.users import organizations_for

bp = Blueprint("main", __name__)


def day(value: date | None) -> str:
    """A calendar day (a due date) as the reader's language writes it, e.g. "18 December 2026"."""
    return short_date(datetime.combine(value, time()) if value else None, current_language())


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template(
        "main/index.html",
        organizations=organizations_for(current_user),
        open_actions=open_actions_for(current_user),
        action_labels=STATUS_LABELS,
        is_overdue=is_overdue,
        day=day,
    )


@bp.route("/healthz")
def health():
    """Liveness probe for load balancers: answers without touching the database."""
    return {"status": "ok"}
