"""The ``mindgap`` command line: thin wrappers over service functions.

Every command also works as ``flask --app wsgi COMMAND``; ``mindgap db …`` comes from
Flask-Migrate.
"""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from analysis.cli import analyze
from instruments.cli import cli as instruments_group
from survey.extensions import db
from survey.models import USER_ROLES
from survey.services import ServiceError
from survey.services.demo import load_demo
from survey.services.users import get_organization_by_slug, register_user
from survey.serving import gunicorn_command


def _create_app(*_args) -> Flask:
    from survey import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Mindgap: team mindset and alignment surveys."""


def _fail(error: ServiceError) -> None:
    db.session.rollback()
    raise click.ClickException(str(error))


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(USER_ROLES), required=True, help="What the user may do.")
@click.option("--org", "org_slug", help="Slug of the organisation a consultant or manager belongs to.")
@click.option("--password", help="The password; asked for (hidden) when left out.")
@with_appcontext
def create_user_command(email: str, role: str, org_slug: str | None, password: str | None) -> None:
    """Create a user who can sign in (admin, consultant or manager)."""
    try:
        organization = get_organization_by_slug(org_slug) if org_slug else None
        if role != "admin" and organization is None:
            # Checked by register_user too; asked here before prompting for a password.
            raise ServiceError(f"A {role} belongs to an organisation: pass --org SLUG.")
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        user = register_user(None, email, password, role, organization)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Created {user.role} {user.email}" + (f" in {org_slug}" if org_slug else "") + ".")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create the demo organisation with its teams, roster and logins."""
    summary = load_demo()
    db.session.commit()
    verb = "Created" if summary.created else "Found"
    click.echo(f"{verb} the demo organisation {summary.organization.name!r} ({summary.organization.slug}).")
    click.echo(f"Open {current_app.config['BASE_URL']}/ and sign in with one of:")
    for email, password, role in summary.logins:
        click.echo(f"  {role:<11} {email}  password: {password}")
    if summary.survey_link:
        click.echo(f"Try the survey as a marketing team member: {summary.survey_link}")


@click.command("serve")
@click.option("--dev", is_flag=True, help="Run Flask's development server with the debugger and reloader.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers",
    type=int,
    default=None,
    help="gunicorn worker processes (default: one per CPU core, at least 2; or MINDGAP_WORKERS).",
)
@with_appcontext
def serve_command(dev: bool, host: str, port: int, workers: int | None) -> None:
    """Serve the app: gunicorn for production, or the development server with --dev."""
    click.echo(f"Mindgap is served at http://{host}:{port}/  (Ctrl+C stops it)")
    backend = current_app.config["MAIL_BACKEND"]
    if backend != "smtp":
        where = current_app.config["MAIL_FOLDER"] if backend == "file" else "the worker's console"
        click.echo(f"E-mails are not sent (MINDGAP_MAIL_BACKEND={backend}): each one goes to {where}")
    if dev:
        from werkzeug.serving import run_simple

        app = current_app._get_current_object()
        app.debug = True
        run_simple(host, port, app, use_reloader=True, use_debugger=True, threaded=True)
        return
    args = gunicorn_command(host, port, workers)
    os.execv(sys.executable, args)  # noqa: S606 (replaces this process with gunicorn)


@click.command("worker")
@click.option("--threads", type=int, default=None,
              help="Jobs run at once (default: JOBS_WORKERS, 2).")  # fmt: skip
@with_appcontext
def worker_command(threads: int | None) -> None:
    """Run the background worker: e-mail rounds, releases, report files, closing and reminders.

    Ctrl+C stops it once the running jobs finish their current batch; a job cut off (even by
    kill -9) is resumed by the next worker where it stopped.
    """
    from survey.jobs import run_worker

    app = current_app._get_current_object()
    threads = threads or int(app.config["JOBS_WORKERS"])
    click.echo(f"Mindgap worker: {threads} thread(s) on {app.config['JOBS_URL'] or 'the instance job file'}.")
    run_worker(app, threads)


# Commands that need no app (no database, no secret key) hang on the group itself, so
# ``mindgap analyze`` and ``mindgap instruments check`` work anywhere, even unconfigured.
main.add_command(analyze)
main.add_command(instruments_group, "instruments")


def init_app(app: Flask) -> None:
    """Register the commands on ``app.cli`` so ``flask --app wsgi`` sees them too."""
    for command in (create_user_command, demo_command, serve_command, worker_command, analyze):
        app.cli.add_command(command)
    app.cli.add_command(instruments_group, "instruments")
    from survey.action_commands import actions_group
    from survey.commands import GROUPS
    from survey.privacy_commands import privacy_group

    app.cli.add_command(actions_group)
    app.cli.add_command(privacy_group)

    for group in GROUPS:
        app.cli.add_command(group)


if __name__ == "__main__":
    main()
