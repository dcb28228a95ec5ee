"""The consultants' and managers' workspace: organisations, teams, roster, waves, invitations.

Every view finds its objects through :mod:`survey.services.access`, which scopes them to
the signed-in user's organisations: another organisation's object answers 404, a missing
capability in one's own organisation 403.
"""

from __future__ import annotations

from babel.lists import format_list
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

import instruments
from survey import jobs
from survey.blueprints.respond.text import LANGUAGE_NAMES
from survey.blueprints.workspace.forms import (
    ActionForm,
    CloneForm,
    FormChoiceForm,
    OrganizationForm,
    ParticipantForm,
    ReminderForm,
    RosterConfirmForm,
    RosterUploadForm,
    TeamForm,
    ThresholdForm,
    UserForm,
    parse_form_choice,
)
from survey.blueprints.workspace.forms import WaveForm as WaveSetupForm
from survey.extensions import db, login_manager
from survey.i18n import N_, _, current_language, lazy_gettext, locale_of, ngettext, stored_text
from survey.models import MIN_ANONYMITY_THRESHOLD, User
from survey.services import ServiceError, access, attribute_wording, audit, background, cuts, reports
from survey.services.accounts import active_sessions, end_sessions
from survey.services.board import live_board, wave_progress
from survey.services.form_design import form_options, set_form
from survey.services.invitations import export_links, invite_roster, links_csv
from survey.services.mailing import send_status
from survey.services.organizations import add_team, open_organization
from survey.services.releases import change_threshold, latest_release, not_released_text, releases_of
from survey.services.roster import (
    import_roster,
    participants_of,
    preview_roster,
    read_roster_file,
    records_from_payload,
    roster_payload,
    update_participant,
    update_team,
)
from survey.services.users import organizations_for, register_user
from survey.services.waves import (
    clone_wave,
    create_wave,
    end_wave,
    instrument_refs,
    open_wave,
    preselected_instruments,
    waves_of,
)

bp = Blueprint("workspace", __name__)


@bp.before_request
def require_login():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _failed(error: ServiceError) -> None:
    db.session.rollback()
    flash(str(error), "error")


# --- admin: organisations and users


@bp.route("/orgs/new", methods=["GET", "POST"])
def new_organization():
    access.require_organization_creator(current_user)
    form = OrganizationForm()
    if form.validate_on_submit():
        try:
            organization = open_organization(current_user, form.name.data, form.slug.data or None)
            db.session.commit()
        except ServiceError as error:
            _failed(error)
        else:
            flash(_("Created {name}. Add its teams next.", name=organization.name), "success")
            return redirect(url_for("workspace.teams", org_id=organization.id))
    return render_template("workspace/organization_new.html", form=form)


@bp.route("/users", methods=["GET", "POST"])
def users():
    access.require_admin(current_user)
    form = UserForm()
    organizations = organizations_for(current_user)
    form.organization.choices = [SelectChoice(0, _("none (admins)"))] + [
        SelectChoice(o.id, o.name) for o in organizations
    ]
    if form.validate_on_submit():
        organization = next((o for o in organizations if o.id == form.organization.data), None)
        try:
            user = register_user(
                current_user, form.email.data, form.password.data, form.role.data, organization
            )
            db.session.commit()
        except ServiceError as error:
            _failed(error)
        else:
            flash(
                _("Created the user {email} ({role}).", email=user.email, role=role_word(user.role)),
                "success",
            )
            return redirect(url_for("workspace.users"))
    everyone = db.session.scalars(db.select(User).order_by(User.email)).all()
    return render_template(
        "workspace/users.html", form=form, users=everyone, sessions=active_sessions(), action=ActionForm()
    )


@bp.route("/users/<int:user_id>/end-sessions", methods=["POST"])
def end_user_sessions(user_id: int):
    """Sign a user out everywhere (admins only)."""
    access.require_admin(current_user)
    user = db.get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for("workspace.users"))
    ended = end_sessions(current_user, user)
    db.session.commit()
    flash(
        ngettext(
            "Ended {count} sign-in of {email}.", "Ended {count} sign-ins of {email}.", ended, email=user.email
        ),
        "success",
    )
    return redirect(url_for("workspace.users"))


# --- an organisation


@bp.route("/orgs/<int:org_id>")
def organization(org_id: int):
    organization = access.organization_for(current_user, org_id, access.VIEW)
    manages = access.can(current_user, organization, access.MANAGE)
    waves = waves_of(organization)
    # Read-only members see rates only for teams at the wave's threshold; smaller ones are combined.
    progress = [
        wave_progress(wave, merge_below=0 if manages else wave.anonymity_threshold)
        for wave in waves
        if manages or wave.status != "draft"
    ]
    trend = reports.organization_trend(organization)
    released = {wave.id: latest_release(wave) for wave in waves}
    db.session.commit()  # keeps a freshly computed trend in the report cache
    return render_template(
        "workspace/organization.html",
        organization=organization,
        manages=manages,
        waves=waves,
        released=released,
        progress=progress,
        trend=trend,
        roster_size=len(participants_of(organization)) if manages else None,
    )


@bp.route("/orgs/<int:org_id>/teams", methods=["GET", "POST"])
def teams(org_id: int):
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    form = TeamForm()
    form.parent.choices = [SelectChoice(0, _("none"))] + [
        SelectChoice(t.id, t.name) for t in organization.teams
    ]
    if form.validate_on_submit():
        parent = access.team_in(organization, form.parent.data) if form.parent.data else None
        try:
            team = add_team(current_user, organization, form.name.data, form.function.data, parent=parent)
            db.session.commit()
        except ServiceError as error:
            _failed(error)
        else:
            flash(_("Added the team {name}.", name=team.name), "success")
            return redirect(url_for("workspace.teams", org_id=org_id))
    return render_template("workspace/teams.html", organization=organization, form=form)


@bp.route("/orgs/<int:org_id>/teams/<int:team_id>", methods=["GET", "POST"])
def edit_team(org_id: int, team_id: int):
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    team = access.team_in(organization, team_id)
    form = TeamForm(obj=None if _posted() else team)
    form.parent.choices = [SelectChoice(0, _("none"))] + [
        SelectChoice(t.id, t.name) for t in organization.teams if t.id != team.id
    ]
    if not _posted():
        form.parent.data = team.parent_id or 0
    if form.validate_on_submit():
        parent = access.team_in(organization, form.parent.data) if form.parent.data else None
        try:
            update_team(team, name=form.name.data, function=form.function.data, parent=parent)
            audit.record(current_user, "team.changed", organization=organization, subject=team.name)
            db.session.commit()
        except ServiceError as error:
            _failed(error)
        else:
            flash(_("Saved the team {name}.", name=team.name), "success")
            return redirect(url_for("workspace.teams", org_id=org_id))
    return render_template("workspace/team_edit.html", organization=organization, team=team, form=form)


def _posted() -> bool:
    return request.method == "POST"


@bp.route("/orgs/<int:org_id>/roster")
def roster(org_id: int):
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    return render_template(
        "workspace/roster.html", organization=organization, participants=participants_of(organization)
    )


@bp.route("/orgs/<int:org_id>/roster/import", methods=["GET", "POST"])
def roster_import(org_id: int):
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    upload, confirm = RosterUploadForm(), RosterConfirmForm()
    if confirm.payload.data and confirm.validate_on_submit():
        try:
            records = records_from_payload(confirm.payload.data)
        except ServiceError as error:
            flash(str(error), "error")
            return render_template(
                "workspace/roster_import.html", organization=organization, form=upload
            ), 400
        # Checked again: the roster may have changed, and the payload came back from the browser.
        preview = preview_roster(organization, records)
        try:
            result = import_roster(organization, preview)
            audit.record(current_user, "roster.imported", organization=organization,
                         subject=f"{result.added} added, {result.updated} updated",
                         details={"added": result.added, "updated": result.updated})  # fmt: skip
            db.session.commit()
        except ServiceError as error:
            _failed(error)
            return render_template("workspace/roster_preview.html", organization=organization,
                                   preview=preview, form=confirm), 400  # fmt: skip
        flash(
            _(
                "Roster imported: {added} added, {updated} updated.",
                added=result.added,
                updated=result.updated,
            ),
            "success",
        )
        return redirect(url_for("workspace.roster", org_id=org_id))
    if upload.validate_on_submit():
        file = upload.file.data
        try:
            records = read_roster_file(file.filename or "", file.read())
        except ServiceError as error:
            flash(str(error), "error")
            return render_template(
                "workspace/roster_import.html", organization=organization, form=upload
            ), 400
        preview = preview_roster(organization, records)
        confirm.payload.data = roster_payload(records)
        return render_template("workspace/roster_preview.html", organization=organization, preview=preview,
                               form=confirm)  # fmt: skip
    return render_template("workspace/roster_import.html", organization=organization, form=upload)


@bp.route("/orgs/<int:org_id>/roster/<int:participant_id>", methods=["GET", "POST"])
def edit_participant(org_id: int, participant_id: int):
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    participant = access.participant_in(organization, participant_id)
    form = ParticipantForm()
    form.team.choices = [SelectChoice(team.id, team.name) for team in organization.teams]
    if not _posted():
        form.email.data, form.name.data = participant.email, participant.display_name
        form.team.data, form.active.data = participant.team_id, participant.active
    if form.validate_on_submit():
        try:
            update_participant(
                participant, email=form.email.data or "", name=form.name.data or "",
                team=access.team_in(organization, form.team.data), active=form.active.data,
            )  # fmt: skip
            audit.record(current_user, "roster.changed", organization=organization,
                         subject=f"participant {participant.id}")  # fmt: skip
            db.session.commit()
        except ServiceError as error:
            _failed(error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("workspace.roster", org_id=org_id))
    return render_template("workspace/participant_edit.html", organization=organization,
                           participant=participant, form=form)  # fmt: skip


@bp.route("/orgs/<int:org_id>/audit")
def audit_log(org_id: int):
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    return render_template(
        "workspace/audit.html", organization=organization, events=audit.events_of(organization)
    )


# --- waves


def _instrument_choices() -> tuple[list[SelectChoice], list[SelectChoice]]:
    refs, languages = [], set()
    for ref in instruments.available():
        instrument = instruments.load(ref.key)
        title = instrument.title_in(current_language()) or ref.id
        refs.append(SelectChoice(ref.key, f"{title} ({ref.key})"))
        languages.update(instrument.languages)
    return refs, [SelectChoice(code) for code in sorted(languages)]


@bp.route("/orgs/<int:org_id>/waves/new", methods=["GET", "POST"])
def new_wave(org_id: int):
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    form = WaveSetupForm()
    form.instruments.choices, form.languages.choices = _instrument_choices()
    launch.prepare_wave_form(form, organization)
    if not _posted():
        form.instruments.data = preselected_instruments(choice.value for choice in form.instruments.choices)
    if form.validate_on_submit():
        try:
            opens_at, closes_at = launch.wave_times(form, organization)
            wave = create_wave(
                organization, form.name.data, launch.ordered_instruments(form),
                anonymity_threshold=form.anonymity_threshold.data, mode=form.mode.data,
                languages=form.languages.data or (), opens_at=opens_at, closes_at=closes_at,
                release_policy=form.release_policy.data,
            )  # fmt: skip
            audit.record(current_user, "wave.created", organization=organization, subject=_wave_label(wave),
                         wave=wave)  # fmt: skip
            days = background.parse_reminder_days(form.reminder_days.data)
            if days:
                background.set_reminder_days(wave, days, current_user)
            set_form(wave, *parse_form_choice(form.survey_form.data), current_user)
            if form.open_now.data:
                open_wave(wave)
                audit.record(current_user, "wave.opened", organization=organization,
                             subject=_wave_label(wave), wave=wave)  # fmt: skip
            db.session.commit()
        except ServiceError as error:
            _failed(error)
        else:
            flash(_("Created the wave {name}.", name=wave.name), "success")
            return redirect(url_for("workspace.wave", wave_id=wave.id))
    return render_template("workspace/wave_new.html", organization=organization, form=form)


def _wave_label(wave) -> str:
    return f'wave {wave.id} "{wave.name}"'


@bp.route("/waves/<int:wave_id>")
def wave(wave_id: int):
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    return _wave_page(wave)


def _wave_page(wave, reminder_form: ReminderForm | None = None) -> str:
    seen, notice = jobs.worker_seen(), current_app.config["JOBS_WAIT_NOTICE"]
    return render_template(
        "workspace/wave.html",
        wave=wave,
        organization=wave.organization,
        progress=wave_progress(wave),
        instruments=[_instrument_name(key) for key in instrument_refs(wave)],
        mail=send_status(wave),
        sending=background.mail_progress(wave, worker_seen=seen, wait_notice=notice),
        preparing=background.release_progress(wave, worker_seen=seen, wait_notice=notice),
        reminder_form=reminder_form or ReminderForm(days=", ".join(map(str, wave.reminder_days or []))),
        next_reminder=background.next_reminder(wave),
        releases=releases_of(wave),
        not_released=not_released_text(wave),
        threshold_form=ThresholdForm(threshold=wave.anonymity_threshold),
        action=ActionForm(),
        clone=CloneForm(name=_("{name} (next round)", name=wave.name)),
        **launch.launch_context(wave),
        calibration=attribute_wording.vignette_link(wave) is not None,
        form_options=form_options(wave),
        form_choice=FormChoiceForm(survey_form=_form_value(wave)),
    )


def _instrument_name(key: str) -> str:
    """An instrument as the workspace names it: its title in the reader's language, then ``id@version``."""
    try:
        title = instruments.load(key).title_in(current_language())
    except (LookupError, ValueError):  # an instrument file that is gone or changed: its key
        return key
    return f"{title} ({key})"


def _form_value(wave) -> str:
    return wave.form if wave.form_items is None else f"{wave.form}:{wave.form_items}"


@bp.route("/waves/<int:wave_id>/form", methods=["POST"])
def survey_form(wave_id: int):
    """Choose the wave's form (full or shorter) while it is a draft."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    form = FormChoiceForm()
    if not form.validate_on_submit():
        flash(_("The form expired or the choice is unknown; please try again."), "error")
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    try:
        changed = set_form(wave, *parse_form_choice(form.survey_form.data), current_user)
        db.session.commit()
    except ServiceError as error:
        _failed(error)
    else:
        if changed:
            flash(_("The wave's form is changed."), "success")
    return redirect(url_for("workspace.wave", wave_id=wave_id))


def _wave_action(wave_id: int, action, event: str, done: str):
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    if not ActionForm().validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    try:
        action(wave)
        if event:  # services that write their own audit record are passed no event
            audit.record(
                current_user, event, organization=wave.organization, subject=_wave_label(wave), wave=wave
            )
        db.session.commit()
    except ServiceError as error:
        _failed(error)
    else:
        if done:
            flash(done, "success")
    return redirect(url_for("workspace.wave", wave_id=wave_id))


@bp.route("/waves/<int:wave_id>/open", methods=["POST"])
def open_wave_view(wave_id: int):
    return _wave_action(wave_id, open_wave, "wave.opened", _("The wave is open: invitation links work now."))


@bp.route("/waves/<int:wave_id>/close", methods=["POST"])
def close_wave_view(wave_id: int):
    """Close the wave and queue the release of its results (with its files) as a job."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    if not ActionForm().validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    later = request.form.get("release") == "later"  # from the confirmation page: release by hand
    try:
        job = None if later else background.close_and_release(wave, current_user)
        if later:
            end_wave(wave)
        audit.record(current_user, "wave.closed", organization=wave.organization, subject=_wave_label(wave),
                     wave=wave, details={"release": "later" if later else "now"})  # fmt: skip
        db.session.commit()
    except ServiceError as error:
        _failed(error)
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    flash(_("The wave is closed: links no longer work. It can be reopened until its results are released.")
          if later else _("The wave is closed: links no longer work."), "success")  # fmt: skip
    if job is not None:
        _start([job], str(RELEASING))
    return redirect(url_for("workspace.wave", wave_id=wave_id))


#: What a queued release job says until it is done.
RELEASING = lazy_gettext(
    "Releasing the results in the background: this page shows the outcome when it is done."
)


@bp.route("/waves/<int:wave_id>/release", methods=["POST"])
def release(wave_id: int):
    """Release the wave's results now (checked against every earlier release)."""

    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    if not ActionForm().validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    if not _already(wave, "release"):
        job = background.request_release(wave, current_user)
        db.session.commit()
        _start([job], str(RELEASING))
    return redirect(url_for("workspace.wave", wave_id=wave_id))


def _already(wave, what: str) -> bool:
    """Whether a job that ``what`` would start is queued or running; if so, say how it stands."""
    running = background.unfinished_for(wave, what)
    if not running:
        return False
    seen, notice = jobs.worker_seen(), current_app.config["JOBS_WAIT_NOTICE"]
    for job in running:
        if job.kind == "release":
            flash(
                _(
                    "The release is already being prepared (job {job}); this page shows it once made.",
                    job=job.id,
                ),
                "info",
            )
            continue
        step = background.progress_of(job, worker_seen=seen, wait_notice=notice)
        values = {
            "job": job.id,
            "sent": step.sent,
            "failed": step.failed,
            "pending": step.pending,
            "round": step.round,
            "status": _(JOB_STATUS_WORDS.get(step.status, step.status)),
        }
        if step.email == "invitation":
            message = (
                _(
                    "Invitations already {status} (job {job}): {sent} sent, {failed} failed; nothing new was "
                    "queued.",
                    **values,
                )
                if step.pending is None
                else _(
                    "Invitations already {status} (job {job}): {sent} sent, {failed} failed, {pending} to "
                    "go; nothing new was queued.",
                    **values,
                )
            )
        else:
            message = (
                _(
                    "Reminder round {round} already {status} (job {job}): {sent} sent, {failed} failed; "
                    "nothing new was queued.",
                    **values,
                )
                if step.pending is None
                else _(
                    "Reminder round {round} already {status} (job {job}): {sent} sent, {failed} failed, "
                    "{pending} to go; nothing new was queued.",
                    **values,
                )
            )
        flash(message, "info")  # fmt: skip
    db.session.commit()
    return True


def _start(queued: list, waiting: str) -> None:
    """Put the committed jobs on the queue, and say how they stand (done already when immediate)."""
    for job in queued:
        jobs.enqueue(job)
    db.session.expire_all()
    for job in queued:
        if job.status in ("done", "failed"):
            flash(
                stored_text(job.summary) or _("Done."),
                "error" if job.status == "failed" or job.error else "success",
            )
        else:
            flash(waiting, "info")
            return


@bp.route("/waves/<int:wave_id>/threshold", methods=["POST"])
def threshold(wave_id: int):
    """Change the wave's anonymity threshold (never below a released one)."""
    access.wave_for(current_user, wave_id, access.MANAGE)
    form = ThresholdForm()
    if not form.validate_on_submit():
        flash(
            _("The threshold must be a whole number of at least {minimum}.", minimum=MIN_ANONYMITY_THRESHOLD),
            "error",
        )
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    return _wave_action(wave_id, lambda wave: change_threshold(wave, form.threshold.data, actor=current_user),
                        "", _("Saved the anonymity threshold."))  # fmt: skip


@bp.route("/waves/<int:wave_id>/wording", methods=["GET", "POST"])
def wording(wave_id: int):
    """The wave's own wording of the lead profiles' attribute levels (a draft's only)."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    link = attribute_wording.vignette_link(wave)
    if link is None:
        flash(_("This wave has no lead calibration: there is no profile wording to change."), "error")
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    form = ActionForm()
    submitted = None
    if _posted():
        if not form.validate_on_submit():
            flash(EXPIRED, "error")
            return redirect(url_for("workspace.wording", wave_id=wave_id))
        reset = "reset" in request.form
        submitted = {} if reset else _wording_fields(request.form)
        try:
            changed = attribute_wording.set_attribute_wording(
                wave, submitted, actor=current_user, reset=reset
            )
            db.session.commit()
        except ServiceError as error:
            _failed(error)
        else:
            flash(ngettext("Saved the profile wording ({count} text changed).",
                           "Saved the profile wording ({count} texts changed).", changed) if changed
                  else _("Nothing changed."), "success")  # fmt: skip
            return redirect(url_for("workspace.wording", wave_id=wave_id))
    rows = list(attribute_wording.wording_rows(wave, link))
    status = 400 if submitted is not None else 200
    return render_template(
        "workspace/wording.html", wave=wave, organization=wave.organization, rows=rows, form=form,
        submitted=submitted or {}, editable=attribute_wording.editable(wave),
        max_length=attribute_wording.MAX_LENGTH, language_names=LANGUAGE_NAMES,
    ), status  # fmt: skip


def _wording_fields(posted) -> dict:
    """``text:<attribute>:<level>:<language>`` fields as ``{attribute: {level: {language: text}}}``."""
    texts: dict = {}
    for name, value in posted.items():
        parts = name.split(":")
        if len(parts) == 4 and parts[0] == "text":
            texts.setdefault(parts[1], {}).setdefault(parts[2], {})[parts[3]] = value
    return texts


@bp.route("/waves/<int:wave_id>/cuts", methods=["GET", "POST"])
def cuts_view(wave_id: int):
    """Choose the roster attributes the wave's results are cut by (until a release is published)."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    form = ActionForm()
    status = 200
    if _posted():
        if not form.validate_on_submit():
            flash(EXPIRED, "error")
            return redirect(url_for("workspace.cuts_view", wave_id=wave_id))
        try:
            chosen = request.form.getlist("attribute")
            cuts.choose(wave, chosen, "by_function" in request.form, actor=current_user)
            db.session.commit()
        except ServiceError as error:
            _failed(error)
            status = 400
        else:
            flash(_("Saved the attributes the results are cut by."), "success")
            return redirect(url_for("workspace.cuts_view", wave_id=wave_id))
    names, by_function = cuts.chosen(wave)
    return render_template(
        "workspace/cuts.html", wave=wave, organization=wave.organization, form=form, chosen=names,
        by_function=by_function, available=cuts.available(wave), frozen=cuts.frozen(wave),
        max_attributes=cuts.MAX_ATTRIBUTES, max_values=cuts.MAX_VALUES,
    ), status  # fmt: skip


@bp.route("/waves/<int:wave_id>/invite", methods=["POST"])
def invite(wave_id: int):
    def invite_everyone(wave):
        issued = invite_roster(wave)
        flash(ngettext("{count} new invitation.", "{count} new invitations.", len(issued)), "success")

    return _wave_action(wave_id, invite_everyone, "invitations.created", "")


@bp.route("/waves/<int:wave_id>/clone", methods=["POST"])
def clone(wave_id: int):
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    form = CloneForm()
    if not form.validate_on_submit():
        flash(_("Give the next round a name."), "error")
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    try:
        new = clone_wave(wave, form.name.data)
        audit.record(current_user, "wave.cloned", organization=wave.organization, subject=_wave_label(new),
                     details={"from_wave": wave.id}, wave=new)  # fmt: skip
        db.session.commit()
    except ServiceError as error:
        _failed(error)
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    flash(_("Created {name} with the same instruments and settings.", name=new.name), "success")
    return redirect(url_for("workspace.wave", wave_id=new.id))


@bp.route("/waves/<int:wave_id>/links.csv", methods=["POST"])
def links(wave_id: int):
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    if not ActionForm().validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    rows = export_links(wave)
    audit.record(current_user, "links.exported", organization=wave.organization, subject=_wave_label(wave),
                 details={"links": sum(1 for row in rows if row.link)}, wave=wave)  # fmt: skip
    db.session.commit()
    return Response(
        links_csv(rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="wave-{wave.id}-links.csv"',
            "Cache-Control": "no-store",
        },
    )


def _mail(wave_id: int, what: str):
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    if not ActionForm().validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    if wave.status == "open" and _already(wave, what):
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    try:
        queued = background.request_mail(wave, what, current_user)
        db.session.commit()
    except ServiceError as error:
        _failed(error)
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    _start(queued, _("Sending in the background: this page shows how far it got."))
    if request.form.get("back") == "board":  # the live board's reminder button
        return redirect(url_for("workspace.board", wave_id=wave_id))
    return redirect(url_for("workspace.wave", wave_id=wave_id))


@bp.route("/waves/<int:wave_id>/reminders", methods=["POST"])
def reminders(wave_id: int):
    """Set the days before the close on which reminders go out by themselves."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    form = ReminderForm()
    if form.validate_on_submit():
        try:
            background.set_reminder_days(wave, background.parse_reminder_days(form.days.data), current_user)
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            form.days.errors = [*form.days.errors, str(error)]
        else:
            days = ", ".join(map(str, wave.reminder_days)) or _("none")
            flash(_("Saved the automatic reminders (days before the close: {days}).", days=days), "success")
            return redirect(url_for("workspace.wave", wave_id=wave_id))
    flash(_("The reminder days were not saved.") if form.days.errors else EXPIRED, "error")
    return _wave_page(wave, form), 400


@bp.route("/waves/<int:wave_id>/send", methods=["POST"])
def send(wave_id: int):
    """Queue the invitation e-mails of everyone not yet sent one."""
    return _mail(wave_id, "invitation")


@bp.route("/waves/<int:wave_id>/remind", methods=["POST"])
def remind(wave_id: int):
    """Queue a new reminder round to everyone who has not submitted."""
    return _mail(wave_id, "reminder")


@bp.route("/waves/<int:wave_id>/retry", methods=["POST"])
def retry(wave_id: int):
    """Queue the failed invitations and the latest reminder round's failures again."""
    return _mail(wave_id, "retry")


@bp.route("/waves/<int:wave_id>/board")
def board(wave_id: int):
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    return render_template("workspace/board.html", wave=wave, organization=wave.organization,
                           board=live_board(wave), action=ActionForm(), released=latest_release(wave),
                           refresh=BOARD_REFRESH_SECONDS)  # fmt: skip


#: How often the live board reloads itself without JavaScript (its script updates it more often).
BOARD_REFRESH_SECONDS = 60


@bp.route("/waves/<int:wave_id>/board.json")
def board_json(wave_id: int):
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    response = jsonify(wave_progress(wave).as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response


#: A team's function in words, as pages show it (the stored codes are for files and the CLI).
FUNCTION_WORDS = {"sales": N_("Sales"), "marketing": N_("Marketing"), "other": N_("Other")}
#: A wave's status, mode and the other codes the workspace pages show, in words.
STATUS_WORDS = {"draft": N_("draft"), "open": N_("open"), "closed": N_("closed")}
MODE_WORDS = {"confidential": N_("confidential"), "anonymous": N_("anonymous")}
ROLE_WORDS = {"admin": N_("Admin"), "consultant": N_("Consultant"), "manager": N_("Manager")}
#: How the launch checklist marks a line (``Check.level``).
CHECK_WORDS = {"ok": N_("OK"), "warning": N_("Note"), "problem": N_("Fix")}
#: What importing a roster row does (``RosterRow.action``).
ROSTER_ACTION_WORDS = {"add": N_("add"), "update": N_("update"), "unchanged": N_("unchanged")}
#: The kinds of e-mail a wave sends.
MAIL_KIND_WORDS = {"invitation": N_("Invitation"), "reminder": N_("Reminder"), "test": N_("Test e-mail")}
#: How a background job stands, in the middle of a sentence ("Invitations already queued").
JOB_STATUS_WORDS = {
    "queued": N_("queued"),
    "running": N_("running"),
    "done": N_("done"),
    "failed": N_("failed"),
}
#: Who made a release, when no person did.
MADE_BY_WORDS = {"live step": N_("a step while open"), "wave closed": N_("the close")}
#: The audit log's event codes, in words.
EVENT_WORDS = {
    "action.created": N_("Action created"),
    "action.edited": N_("Action edited"),
    "action.updated": N_("Action updated"),
    "branding.changed": N_("Branding changed"),
    "branding.colour_changed": N_("Brand colour changed"),
    "branding.logo_changed": N_("Logo changed"),
    "branding.logo_removed": N_("Logo removed"),
    "branding.sender_changed": N_("Sender name changed"),
    "emails.invitations_sent": N_("Invitations sent"),
    "emails.reminders_sent": N_("Reminders sent"),
    "invitations.created": N_("People invited"),
    "link.reissued": N_("Link re-issued"),
    "links.exported": N_("Links downloaded"),
    "links.reissued": N_("All links re-issued"),
    "member.added": N_("Member added"),
    "member.invited": N_("Member invited"),
    "organization.created": N_("Organisation created"),
    "organization.time_zone": N_("Time zone changed"),
    "organization.time_zone_changed": N_("Time zone changed"),
    "participant.erased": N_("Personal data erased"),
    "participant.exported": N_("Personal data exported"),
    "retention.applied": N_("Retention applied"),
    "retention.changed": N_("Retention period changed"),
    "results.released": N_("Results released"),
    "results.withheld": N_("Release withheld"),
    "roster.changed": N_("Roster entry changed"),
    "roster.imported": N_("Roster imported"),
    "team.changed": N_("Team changed"),
    "team.created": N_("Team added"),
    "user.created": N_("User created"),
    "user.language_changed": N_("Language changed"),
    "user.password_changed": N_("Password changed"),
    "user.password_reset": N_("Password reset"),
    "user.password_reset_requested": N_("Password reset requested"),
    "user.password_set": N_("Password set"),
    "user.sessions_ended": N_("Signed out everywhere"),
    "wave.cloned": N_("Wave cloned"),
    "wave.closed": N_("Wave closed"),
    "wave.created": N_("Wave created"),
    "wave.cuts_changed": N_("Result cuts changed"),
    "wave.form_set": N_("Survey form chosen"),
    "wave.opened": N_("Wave opened"),
    "wave.reminders_scheduled": N_("Automatic reminders set"),
    "wave.reopened": N_("Wave reopened"),
    "wave.test_email": N_("Test e-mail sent"),
    "wave.threshold_changed": N_("Anonymity threshold changed"),
    "wave.wording_changed": N_("Lead profile wording changed"),
}
#: What a form that expired says (a page kept open too long, or a missing CSRF token).
EXPIRED = lazy_gettext("The form expired; please try again.")


def _word(words: dict[str, str], code: str | None) -> str:
    """The words for ``code`` in the current language; an unknown code as it is, none as empty."""
    return _(words[code]) if code in words else (code or "")


@bp.app_template_filter("function_word")
def function_word(function: str | None) -> str:
    """``"marketing"`` → ``"Marketing"``; an empty function stays empty."""
    return _word(FUNCTION_WORDS, function)


@bp.app_template_filter("status_word")
def status_word(status: str | None) -> str:
    return _word(STATUS_WORDS, status)


@bp.app_template_filter("mode_word")
def mode_word(mode: str | None) -> str:
    return _word(MODE_WORDS, mode)


@bp.app_template_filter("role_word")
def role_word(role: str | None) -> str:
    return _word(ROLE_WORDS, role)


@bp.app_template_filter("check_word")
def check_word(level: str | None) -> str:
    return _word(CHECK_WORDS, level)


@bp.app_template_filter("roster_action_word")
def roster_action_word(action: str | None) -> str:
    return _word(ROSTER_ACTION_WORDS, action)


@bp.app_template_filter("mail_kind_word")
def mail_kind_word(kind: str | None) -> str:
    return _word(MAIL_KIND_WORDS, kind)


@bp.app_template_filter("made_by_word")
def made_by_word(made_by: str | None) -> str:
    """The person who made a release (their e-mail) as it is; a release made by the system in words."""
    return _word(MADE_BY_WORDS, made_by)


@bp.app_template_filter("event_word")
def event_word(action: str | None) -> str:
    """An audit event's code in words (an unknown code is shown as it is)."""
    return _word(EVENT_WORDS, action)


@bp.app_template_filter("list_words")
def list_words(values) -> str:
    """``[3, 1]`` → ``"3 and 1"`` in English, ``"3 und 1"`` in German."""
    return format_list([str(value) for value in values], locale=locale_of(current_language()))


# The launch, links, preview and reopening pages add their routes to this blueprint.
from survey.blueprints.workspace import launch  # noqa: E402
