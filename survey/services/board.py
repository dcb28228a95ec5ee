"""Response progress of a wave: invited, started and submitted, per team and in total."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Invitation, Response, Team, Wave, WaveMember


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
        label = f"{len(hidden)} team(s) not shown separately (small groups)"
        if submitted >= threshold:
            shown.append(TeamProgress(None, label, "", sum(r.invited for r in hidden),
                                      sum(r.started for r in hidden), submitted))  # fmt: skip
        else:
            shown.append(
                TeamProgress(None, f"{label}: fewer than {threshold} responses", "", None, None, None)
            )
    return shown
