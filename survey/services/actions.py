"""Action plans: from a measured gap to an owned, dated action, its updates and reminders.

An action belongs to an organisation and answers one wave's results (its baseline): it
names a dimension and either the teams that should rise on it (``teams``) or the two teams
whose gap on it should close (``pair``), an owner (a user of the organisation or a named
person), a due date and a status. Every member of the organisation may create and update
actions (consultants and managers alike: an action is owned by the client); every change
is audit-logged here. Open actions carry over: they stay on the list and in every later
wave's report, which evaluates them (:mod:`survey.services.action_effects`).

Reminders go to the owner a few days before the due date and once when it has passed
(:func:`send_reminders`, run every hour by the job queue and by ``mindgap actions remind``).
A due date is a day in the organisation's time zone (``Organization.time_zone``): an action
is overdue, and its reminders fall due, by the date there, and its dates are shown there.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select

from survey.extensions import db
from survey.i18n import N_, _, current_language, translate
from survey.models import Action, ActionTeam, ActionUpdate, Membership, Organization, User, Wave, utcnow
from survey.models.action import ACTION_SOURCES, ACTION_STATUSES, ACTION_TARGETS, OPEN_STATUSES
from survey.services import ServiceError, access, audit
from survey.services.action_effects import evaluations_of
from survey.services.addresses import AddressError, address_problem, recipient
from survey.services.launch import zone_of
from survey.services.mailing import MailSettings, _open_smtp
from survey.services.releases import latest_release, release_report
from survey.services.reports import release_instruments

#: Words for the statuses, as the pages and exports show them.
STATUS_LABELS = {
    "planned": N_("Planned"),
    "in_progress": N_("In progress"),
    "done": N_("Done"),
    "dropped": N_("Dropped"),
}
#: Days before the due date on which the owner is reminded.
REMIND_DAYS_BEFORE = 3
MAX_TITLE = 200
MAX_NOTES = 5000


@dataclass(frozen=True)
class ActionFields:
    """What a person fills in for an action (checked by :func:`create_action` / :func:`edit_action`)."""

    title: str
    dimension: str
    target: str = "teams"
    team_ids: tuple[int, ...] = ()
    owner_id: int | None = None
    owner_name: str = ""
    owner_email: str = ""
    due_on: date | None = None
    status: str = "planned"
    notes: str = ""
    source: str = "other"


def action_for(user: User, action_id: int) -> Action:
    """The action if ``user`` may see its organisation (else :class:`access.NotFoundError`)."""
    action = db.session.get(Action, action_id)
    if action is None:
        raise access.NotFoundError(_("No such action."))
    try:
        access.organization_for(user, action.organization_id)
    except access.NotFoundError:
        raise access.NotFoundError(_("No such action.")) from None
    return action


#: Dimension names per release: a release never changes, so neither do its names.
_DIMENSIONS: dict[tuple, dict[str, str]] = {}


def dimensions_of(wave: Wave | None, language: str | None = None) -> dict[str, str]:
    """Dimension id -> name (in ``language``, default the reader's) of the wave's published results.

    Empty before any release.
    """
    release = latest_release(wave) if wave is not None else None
    if release is None:
        return {}
    language = language or current_language()
    key = (release.id, release.created_at, language)  # ids of deleted rows can come back in SQLite
    if key not in _DIMENSIONS:
        if len(_DIMENSIONS) > 256:
            _DIMENSIONS.clear()
        names = release_report(release).dimensions["name"].astype(str).to_dict()
        for instrument in release_instruments(release):
            for dimension in instrument.dimensions:
                if dimension.id in names:
                    names[dimension.id] = dimension.label(language)
        _DIMENSIONS[key] = names
    return dict(_DIMENSIONS[key])


def owners_of(organization: Organization) -> list[User]:
    """The users who may own an organisation's actions: its members, by address."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id == organization.id, User.active.is_(True))
            .order_by(User.email)
        )
    )


def _checked(organization: Organization, wave: Wave | None, fields: ActionFields) -> ActionFields:
    title = " ".join((fields.title or "").split())
    if not title:
        raise ServiceError(_("Give the action a title."))
    if len(title) > MAX_TITLE:
        raise ServiceError(_("The title is longer than {max_title} characters.", max_title=MAX_TITLE))
    if fields.target not in ACTION_TARGETS:
        raise ServiceError(_("Choose what the action targets: teams, or the gap between two teams."))
    if fields.status not in ACTION_STATUSES:
        raise ServiceError(
            _(
                "The status must be one of: {statuses}.",
                statuses=", ".join(_(label) for label in STATUS_LABELS.values()),
            )
        )
    if fields.source not in ACTION_SOURCES:
        raise ServiceError(_("Unknown starting point for the action."))
    if wave is not None and wave.organization_id != organization.id:
        raise access.NotFoundError(_("No such wave."))
    dimensions = dimensions_of(wave)
    if wave is not None and not dimensions:
        raise ServiceError(_("The wave '{wave}' has no published results yet to act on.", wave=wave.name))
    if dimensions and fields.dimension not in dimensions:
        raise ServiceError(_("Choose the dimension the action means to move."))
    if not dimensions and not fields.dimension:
        raise ServiceError(_("Choose the dimension the action means to move."))
    team_ids = tuple(dict.fromkeys(int(t) for t in fields.team_ids))
    for team_id in team_ids:
        access.team_in(organization, team_id)
    if fields.target == "pair" and len(team_ids) != 2:
        raise ServiceError(_("A gap is between two teams: choose exactly two."))
    if fields.target == "teams" and not team_ids:
        raise ServiceError(_("Choose at least one team the action is for."))
    owner_name = " ".join((fields.owner_name or "").split())[:200]
    owner_email = (fields.owner_email or "").strip().lower()
    if fields.owner_id:
        if fields.owner_id not in {user.id for user in owners_of(organization)}:
            raise ServiceError(_("The owner must be a member of this organisation, or a named person."))
        owner_name, owner_email = "", ""
    elif not owner_name:
        raise ServiceError(_("Name the action's owner: a user of this organisation or a person."))
    problem = address_problem(owner_email) if owner_email else ""
    if problem:
        raise ServiceError(_("The owner's e-mail address is not valid: {problem}.", problem=problem))
    notes = (fields.notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise ServiceError(_("The notes are longer than {max_notes} characters.", max_notes=MAX_NOTES))
    return ActionFields(
        title, fields.dimension, fields.target, team_ids, fields.owner_id or None, owner_name,
        owner_email, fields.due_on, fields.status, notes, fields.source,
    )  # fmt: skip


def _apply(action: Action, fields: ActionFields) -> None:
    action.title = fields.title
    action.dimension = fields.dimension
    action.target = fields.target
    action.owner_id = fields.owner_id
    action.owner_name = fields.owner_name
    action.owner_email = fields.owner_email
    if action.due_on != fields.due_on:
        action.reminded_due_at = action.reminded_overdue_at = None
    action.due_on = fields.due_on
    action.status = fields.status
    action.notes = fields.notes
    action.source = fields.source
    current = [link.team_id for link in action.teams]
    if current != list(fields.team_ids):
        action.teams.clear()
        db.session.flush()
        action.teams.extend(ActionTeam(team_id=t, position=p) for p, t in enumerate(fields.team_ids))


def _subject(action: Action) -> str:
    return f'action {action.id} "{action.title}"'


def create_action(
    user: User | None, organization: Organization, fields: ActionFields, *, wave: Wave | None = None
) -> Action:
    """A new action of ``organization`` answering ``wave``'s results; audit-logged."""
    if user is not None:
        access.organization_for(user, organization.id)
    checked = _checked(organization, wave, fields)
    action = Action(organization_id=organization.id, wave_id=wave.id if wave else None,
                    created_by_id=user.id if user else None, title=checked.title)  # fmt: skip
    _apply(action, checked)
    db.session.add(action)
    db.session.flush()
    audit.record(user, "action.created", organization=organization, subject=_subject(action),
                 details={"dimension": action.dimension, "teams": list(checked.team_ids),
                          "wave": action.wave_id})  # fmt: skip
    return action


def edit_action(user: User | None, action: Action, fields: ActionFields) -> Action:
    """Change an action's fields; a status change is also written as an update."""
    if user is not None:
        action_for(user, action.id)
    checked = _checked(action.organization, action.wave, fields)
    before = action.status
    _apply(action, checked)
    if before != action.status:
        action.updates.append(ActionUpdate(user_id=user.id if user else None, author=_author(user),
                                           text="", status=action.status))  # fmt: skip
    audit.record(user, "action.edited", organization=action.organization, subject=_subject(action),
                 details={"status": action.status})  # fmt: skip
    return action


def _author(user: User | None) -> str:
    return user.email if user is not None else audit.CLI_ACTOR


def add_update(user: User | None, action: Action, text: str, status: str | None = None) -> ActionUpdate:
    """A dated note on the action's progress, optionally moving it to ``status``."""
    if user is not None:
        action_for(user, action.id)
    text = (text or "").strip()
    if status in ("", None) or status == action.status:
        status = None
    elif status not in ACTION_STATUSES:
        raise ServiceError(
            _(
                "The status must be one of: {statuses}.",
                statuses=", ".join(_(label) for label in STATUS_LABELS.values()),
            )
        )
    if not text and status is None:
        raise ServiceError(_("Write what happened, or change the status."))
    if len(text) > MAX_NOTES:
        raise ServiceError(_("The update is longer than {max_notes} characters.", max_notes=MAX_NOTES))
    update = ActionUpdate(user_id=user.id if user else None, author=_author(user), text=text, status=status)
    action.updates.append(update)
    if status is not None:
        action.status = status
    action.updated_at = utcnow()
    audit.record(user, "action.updated", organization=action.organization, subject=_subject(action),
                 details={"status": status} if status else {})  # fmt: skip
    db.session.flush()
    return update


def local_date(moment: datetime | None, organization: Organization) -> date | None:
    """The day a stored (UTC) time falls on in the organisation's time zone."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone_of(organization)).date()


def today_for(organization: Organization, now: datetime | None = None) -> date:
    """The day it is (``now``, else the current time) in the organisation's time zone."""
    return local_date(now or utcnow(), organization)


def is_overdue(action: Action, today: date | None = None) -> bool:
    """Open, and its due date has passed (``today``: else the day it is in its organisation's zone)."""
    if not action.is_open or action.due_on is None:
        return False
    return action.due_on < (today or today_for(action.organization))


def actions_of(
    organization: Organization,
    *,
    status: str = "",
    owner: str = "",
    team_id: int | None = None,
    dimension: str = "",
    wave_id: int | None = None,
    overdue: bool = False,
) -> list[Action]:
    """The organisation's actions matching the filters: open ones first, overdue first, by due date.

    ``status`` is a status or ``"open"``; ``owner`` a user's address or a named owner, as shown.
    """
    query = select(Action).where(Action.organization_id == organization.id)
    if status == "open":
        query = query.where(Action.status.in_(OPEN_STATUSES))
    elif status:
        query = query.where(Action.status == status)
    if dimension:
        query = query.where(Action.dimension == dimension)
    if wave_id:
        query = query.where(Action.wave_id == wave_id)
    if team_id:
        query = query.where(Action.id.in_(select(ActionTeam.action_id).where(ActionTeam.team_id == team_id)))
    found = list(db.session.scalars(query.order_by(Action.id)))
    if owner:
        found = [a for a in found if a.owner_label.lower() == owner.lower()]
    if overdue:
        found = [a for a in found if is_overdue(a)]
    return sorted(found, key=_order)


def _order(action: Action):
    far = date.max
    return (not action.is_open, not is_overdue(action), action.due_on or far, action.id)


def open_actions_for(user: User, limit: int = 20) -> list[Action]:
    """Open actions in the user's organisations for the home page: overdue first, then by due date."""
    from survey.services.users import organizations_for

    ids = [organization.id for organization in organizations_for(user)]
    if not ids:
        return []
    found = db.session.scalars(
        select(Action).where(Action.organization_id.in_(ids), Action.status.in_(OPEN_STATUSES))
    ).all()
    return sorted(found, key=_order)[:limit]


def team_names(action: Action) -> list[str]:
    return [link.team.name for link in action.teams]


CSV_COLUMNS = ("id", "title", "status", "dimension", "target", "teams", "owner", "due", "overdue",
               "wave", "created", "updates", "notes")  # fmt: skip


def _safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def actions_csv(actions: list[Action], dimension_names: dict[str, str] | None = None) -> str:
    """The actions as CSV, one row each (names and dates, no ids but the action's own)."""
    names = dimension_names or {}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for a in actions:
        writer.writerow(
            [
                a.id, _safe(a.title), STATUS_LABELS[a.status], _safe(names.get(a.dimension, a.dimension)),
                "gap between two teams" if a.target == "pair" else "teams",
                _safe("; ".join(team_names(a))), _safe(a.owner_label),
                a.due_on.isoformat() if a.due_on else "",
                "yes" if is_overdue(a) else "no", _safe(a.wave.name) if a.wave else "",
                local_date(a.created_at, a.organization).isoformat(), len(a.updates), _safe(a.notes),
            ]
        )  # fmt: skip
    return out.getvalue()


# --- reminders


def _address(action: Action) -> str:
    if action.owner is not None:
        return action.owner.email if action.owner.active else ""
    return action.owner_email


#: Subject and opening line of an owner's reminder, before the due date and after it.
REMINDER_TEXTS = {
    "due": (
        N_("Due on {due}: {title}"),
        N_("The action you own for {organization} is due on {due} ({zone} time)."),
    ),
    "overdue": (
        N_("Overdue since {due}: {title}"),
        N_("The action you own for {organization} was due on {due} ({zone} time) and is still open."),
    ),
}


def _message(action: Action, kind: str, settings: MailSettings, base_url: str) -> EmailMessage:
    language = getattr(action.owner, "language", None) or "en"
    due = f"{action.due_on:%Y-%m-%d}"
    zone = zone_of(action.organization).key.replace("_", " ")
    organization = action.organization.name
    subject_text, opening_text = REMINDER_TEXTS["due" if kind == "due" else "overdue"]
    subject = translate(language, subject_text, due=due, title=action.title)
    opening = translate(language, opening_text, organization=organization, due=due, zone=zone)
    link = f"{base_url.rstrip('/')}/orgs/{action.organization_id}/actions/{action.id}"
    body = translate(
        language,
        "Hello,\n\n{opening}\n\n{title}\nStatus: {status}\n\n"
        "Record what has happened, or change its status or due date, here:\n{link}\n\n"
        "The next survey wave will show whether it moved the gap.\n",
        opening=opening,
        title=action.title,
        status=translate(language, STATUS_LABELS[action.status]),
        link=link,
    )
    to = recipient(_address(action))
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = settings.sender
    message["To"] = to.address
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


def due_reminders(now: datetime | None = None) -> list[tuple[Action, str]]:
    """Open actions owed a reminder at ``now`` (else the current time): ``(action, "due" | "overdue")``.

    Each action's day is the date at that moment in its organisation's time zone.
    """
    now = now or utcnow()
    days: dict[int, date] = {}
    owed = []
    candidates = db.session.scalars(
        select(Action).where(Action.status.in_(OPEN_STATUSES), Action.due_on.is_not(None)).order_by(Action.id)
    )
    for action in candidates:
        if not _address(action):
            continue
        if action.organization_id not in days:
            days[action.organization_id] = today_for(action.organization, now)
        today = days[action.organization_id]
        if action.due_on < today and action.reminded_overdue_at is None:
            owed.append((action, "overdue"))
        elif (
            today <= action.due_on <= today + timedelta(days=REMIND_DAYS_BEFORE)
            and action.reminded_due_at is None
        ):
            owed.append((action, "due"))
    return owed


def send_reminders(settings: MailSettings, base_url: str, now: datetime | None = None) -> int:
    """Send the reminders owed at ``now`` (at most once each; :func:`due_reminders`); how many went out.

    Each is marked sent and committed before the message goes, so a crash loses a reminder
    rather than sending it twice. The caller's transaction is committed here.
    """
    owed = due_reminders(now)
    if not owed:
        return 0
    sent_at: datetime = utcnow()
    for action, kind in owed:
        setattr(action, "reminded_due_at" if kind == "due" else "reminded_overdue_at", sent_at)
        audit.record(None, f"action.reminded_{kind}", organization=action.organization,
                     subject=_subject(action), details={"to": _address(action)})  # fmt: skip
    messages = []
    for action, kind in owed:
        try:
            messages.append(_message(action, kind, settings, base_url))
        except AddressError:
            continue
    db.session.commit()
    smtp = _open_smtp(settings)
    sent = 0
    try:
        for message in messages:
            smtp.send_message(message)
            sent += 1
    finally:
        smtp.quit()
    return sent


def _finite(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def actions_payload(organization: Organization) -> dict:
    """The API's answer: the organisation's actions, their updates and evaluations (JSON-ready)."""
    names: dict[str, str] = {}
    found = actions_of(organization)
    for wave_id in dict.fromkeys(a.wave_id for a in found if a.wave is not None):
        names.update(dimensions_of(db.session.get(Wave, wave_id)))
    evaluations = evaluations_of(organization.id) if found else {}
    rows = []
    for a in found:
        rows.append(
            {
                "id": a.id,
                "title": a.title,
                "status": a.status,
                "dimension": a.dimension,
                "dimension_name": names.get(a.dimension, a.dimension),
                "target": a.target,
                "teams": [{"id": link.team_id, "name": link.team.name} for link in a.teams],
                "owner": a.owner_label,
                "due_on": a.due_on.isoformat() if a.due_on else None,
                "overdue": is_overdue(a),
                "wave_id": a.wave_id,
                "created_on": local_date(a.created_at, organization).isoformat(),
                "updates": [
                    {
                        "on": local_date(u.created_at, organization).isoformat(),
                        "author": u.author,
                        "status": u.status,
                        "text": u.text,
                    }
                    for u in a.updates
                ],
                "evaluations": [_evaluation_row(wave, e) for wave, e in evaluations.get(a.id, [])],
            }
        )
    return {"organization_id": organization.id, "actions": rows}


def _evaluation_row(wave: Wave, e) -> dict:
    shown = e.evaluated
    return {
        "wave_id": wave.id,
        "wave": wave.name,
        "verdict": e.verdict,
        "reason": e.reason,
        "effect": _finite(e.points(e.estimate)) if shown else None,
        "ci_low": _finite(e.points(e.ci_low)) if shown else None,
        "ci_high": _finite(e.points(e.ci_high)) if shown else None,
        "p": _finite(e.p) if shown else None,
        "p_adjusted": _finite(e.p_adjusted) if shown else None,
        "own_change": _finite(e.points(e.own_change)) if shown else None,
        "comparison_change": _finite(e.points(e.comparison_change)) if shown else None,
        "n_targeted": list(e.n_targeted),
        "n_comparison": list(e.n_comparison),
    }
