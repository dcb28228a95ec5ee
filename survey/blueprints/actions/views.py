"""Action plans: an organisation's actions, a new action from a report, its page and updates.

Every view finds its organisation through :mod:`survey.services.access` (another
organisation's action answers 404); any member, consultant or manager, may add and update
actions. The rules and the audit log live in :mod:`survey.services.actions`.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from survey.blueprints.actions.forms import ActionForm, UpdateForm
from survey.blueprints.main.views import day
from survey.extensions import db
from survey.i18n import _, current_language
from survey.models import Team, Wave
from survey.services import ServiceError, access, actions
from survey.services.action_effects import history
from survey.services.action_section import sentence
from survey.services.releases import latest_release, release_report

bp = Blueprint("actions", __name__, url_prefix="/orgs/<int:org_id>/actions")


def _organization(org_id: int):
    return access.organization_for(current_user, org_id)


def _released_waves(organization) -> list[Wave]:
    waves = db.session.scalars(
        select(Wave).where(Wave.organization_id == organization.id, Wave.status != "draft").order_by(Wave.id)
    ).all()
    return [wave for wave in waves if latest_release(wave) is not None]


def _teams(organization) -> list[Team]:
    return list(
        db.session.scalars(select(Team).where(Team.organization_id == organization.id).order_by(Team.name))
    )


def _dimension_names(organization) -> dict[str, str]:
    names: dict[str, str] = {}
    for wave in _released_waves(organization)[-1:]:
        names.update(actions.dimensions_of(wave))
    return names


def _arg_int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.route("")
@login_required
def index(org_id: int):
    """The organisation's actions, with filters; open and overdue ones first."""
    organization = _organization(org_id)
    filters = {
        "status": request.args.get("status", ""),
        "owner": request.args.get("owner", "").strip(),
        "team_id": _arg_int("team"),
        "dimension": request.args.get("dimension", ""),
        "wave_id": _arg_int("wave"),
        "overdue": request.args.get("overdue") == "1",
    }
    if filters["status"] not in ("", "open", *actions.STATUS_LABELS):
        filters["status"] = ""
    found = actions.actions_of(organization, **filters)
    if request.args.get("format") == "csv":
        payload = actions.actions_csv(found, _dimension_names(organization))
        return Response(
            payload,
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="mindgap-{organization.slug}-actions.csv"'
            },
        )
    return render_template(
        "actions/index.html",
        organization=organization,
        actions=found,
        filters=filters,
        teams=_teams(organization),
        waves=_released_waves(organization),
        names=_dimension_names(organization),
        labels=actions.STATUS_LABELS,
        is_overdue=actions.is_overdue,
        day=day,
        csv_url=url_for("actions.index", org_id=org_id, format="csv", **request.args.to_dict()),
    )


def _starting_points(wave: Wave | None, names: dict) -> list[tuple[str, dict]]:
    """The report's gaps and recommendations as (label, prefilled form values) to start from."""
    release = latest_release(wave) if wave is not None else None
    if release is None:
        return []
    report = release_report(release)
    teams = report.overview.teams["name"].astype(str).to_dict()
    root = report.suppression.root
    points = []
    gaps = report.gaps
    if len(gaps) and "significant" in gaps:
        chosen = gaps[gaps["significant"].fillna(False).astype(bool)]
        chosen = chosen.reindex(chosen["g"].abs().sort_values(ascending=False).index).head(8)
        for row in chosen.itertuples(index=False):
            if row.team_a == root or row.team_b == root:
                continue
            dimension = names.get(row.dimension, row.dimension)
            label = _("Gap on {dimension}: {team_a} and {team_b}", dimension=dimension,
                      team_a=teams.get(row.team_a), team_b=teams.get(row.team_b))  # fmt: skip
            points.append(
                (
                    label,
                    {
                        "dimension": row.dimension,
                        "target": "pair",
                        "teams": [row.team_a, row.team_b],
                        "source": "gap",
                    },
                )
            )
    for recommendation in report.recommendations:
        name = names.get(recommendation.dimension, recommendation.dimension)
        if recommendation.basis == "level":
            label = _("Recommendation on {dimension} (both functions rate it low)", dimension=name)
        else:
            label = _("Recommendation on {dimension} (sales and marketing differ)", dimension=name)
        points.append(
            (
                label,
                {"dimension": recommendation.dimension, "target": "teams", "source": "recommendation"},
            )
        )
    return points


def _fill_choices(form: ActionForm, organization, waves: list[Wave], wave: Wave | None) -> dict:
    names = actions.dimensions_of(wave) if wave is not None else {}
    form.wave.choices = [SelectChoice(w.id, w.name) for w in waves]
    ordered = sorted(names.items(), key=lambda item: item[1])
    form.dimension.choices = [SelectChoice("", _("choose…"))] + [
        SelectChoice(code, name) for code, name in ordered
    ]
    form.teams.choices = [SelectChoice(team.id, team.name) for team in _teams(organization)]
    form.owner.choices = [SelectChoice(0, _("a named person (below)"))] + [
        SelectChoice(u.id, u.email) for u in actions.owners_of(organization)
    ]
    return names


def _fields(form: ActionForm) -> actions.ActionFields:
    return actions.ActionFields(
        title=form.title.data or "",
        dimension=form.dimension.data or "",
        target=form.target.data,
        team_ids=tuple(form.teams.data or ()),
        owner_id=form.owner.data or None,
        owner_name=form.owner_name.data or "",
        owner_email=form.owner_email.data or "",
        due_on=form.due_on.data,
        status=form.status.data,
        notes=form.notes.data or "",
        source=form.source.data or "other",
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(org_id: int):
    """A new action, started from a report's gap, dimension or recommendation (prefilled)."""
    organization = _organization(org_id)
    waves = _released_waves(organization)
    if not waves:
        flash(_("Actions answer a wave's results: publish a wave's results first."), "error")
        return redirect(url_for("actions.index", org_id=org_id))
    form = ActionForm()
    wave_id = form.wave.data if request.method == "POST" else _arg_int("wave")
    wave = next((w for w in waves if w.id == wave_id), waves[-1])
    names = _fill_choices(form, organization, waves, wave)
    if request.method == "GET":
        form.wave.data = wave.id
        form.dimension.data = request.args.get("dimension", "")
        form.target.data = "pair" if request.args.get("target") == "pair" else "teams"
        form.teams.data = [int(t) for t in request.args.getlist("teams") if t.isdigit()]
        form.source.data = request.args.get("source", "dimension" if form.dimension.data else "other")
        owners = {choice.value for choice in form.owner.choices}
        form.owner.data = current_user.id if current_user.id in owners else 0
    if form.validate_on_submit():
        try:
            action = actions.create_action(current_user, organization, _fields(form), wave=wave)
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            form.title.errors = [*form.title.errors, str(error)]
        else:
            flash(_("Added the action “{title}”.", title=action.title), "success")
            return redirect(url_for("actions.show", org_id=org_id, action_id=action.id))
    return render_template(
        "actions/form.html",
        organization=organization,
        form=form,
        wave=wave,
        action=None,
        starts=_starting_points(wave, names),
    )


def _action(org_id: int, action_id: int):
    action = actions.action_for(current_user, action_id)
    if action.organization_id != org_id:
        abort(404)
    return action


@bp.route("/<int:action_id>")
@login_required
def show(org_id: int, action_id: int):
    """An action: its target, owner, updates, and whether it worked in each later wave."""
    action = _action(org_id, action_id)
    names = _dimension_names(action.organization) | (
        actions.dimensions_of(action.wave) if action.wave else {}
    )
    return render_template(
        "actions/show.html",
        organization=action.organization,
        action=action,
        form=UpdateForm(),
        names=names,
        labels=actions.STATUS_LABELS,
        overdue=actions.is_overdue(action),
        history=history(action),
        evaluation_text=lambda evaluation: sentence(current_language(), action, evaluation),
        day=day,
    )


@bp.route("/<int:action_id>/updates", methods=["POST"])
@login_required
def add_update(org_id: int, action_id: int):
    """A dated note on the action's progress, optionally with a new status."""
    action = _action(org_id, action_id)
    form = UpdateForm()
    if not form.validate_on_submit():
        problems = " ".join(str(e) for errors in form.errors.values() for e in errors)
        flash(_("The update could not be read: {problems}", problems=problems), "error")
        return show(org_id, action_id)
    try:
        actions.add_update(current_user, action, form.text.data or "", form.status.data or None)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "error")
        return show(org_id, action_id)
    flash(_("Update added."), "success")
    return redirect(url_for("actions.show", org_id=org_id, action_id=action_id))


@bp.route("/<int:action_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int, action_id: int):
    """Change an action's title, target, owner, due date, status or notes."""
    action = _action(org_id, action_id)
    organization = action.organization
    waves = _released_waves(organization)
    form = ActionForm(obj=None)
    wave = action.wave
    names = _fill_choices(form, organization, [w for w in waves if w.id == action.wave_id] or waves, wave)
    if not names:
        names = {action.dimension: action.dimension}
        form.dimension.choices = [SelectChoice(code, name) for code, name in names.items()]
    if request.method == "GET":
        form.title.data, form.dimension.data, form.target.data = action.title, action.dimension, action.target
        form.wave.data = action.wave_id
        form.teams.data = [link.team_id for link in action.teams]
        form.owner.data = action.owner_id or 0
        form.owner_name.data, form.owner_email.data = action.owner_name, action.owner_email
        form.due_on.data, form.status.data, form.notes.data = action.due_on, action.status, action.notes
        form.source.data = action.source
    elif form.validate_on_submit():
        try:
            actions.edit_action(current_user, action, _fields(form))
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            form.title.errors = [*form.title.errors, str(error)]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("actions.show", org_id=org_id, action_id=action_id))
    return render_template(
        "actions/form.html", organization=organization, form=form, wave=wave, action=action, starts=[]
    )
