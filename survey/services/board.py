"""Response progress of a wave: invited, started and submitted, per team and in total."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from analysis.response_curve import Projection, projected_response_rate
from survey.extensions import db
from survey.i18n import _, ngettext
from survey.models import Invitation, Response, Team, Wave, WaveMember, utcnow


@dataclass(frozen=True)
class TeamProgress:
    team_id: int | None  #: ``None`` for the total and for merged small teams
    team: str
    function: str
    #: Counts; ``None`` where a group too small to show stands.
    invited: int | None
    #: Opened the questionnaire (submitted responses included).
    started: int | None
    submitted: int | None

    @property
    def response_rate(self) -> float | None:
        """Submitted / invited, or ``None`` when nobody was invited."""
        return self.submitted / self.invited if self.invited and self.submitted is not None else None

    def as_dict(self) -> dict:
        return {
            "team_id": self.team_id,
            "team": self.team,
            "function": self.function,
            "invited": self.invited,
            "started": self.started,
            "submitted": self.submitted,
            "response_rate": None if self.response_rate is None else round(self.response_rate, 4),
        }


@dataclass(frozen=True)
class WaveProgress:
    wave_id: int
    wave: str
    status: str
    teams: tuple[TeamProgress, ...]
    total: TeamProgress

    def as_dict(self) -> dict:
        return {
            "wave_id": self.wave_id,
            "wave": self.wave,
            "status": self.status,
            "teams": [team.as_dict() for team in self.teams],
            "total": self.total.as_dict(),
        }


def wave_progress(wave: Wave, *, merge_below: int = 0) -> WaveProgress:
    """Count invitations and responses of ``wave`` per team (the team at invitation time).

    Revoked invitations are not counted. Responses are counted by the team stored on the
    response, so submitted responses of anonymous waves count too. With ``merge_below``,
    teams with fewer invitations than that are reported together in one row, so that
    response rates of very small teams (a hint at who answered) are not shown.
    """
    invited = dict(
        db.session.execute(
            select(WaveMember.team_id, func.count())
            .join(
                Invitation,
                (Invitation.wave_id == WaveMember.wave_id)
                & (Invitation.participant_id == WaveMember.participant_id),
            )
            .where(WaveMember.wave_id == wave.id, Invitation.revoked_at.is_(None))
            .group_by(WaveMember.team_id)
        ).all()
    )
    started = dict(
        db.session.execute(
            select(Response.team_id, func.count())
            .where(Response.wave_id == wave.id)
            .group_by(Response.team_id)
        ).all()
    )
    submitted = dict(
        db.session.execute(
            select(Response.team_id, func.count())
            .where(Response.wave_id == wave.id, Response.status == "submitted")
            .group_by(Response.team_id)
        ).all()
    )
    team_ids = set(invited) | set(started)
    teams = (
        list(db.session.scalars(select(Team).where(Team.id.in_(team_ids)).order_by(Team.name)))
        if team_ids
        else []
    )
    rows = [
        TeamProgress(
            team.id,
            team.name,
            team.function,
            invited.get(team.id, 0),
            started.get(team.id, 0),
            submitted.get(team.id, 0),
        )
        for team in teams
    ]
    if merge_below:
        rows = _suppressed(wave, rows, merge_below)
    total = TeamProgress(
        None,
        "All teams",
        "",
        sum(invited.values()),
        sum(started.values()),
        sum(submitted.values()),
    )
    return WaveProgress(wave.id, wave.name, wave.status, tuple(rows), total)


def _suppressed(wave: Wave, rows: list[TeamProgress], threshold: int) -> list[TeamProgress]:
    """Rows as a read-only viewer may see them (see :func:`analysis.suppression`)."""
    import analysis

    parents = dict(
        db.session.execute(
            select(Team.id, Team.parent_id).where(Team.organization_id == wave.organization_id)
        ).all()
    )
    sizes = {team: 0 for team in parents} | {row.team_id: row.submitted for row in rows}
    result = analysis.suppression(
        sizes, threshold, {team: parent for team, parent in parents.items() if parent}
    )
    shown = [row for row in rows if result.is_shown(row.team_id)]
    hidden = [row for row in rows if not result.is_shown(row.team_id)]
    if hidden:
        submitted = sum(row.submitted for row in hidden)
        label = ngettext(
            "{count} team not shown separately (small groups)",
            "{count} teams not shown separately (small groups)",
            len(hidden),
        )
        if submitted >= threshold:
            shown.append(TeamProgress(None, label, "", sum(r.invited for r in hidden),
                                      sum(r.started for r in hidden), submitted))  # fmt: skip
        else:
            shown.append(
                TeamProgress(
                    None,
                    _("{teams}: fewer than {threshold} responses", teams=label, threshold=threshold),
                    "",
                    None,
                    None,
                    None,
                )
            )
    return shown


@dataclass(frozen=True)
class BoardRow:
    """One line of the live board: a team, or a parent team with everything below it."""

    progress: TeamProgress
    #: Steps below a top-level team (0 for a top-level team).
    depth: int
    #: How many teams below it are counted in (0: the team's own invitations only).
    sub_teams: int


@dataclass(frozen=True)
class Board:
    """What the live board shows: per-team rows in tree order, timing and a projection."""

    progress: WaveProgress
    rows: tuple[BoardRow, ...]
    launched_at: datetime | None
    closes_at: datetime | None
    now: datetime
    projection: Projection | None
    #: Why there is no projection, in a sentence (empty when there is one).
    no_projection: str

    @property
    def since_launch(self) -> timedelta | None:
        return self.now - self.launched_at if self.launched_at and self.now > self.launched_at else None

    @property
    def until_close(self) -> timedelta | None:
        return self.closes_at - self.now if self.closes_at and self.closes_at > self.now else None


def live_board(wave: Wave, *, now: datetime | None = None) -> Board:
    """The wave's progress for the live board (those who manage the wave only).

    Every team with invitations gets a row; a parent team's row adds up its own invitations and
    those of every team below it (``sub_teams`` says how many), so a sales organisation's rate
    is read at a glance. Counts are shown as they are, as on the wave page: the board is for
    those who run the wave, who see who has submitted in the links export too
    (docs/CONFIDENTIALITY.md); read-only members see :func:`wave_progress` with small teams
    merged instead. The projection is
    :func:`analysis.response_curve.projected_response_rate` over the whole wave.
    """
    now = now or utcnow()
    progress = wave_progress(wave)
    own = {row.team_id: row for row in progress.teams}
    teams = {
        team.id: team
        for team in db.session.scalars(select(Team).where(Team.organization_id == wave.organization_id))
    }
    children: dict[int | None, list[Team]] = {}
    for team in teams.values():
        parent = team.parent_id if team.parent_id in teams else None
        children.setdefault(parent, []).append(team)
    rows: list[BoardRow] = []

    def visit(team: Team, depth: int, seen: frozenset[int]) -> tuple[TeamProgress | None, int]:
        """Add the rows of ``team`` and those below it; return its rolled-up counts."""
        place = len(rows)
        below = [
            child for child in sorted(children.get(team.id, []), key=lambda t: t.name) if child.id not in seen
        ]
        totals = [own[team.id]] if team.id in own else []
        counted = 0
        for child in below:
            summed, sub = visit(child, depth + 1, seen | {child.id})
            if summed is not None:
                totals.append(summed)
                counted += 1 + sub
        if not totals:
            return None, 0
        summed = TeamProgress(
            team.id, team.name, team.function,
            sum(t.invited for t in totals), sum(t.started for t in totals), sum(t.submitted for t in totals),
        )  # fmt: skip
        rows.insert(place, BoardRow(summed, depth, counted))
        return summed, counted

    for team in sorted(children.get(None, []), key=lambda t: t.name):
        visit(team, 0, frozenset({team.id}))
    launched = wave.opens_at if wave.status != "draft" else None
    projection, why = _projection(wave, progress, launched, now)
    return Board(progress, tuple(rows), launched, wave.closes_at, now, projection, why)


def _projection(wave: Wave, progress: WaveProgress, launched, now) -> tuple[Projection | None, str]:
    if wave.status != "open" or launched is None:
        return None, _("The projection is made while the wave is open.")
    if wave.closes_at is None:
        return None, _("No closing time is set, so there is nothing to project to.")
    if not progress.total.invited:
        return None, _("Nobody is invited yet.")
    elapsed = (now - launched).total_seconds() / 3600
    if elapsed < 1:
        return None, _("The projection starts an hour after the launch.")
    remaining = max((wave.closes_at - now).total_seconds() / 3600, 0.0)
    submitted = db.session.scalars(
        select(Response.submitted_at).where(
            Response.wave_id == wave.id, Response.status == "submitted", Response.submitted_at.is_not(None)
        )
    ).all()
    # Anonymous waves keep the day only: a time before the launch is the launch day's.
    hours = [min(max((moment - launched).total_seconds() / 3600, 0.0), elapsed) for moment in submitted]
    hours = hours[: progress.total.invited]
    return projected_response_rate(progress.total.invited, hours, elapsed, remaining), ""
