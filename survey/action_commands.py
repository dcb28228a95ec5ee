"""``mindgap actions …``: action plans from the shell, for scripts and cron.

Thin wrappers over :mod:`survey.services.actions`, like the workspace commands; each commits
once at the end, or rolls back and exits with status 1 and a message.
"""

from __future__ import annotations

import json
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.extensions import db
from survey.models import Action, Team, User, Wave
from survey.services import ServiceError, actions
from survey.services.mailing import MailSettings
from survey.services.users import get_organization_by_slug


def _fail(error: ServiceError | str) -> None:
    db.session.rollback()
    raise click.ClickException(str(error))


@click.group("actions")
def actions_group() -> None:
    """Action plans: list, add, update, export, and remind owners."""


@actions_group.command("list")
@click.argument("org_slug")
@click.option("--status", default="", help="planned, in_progress, done, dropped, or open")
@click.option("--overdue", is_flag=True, help="Only open actions past their due date")
@click.option("--json", "as_json", is_flag=True, help="The API's answer, with each action's evaluations")
@with_appcontext
def list_command(org_slug: str, status: str, overdue: bool, as_json: bool) -> None:
    """List an organisation's actions, open and overdue ones first."""
    try:
        organization = get_organization_by_slug(org_slug)
    except ServiceError as error:
        _fail(error)
    if status not in ("", "open", *actions.STATUS_LABELS):
        _fail(f"--status must be one of open, {', '.join(actions.STATUS_LABELS)}; not {status!r}.")
    if as_json:
        payload = actions.actions_payload(organization)
        click.echo(json.dumps(payload, indent=2, allow_nan=False))
        return
    found = actions.actions_of(organization, status=status, overdue=overdue)
    if not found:
        click.echo("No actions.")
    for action in found:
        due = f"due {action.due_on.isoformat()}" if action.due_on else "no due date"
        late = " OVERDUE" if actions.is_overdue(action) else ""
        teams = ", ".join(actions.team_names(action))
        click.echo(f"{action.id}\t{actions.STATUS_LABELS[action.status]}\t{due}{late}\t{action.owner_label}\t"
                   f"{action.title} ({action.dimension}: {teams})")  # fmt: skip


@actions_group.command("add")
@click.argument("wave_id", type=int)
@click.argument("title")
@click.option("--dimension", required=True, help="The dimension id, e.g. handover")
@click.option("--team", "teams", multiple=True, required=True, help="A targeted team's name (repeat)")
@click.option("--pair", is_flag=True, help="Target the gap between the two --team teams")
@click.option("--owner", required=True, help="A member's e-mail address, or a person's name")
@click.option("--owner-email", default="", help="For a named owner: where reminders go")
@click.option("--due", "due_on", default=None, help="Due date, YYYY-MM-DD")
@with_appcontext
def add_command(wave_id: int, title: str, dimension: str, teams: tuple[str, ...], pair: bool, owner: str,
                owner_email: str, due_on: str | None) -> None:  # fmt: skip
    """Add an action answering WAVE_ID's results."""
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        _fail(f"No wave with the id {wave_id}.")
    organization = wave.organization
    team_ids = []
    for name in teams:
        team = db.session.scalar(
            db.select(Team).where(Team.organization_id == organization.id, Team.name == name)
        )
        if team is None:
            _fail(f"No team {name!r} in {organization.name}.")
        team_ids.append(team.id)
    try:
        due = date.fromisoformat(due_on) if due_on else None
    except ValueError:
        _fail(f"--due must be a date as YYYY-MM-DD, not {due_on!r}.")
    member = db.session.scalar(db.select(User).where(User.email == owner.strip().lower()))
    fields = actions.ActionFields(
        title, dimension, "pair" if pair else "teams", tuple(team_ids),
        owner_id=member.id if member is not None else None, owner_name="" if member is not None else owner,
        owner_email=owner_email, due_on=due, source="other",
    )  # fmt: skip
    try:
        action = actions.create_action(None, organization, fields, wave=wave)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Added action {action.id}: {action.title}")


@actions_group.command("update")
@click.argument("action_id", type=int)
@click.option("--note", default="", help="What happened")
@click.option("--status", default=None, help="planned, in_progress, done or dropped")
@with_appcontext
def update_command(action_id: int, note: str, status: str | None) -> None:
    """Add a dated update to an action, optionally with a new status."""
    action = db.session.get(Action, action_id)
    if action is None:
        _fail(f"No action with the id {action_id}.")
    try:
        actions.add_update(None, action, note, status)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Action {action.id} is {actions.STATUS_LABELS[action.status].lower()}.")


@actions_group.command("export")
@click.argument("org_slug")
@with_appcontext
def export_command(org_slug: str) -> None:
    """Print an organisation's actions as CSV."""
    try:
        organization = get_organization_by_slug(org_slug)
    except ServiceError as error:
        _fail(error)
    click.echo(actions.actions_csv(actions.actions_of(organization)), nl=False)


@actions_group.command("remind")
@with_appcontext
def remind_command() -> None:
    """Send the reminders owed today: before due dates, and once when overdue (the worker runs it hourly)."""
    settings = MailSettings.from_config(current_app.config)
    try:
        sent = actions.send_reminders(settings, current_app.config["BASE_URL"])
    except OSError as error:
        _fail(f"The mail server did not take the reminders: {error}")
    click.echo(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")
