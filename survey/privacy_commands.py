"""``mindgap privacy …``: the data-protection duties from the shell (retention, export, erasure).

Thin wrappers over :mod:`survey.services.privacy`; each commits once at the end, or rolls back
and exits with status 1 and a message. The audit log names the command line as the actor.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from survey.extensions import db
from survey.models import Participant
from survey.services import ServiceError, privacy
from survey.services.users import get_organization_by_slug


def _fail(error: ServiceError | str) -> None:
    db.session.rollback()
    raise click.ClickException(str(error))


def _person(org_slug: str, email: str) -> Participant:
    organization = get_organization_by_slug(org_slug)
    participant = db.session.scalar(
        select(Participant).where(
            Participant.organization_id == organization.id, Participant.email == email.strip().lower()
        )
    )
    if participant is None:
        raise ServiceError(f"{organization.name} has nobody with the address {email} on its roster.")
    return participant


@click.group("privacy")
def privacy_group() -> None:
    """Retention periods, a person's data export, and erasure."""


@privacy_group.command("retention")
@click.option("--org", "org_slug", required=True, help="Slug of the organisation.")
@click.argument("days")
@with_appcontext
def retention_command(org_slug: str, days: str) -> None:
    """Keep raw answers DAYS days after a wave closes (30-3650), or 'none' to keep them."""
    try:
        organization = get_organization_by_slug(org_slug)
        value = None if days.strip().lower() == "none" else int(days) if days.strip().isdigit() else -1
        privacy.set_retention(None, organization, value)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"{organization.name}: raw answers kept " + (f"{value} days after a wave closes." if value
               else "until deleted by hand."))  # fmt: skip


@privacy_group.command("apply-retention")
@with_appcontext
def apply_retention_command() -> None:
    """Delete now the raw answers past their retention period (the worker does it daily)."""
    run = privacy.apply_retention()
    db.session.commit()
    click.echo(f"Deleted the raw answers of {len(run.deleted)} wave(s) ({run.total} responses).")


@privacy_group.command("export")
@click.option("--org", "org_slug", required=True, help="Slug of the organisation.")
@click.argument("email")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="JSON file to write."
)
@with_appcontext
def export_command(org_slug: str, email: str, out: Path) -> None:
    """Write everything stored about the roster person with EMAIL to a JSON file."""
    try:
        data = privacy.export_person(None, _person(org_slug, email))
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Wrote {out}.")


@privacy_group.command("erase")
@click.option("--org", "org_slug", required=True, help="Slug of the organisation.")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_command(org_slug: str, email: str, yes: bool) -> None:
    """Erase the roster person with EMAIL: their entry, invitations, e-mail log and linked answers."""
    try:
        participant = _person(org_slug, email)
        plan = privacy.erasure_preview(participant)
        click.echo(f"This removes {len(plan.invitation_ids)} invitation(s) and {len(plan.response_ids)} "
                   f"response(s); {len(plan.keep)} published release(s) stay, {len(plan.withdraw)} are "
                   "withdrawn.")  # fmt: skip
        if not yes:
            click.confirm("Erase for good?", abort=True)
        privacy.erase_participant(None, participant)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo("Erased.")
