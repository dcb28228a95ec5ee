"""Operator commands for the workspace: organisations, teams, roster, waves, invitations, API tokens.

Thin wrappers over the same service functions as the web pages, for scripts and cron.
Each command commits once at the end, or rolls back and exits with status 1 and a message.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey import jobs
from survey.extensions import db
from survey.i18n import stored_text
from survey.models import RELEASE_POLICIES, TEAM_FUNCTIONS, Team, Wave
from survey.models.wave import WAVE_FORMS
from survey.services import ServiceError, attribute_wording, audit, background
from survey.services.accounts import create_api_token, end_sessions
from survey.services.board import wave_progress
from survey.services.form_design import set_form
from survey.services.invitations import export_links, invite_roster, links_csv
from survey.services.mailing import send_status
from survey.services.organizations import add_team, open_organization
from survey.services.releases import change_threshold, publish, releases_of
from survey.services.roster import import_roster, preview_roster, read_roster_file
from survey.services.users import get_organization_by_slug, get_user_by_email
from survey.services.waves import (
    create_wave,
    instrument_refs,
    open_wave,
    waves_of,
)


def _fail(error: ServiceError | str) -> None:
    db.session.rollback()
    raise click.ClickException(str(error))


def _wave(wave_id: int) -> Wave:
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        _fail(f"No wave with the id {wave_id}.")
    return wave


def _label(wave: Wave) -> str:
    return f'wave {wave.id} "{wave.name}"'


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- organisations and teams


@click.group("orgs")
def orgs_group() -> None:
    """Client organisations."""


@orgs_group.command("create")
@click.argument("name")
@click.option("--slug", help="Identifier for URLs and commands (default: made from the name).")
@with_appcontext
def orgs_create(name: str, slug: str | None) -> None:
    """Create an organisation."""
    try:
        organization = open_organization(None, name, slug)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Created {organization.name} (slug {organization.slug}).")


@click.group("teams")
def teams_group() -> None:
    """Teams of an organisation."""


@teams_group.command("create")
@click.option("--org", "org_slug", required=True, help="Slug of the organisation.")
@click.argument("name")
@click.option("--function", type=click.Choice(TEAM_FUNCTIONS), required=True, help="What the team does.")
@click.option("--parent", help="Name of the team this one belongs to.")
@with_appcontext
def teams_create(org_slug: str, name: str, function: str, parent: str | None) -> None:
    """Add a team (sales, marketing or other) to an organisation."""
    try:
        organization = get_organization_by_slug(org_slug)
        parent_team = None
        if parent:
            parent_team = db.session.scalar(
                db.select(Team).where(Team.organization_id == organization.id, Team.name == parent)
            )
            if parent_team is None:
                raise ServiceError(f"{organization.name} has no team called {parent!r}.")
        team = add_team(None, organization, name, function, parent=parent_team)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Added the {function} team {team.name} to {organization.name}.")


# --- roster


@click.group("roster")
def roster_group() -> None:
    """The roster: who may be invited."""


@roster_group.command("import")
@click.option("--org", "org_slug", required=True, help="Slug of the organisation.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only check the file; write nothing.")
@with_appcontext
def roster_import(org_slug: str, file: Path, dry_run: bool) -> None:
    """Import a CSV or XLSX roster (columns email, team, optional name and attributes).

    Every row is checked first; if any has a problem, the problems are listed and nothing
    is written (exit status 1).
    """
    try:
        organization = get_organization_by_slug(org_slug)
        preview = preview_roster(organization, read_roster_file(file.name, file.read_bytes()))
    except ServiceError as error:
        _fail(error)
    for problem in preview.file_errors:
        click.echo(f"{file.name}: {problem}", err=True)
    for row in preview.rows:
        if row.errors:
            click.echo(f"{file.name}, row {row.number}: {'; '.join(row.errors)}", err=True)
    if not preview.ok:
        _fail(f"{preview.error_count} problem(s) found; nothing was imported.")
    if dry_run:
        click.echo(f"No problems: {preview.count('add')} to add, {preview.count('update')} to update.")
        return
    try:
        result = import_roster(organization, preview)
        audit.record(None, "roster.imported", organization=organization,
                     subject=f"{result.added} added, {result.updated} updated",
                     details={"added": result.added, "updated": result.updated})  # fmt: skip
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Imported the roster of {organization.name}: {result.added} added, {result.updated} updated.")


# --- waves


@click.group("waves")
def waves_group() -> None:
    """Waves: survey rounds."""


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date such as 2027-03-01 or 2027-03-01T17:00") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@waves_group.command("create")
@click.option("--org", "org_slug", required=True, help="Slug of the organisation.")
@click.option("--name", required=True, help="Name of the wave, e.g. 'Spring 2027'.")
@click.option("--instrument", "instrument_refs_", multiple=True, required=True,
              help="Instrument id, optionally @version; repeat for several, in order.")  # fmt: skip
@click.option("--threshold", type=int, default=None, help="Anonymity threshold (at least 3; default 5).")
@click.option("--anonymous", is_flag=True, help="Unlink responses from invitations on submission.")
@click.option("--language", "languages", multiple=True, help="Offer only these languages (repeatable).")
@click.option("--opens", help="Opening time, ISO 8601, UTC unless given.")
@click.option("--closes", help="Closing time, ISO 8601, UTC unless given; `waves close-due` closes it then.")
@click.option("--release", "release_policy", type=click.Choice(RELEASE_POLICIES), default="at_close",
              show_default=True,
              help="When results are released: once at close, or in checked steps while open.")  # fmt: skip
@click.option("--form", "form", type=click.Choice(WAVE_FORMS), default="full", show_default=True,
              help="full, or planned_missing: --form-items random statements per dimension.")  # fmt: skip
@click.option("--form-items", type=int, default=2, show_default=True,
              help="Statements of each dimension per respondent under --form planned_missing.")  # fmt: skip
@click.option("--open", "open_now", is_flag=True, help="Open the wave right away.")
@with_appcontext
def waves_create(org_slug, name, instrument_refs_, threshold, anonymous, languages, opens, closes,
                 release_policy, form, form_items, open_now):  # fmt: skip
    """Create a wave (a draft unless --open)."""
    try:
        organization = get_organization_by_slug(org_slug)
        wave = create_wave(
            organization, name, list(instrument_refs_),
            anonymity_threshold=threshold or current_app.config["DEFAULT_ANONYMITY_THRESHOLD"],
            mode="anonymous" if anonymous else "confidential", languages=languages,
            opens_at=_datetime(opens), closes_at=_datetime(closes), release_policy=release_policy,
        )  # fmt: skip
        audit.record(None, "wave.created", organization=organization, subject=_label(wave), wave=wave)
        set_form(wave, form, form_items, None)
        if open_now:
            open_wave(wave)
            audit.record(None, "wave.opened", organization=organization, subject=_label(wave), wave=wave)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Created wave {wave.id} ({wave.name}), {wave.status}.")


def _wave_record(wave: Wave) -> dict:
    return {
        "id": wave.id,
        "name": wave.name,
        "status": wave.status,
        "mode": wave.mode,
        "anonymity_threshold": wave.anonymity_threshold,
        "instruments": instrument_refs(wave),
        "languages": list(wave.languages or []),
        "opens_at": _when(wave.opens_at),
        "closes_at": _when(wave.closes_at),
        "previous_wave_id": wave.previous_wave_id,
        "release_policy": wave.release_policy,
        "form": wave.form,
        "form_items": wave.form_items,
    }


@waves_group.command("list")
@click.option("--org", "org_slug", required=True, help="Slug of the organisation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def waves_list(org_slug: str, as_json: bool) -> None:
    """List an organisation's waves."""
    try:
        organization = get_organization_by_slug(org_slug)
    except ServiceError as error:
        _fail(error)
    records = [_wave_record(wave) for wave in waves_of(organization)]
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    for record in records:
        closes = f"  closes {record['closes_at']}" if record["closes_at"] else ""
        click.echo(f"{record['id']:>5}  {record['status']:<7} {record['name']}  "
                   f"[{', '.join(record['instruments'])}]{closes}")  # fmt: skip


@waves_group.command("status")
@click.argument("wave_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def waves_status(wave_id: int, as_json: bool) -> None:
    """Invited, started and submitted per team and in total."""
    progress = wave_progress(_wave(wave_id))
    if as_json:
        click.echo(json.dumps(progress.as_dict(), indent=2))
        return
    click.echo(f"Wave {progress.wave_id} ({progress.wave}), {progress.status}")
    click.echo(f"{'team':<30} {'invited':>8} {'started':>8} {'submitted':>10} {'rate':>6}")
    for row in (*progress.teams, progress.total):
        rate = f"{100 * row.response_rate:.0f}%" if row.response_rate is not None else "-"
        click.echo(f"{row.team[:30]:<30} {row.invited:>8} {row.started:>8} {row.submitted:>10} {rate:>6}")


def _change_state(wave_id: int, change, action: str) -> None:
    wave = _wave(wave_id)
    try:
        change(wave)
        audit.record(None, action, organization=wave.organization, subject=_label(wave), wave=wave)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Wave {wave.id} ({wave.name}) is {wave.status}.")


@waves_group.command("open")
@click.argument("wave_id", type=int)
@with_appcontext
def waves_open(wave_id: int) -> None:
    """Open a wave: its invitation links start working."""
    _change_state(wave_id, open_wave, "wave.opened")


@waves_group.command("close")
@click.argument("wave_id", type=int)
@with_appcontext
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait until the worker has made the release, or only queue it.")  # fmt: skip
def waves_close(wave_id: int, wait: bool) -> None:
    """Close a wave now: its links stop working; the worker releases its results (a job)."""
    queued = []
    _change_state(wave_id, lambda wave: queued.append(background.close_and_release(wave, None)),
                  "wave.closed")  # fmt: skip
    _release(queued[0], wait)


def _release(job, wait: bool) -> None:
    """Queue a committed release job; with ``wait``, say how it ended once it has."""
    from survey.models import Job

    job_id = job.id
    jobs.enqueue(job)
    told = False
    notice = float(current_app.config["JOBS_WAIT_NOTICE"])
    while True:
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        status, summary = job.status, stored_text(job.summary, "en")
        waiting = background.release_progress(job.wave, worker_seen=jobs.worker_seen(), wait_notice=notice)
        db.session.commit()
        if status in ("done", "failed"):
            click.echo(summary)
            return
        if not wait:
            click.echo(f"Queued the release as job {job_id}; the wave page shows it when it is made.")
            return
        if waiting is not None and waiting.waiting_for_worker and not told:
            click.echo("Waiting for the worker: start `mindgap worker` (Ctrl+C stops watching; "
                       "the job stays queued).", err=True)  # fmt: skip
            told = True
        time.sleep(0.5)


@waves_group.command("close-due")
@with_appcontext
def waves_close_due() -> None:
    """Close every open wave whose closing time has passed (the worker also does it every minute)."""
    closed = background.close_due()
    db.session.commit()
    for job in closed:
        click.echo(f"Closed wave {job.wave.id} ({job.wave.name}).")
        jobs.enqueue(job)  # the release, made by the worker
    if not closed:
        click.echo("No wave was due to close.")


@waves_group.command("threshold")
@click.argument("wave_id", type=int)
@click.argument("threshold", type=int)
@with_appcontext
def waves_threshold(wave_id: int, threshold: int) -> None:
    """Change a wave's anonymity threshold (never below that of a release of its results)."""
    wave = _wave(wave_id)
    try:
        change_threshold(wave, threshold)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Wave {wave.id} ({wave.name}): anonymity threshold {wave.anonymity_threshold}.")


@waves_group.command("form")
@click.argument("wave_id", type=int)
@click.argument("form", type=click.Choice(WAVE_FORMS))
@click.option("--items", type=int, default=2, show_default=True,
              help="Statements of each dimension per respondent under planned_missing.")  # fmt: skip
@with_appcontext
def waves_form(wave_id: int, form: str, items: int) -> None:
    """Choose a draft wave's form: full, or planned_missing (a random part of each dimension)."""
    wave = _wave(wave_id)
    try:
        set_form(wave, form, items, None)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    asked = f"{wave.form_items} statements of each dimension" if wave.form_items else "every statement"
    click.echo(f"Wave {wave.id} ({wave.name}): {wave.form} form, {asked}.")


@waves_group.command("wording")
@click.argument("wave_id", type=int)
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reset", is_flag=True, help="Restore the instrument's wording first.")
@with_appcontext
def waves_wording(wave_id: int, file: Path | None, reset: bool) -> None:
    """Word the lead calibration's profiles in the client's terms (a draft wave only).

    FILE is JSON: {"attribute id": {"level id": {"language": "text"}}}, some or all levels;
    the others keep their text. Without FILE (and --reset) the current wording is printed as JSON.
    """
    wave = _wave(wave_id)
    if file is None and not reset:
        link = attribute_wording.vignette_link(wave)
        if link is None:
            _fail("The wave has no lead calibration: there is no attribute wording.")
        click.echo(json.dumps({attribute.id: {level.id: {language: text for language, _, text in texts}
                                              for level, texts in levels}
                               for attribute, levels in attribute_wording.wording_rows(wave, link)},
                              ensure_ascii=False, indent=2))  # fmt: skip
        return
    texts = {}
    if file is not None:
        try:
            texts = json.loads(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            _fail(f"{file} is not a JSON file of level texts: {error}")
    try:
        changed = attribute_wording.set_attribute_wording(wave, texts, reset=reset)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Wave {wave.id} ({wave.name}): {changed} profile text(s) changed.")


# --- results releases


@click.group("releases")
def releases_group() -> None:
    """Results releases: the immutable snapshots every report and export reads."""


@releases_group.command("create")
@click.argument("wave_id", type=int)
@with_appcontext
def releases_create(wave_id: int) -> None:
    """Release a wave's results now, if no small group can be derived with the earlier releases.

    For a closed wave this releases it again with today's team tree; it is checked against
    every earlier release like any other. Exits with 1 and says why when it is withheld.
    """
    wave = _wave(wave_id)
    try:
        release = publish(wave)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    if release.status != "published":
        click.echo(stored_text(release.reason, "en"), err=True)
        raise SystemExit(1)
    click.echo(f"Released the results of wave {wave.id} ({wave.name}): release {release.number}, "
               f"{release.n_responses} responses.")  # fmt: skip


@releases_group.command("list")
@click.argument("wave_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def releases_list(wave_id: int, as_json: bool) -> None:
    """A wave's releases, newest first, and the latest withheld attempt with its reason."""
    wave = _wave(wave_id)
    records = [
        {"number": r.number, "status": r.status, "date": r.created_at.date().isoformat(),
         "responses": r.n_responses, "threshold": r.threshold, "made_by": r.made_by,
         "reason": stored_text(r.reason, "en")}
        for r in releases_of(wave)
    ]  # fmt: skip
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    if not records:
        click.echo(f"Wave {wave.id} ({wave.name}) has no release yet.")
    for record in records:
        label = f"release {record['number']}" if record["number"] else "withheld"
        click.echo(f"{label:<12} {record['date']}  {record['responses']:>6} responses  {record['made_by']}")
        if record["reason"]:
            click.echo(f"             {record['reason']}")


# --- invitations


@click.group("invitations")
def invitations_group() -> None:
    """Invitation links and e-mails."""


@invitations_group.command("create")
@click.argument("wave_id", type=int)
@with_appcontext
def invitations_create(wave_id: int) -> None:
    """Invite everyone active on the roster who is not invited yet."""
    wave = _wave(wave_id)
    try:
        issued = invite_roster(wave)
        audit.record(None, "invitations.created", organization=wave.organization, subject=_label(wave),
                     details={"invited": len(issued)}, wave=wave)  # fmt: skip
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"{len(issued)} new invitation(s) to wave {wave.id}.")


@invitations_group.command("export")
@click.argument("wave_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV file to write (participant, name, team, status, link).")  # fmt: skip
@click.option("--reissue", is_flag=True,
              help="A new link for everyone who has not submitted (earlier links stop working).")  # fmt: skip
@with_appcontext
def invitations_export(wave_id: int, out: Path, reissue: bool) -> None:
    """Write everyone's current invitation link to a CSV file (the same links in every export).

    A link that cannot be derived again (the secret key changed, or it was issued before links
    were derived) is issued now if nobody has been given it, and otherwise listed without a
    link, and keeps working. ``--reissue`` replaces them all (saved answers stay).
    """
    wave = _wave(wave_id)
    rows = export_links(wave, replace=reissue)
    fresh = sum(1 for row in rows if row.link)
    new = sum(1 for row in rows if row.status.startswith("new link"))
    action = "links.reissued" if reissue else "links.exported"
    audit.record(None, action, organization=wave.organization, subject=_label(wave), wave=wave,
                 details={"links": fresh, "file": out.name})  # fmt: skip
    out.write_text(links_csv(rows), encoding="utf-8")
    db.session.commit()
    kept = sum(1 for row in rows if not row.link and row.status != "submitted")
    effect = (
        "earlier links of these people stop working"
        if reissue
        else f"{kept} handed out before and not derivable again, re-issue them to get links"
    )
    click.echo(f"Wrote {len(rows)} rows to {out} ({fresh} links, {new} of them new; {effect}).")


def _send(wave_id: int, what: str, wait: bool) -> None:
    wave = _wave(wave_id)
    try:
        queued = background.request_mail(wave, what, None)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    ids = [job.id for job in queued]
    for job in queued:
        jobs.enqueue(job)
    if not wait:
        click.echo(f"Queued job(s) {', '.join(map(str, ids))}; the wave page shows their progress.")
        return
    failed = False
    for job_id in ids:
        failed |= _follow(wave_id, job_id)
    if failed:
        raise SystemExit(1)


def _follow(wave_id: int, job_id: int) -> bool:
    """Show a job's progress as a bar until it finishes; whether anything failed."""
    from survey.models import Job

    notice = float(current_app.config["JOBS_WAIT_NOTICE"])
    told = False
    done = 0
    with click.progressbar(length=1, label=f"Job {job_id}", show_pos=True) as bar:
        while True:
            db.session.expire_all()
            job = db.session.get(Job, job_id)
            progress = background.progress_of(job, worker_seen=jobs.worker_seen(), wait_notice=notice)
            if progress.total is not None:
                bar.length = max(progress.total, 1)
                now_done = progress.sent + progress.failed + progress.unknown
                bar.update(now_done - done)
                done = now_done
            db.session.commit()
            if progress.finished:
                break
            if progress.waiting_for_worker and not told:
                click.echo("\nWaiting for the worker: start `mindgap worker` (Ctrl+C stops watching; "
                           "the job stays queued).", err=True)  # fmt: skip
                told = True
            time.sleep(0.5)
    wave = _wave(wave_id)
    for address, kind, problem in send_status(wave).failures:
        if kind == job.params["email"]:
            click.echo(f"failed: {address}: {problem}", err=True)
    click.echo(stored_text(job.summary, "en"))
    return job.status == "failed" or bool(job.error)


_WAIT = click.option("--wait/--no-wait", default=True, show_default=True,
                     help="Follow the job with a progress bar until done, or just queue it.")  # fmt: skip


@invitations_group.command("send")
@click.argument("wave_id", type=int)
@_WAIT
@with_appcontext
def invitations_send(wave_id: int, wait: bool) -> None:
    """E-mail invitations to everyone not yet sent one (a job for the worker); run again to retry failures."""
    _send(wave_id, "invitation", wait)


@invitations_group.command("remind")
@click.argument("wave_id", type=int)
@click.option(
    "--retry", is_flag=True, help="Resend the latest round's failures instead of starting a new round."
)
@_WAIT
@with_appcontext
def invitations_remind(wave_id: int, retry: bool, wait: bool) -> None:
    """E-mail a reminder to everyone invited who has not submitted (a job for the worker)."""
    _send(wave_id, "retry" if retry else "reminder", wait)


@waves_group.command("reminders")
@click.argument("wave_id", type=int)
@click.argument("days")
@with_appcontext
def waves_reminders(wave_id: int, days: str) -> None:
    """Send reminders by themselves DAYS before the wave closes, e.g. 3,1 ("" for none).

    Only those who have not submitted are reminded; the worker checks every minute.
    """
    wave = _wave(wave_id)
    try:
        background.set_reminder_days(wave, background.parse_reminder_days(days))
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    when = ", ".join(f"{d} day(s)" for d in wave.reminder_days) or "never"
    click.echo(f"Wave {wave.id} ({wave.name}): automatic reminders {when} before the close.")


# --- API tokens


@click.group("api-token")
def api_token_group() -> None:
    """Tokens for the read-only JSON API."""


@api_token_group.command("create")
@click.argument("email")
@click.option("--label", default="", help="What the token is for.")
@with_appcontext
def api_token_create(email: str, label: str) -> None:
    """Create an API token for a user; it is shown once, only its hash is kept."""
    try:
        issued = create_api_token(email, label)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(issued.token)
    owner = issued.api_token.user.email
    click.echo(f"API token {issued.api_token.id} for {owner}: store it now, it is not shown again.", err=True)


# --- users


@click.group("users")
def users_group() -> None:
    """People who sign in (``mindgap create-user`` adds them)."""


@users_group.command("end-sessions")
@click.argument("email")
@with_appcontext
def users_end_sessions(email: str) -> None:
    """Sign a user out everywhere: every sign-in of theirs ends at its next request."""
    try:
        user = get_user_by_email(email)
        ended = end_sessions(None, user)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Ended {ended} sign-in(s) of {user.email}.")


#: Registered on the app's CLI by :func:`survey.cli.init_app`.
GROUPS = (
    orgs_group, teams_group, roster_group, waves_group, releases_group, invitations_group, api_token_group,
    users_group,
)  # fmt: skip
