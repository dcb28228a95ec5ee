"""A wave's submitted answers as the analysis library wants them: plain pandas objects.

The analysis layer never sees the database; this module is the one place that turns
rows into frames, in a few bulk queries, whatever the size of the wave.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from instruments import Instrument
from survey.db import fetch_plain_rows
from survey.extensions import db
from survey.models import Answer, Comment, Invitation, Response, Team, Wave, WaveMember
from survey.services.attribute_wording import wave_instruments


@dataclass(frozen=True)
class WaveData:
    wave_id: int
    name: str
    threshold: int
    #: One row per submitted response (index: response id); ``team`` holds the team id at
    #: invitation time, then one float column per item id (NaN: unanswered or "prefer not to say").
    responses: pd.DataFrame
    #: Index: team id; columns ``name``, ``function``, ``parent`` (team id or NaN).
    teams: pd.DataFrame
    #: Invited, started and submitted counts per team id.
    invited: pd.Series
    started: pd.Series
    #: Columns ``team``, ``subject``, ``text``, ``response``; for the comment threshold's eyes only.
    comments: pd.DataFrame
    instruments: tuple[Instrument, ...]


def load_wave_data(wave: Wave, response_ids: Iterable[int] | None = None) -> WaveData:
    """Everything a report of ``wave`` needs, read in four queries.

    With ``response_ids`` (a release's), only those submitted responses are read; the team
    tree and counts are today's, and a release replaces them with its own snapshot.
    """
    instruments = wave_instruments(wave)
    item_ids = [item_id for instrument in instruments for item_id in instrument.item_ids]
    # A release's responses are a subset of the wave's submitted ones; they are read with
    # the same statements and filtered here (no parameter list of thousands of ids).
    wanted = None if response_ids is None else {int(i) for i in response_ids}

    def chosen(rows: list, position: int = 0) -> list:
        return rows if wanted is None else [row for row in rows if row[position] in wanted]

    submitted = chosen(
        db.session.execute(
            select(Response.id, Response.team_id)
            .where(Response.wave_id == wave.id, Response.status == "submitted")
            .order_by(Response.id)
        ).all()
    )
    response_ids = np.array([row[0] for row in submitted], dtype=np.int64)
    values = np.full((len(response_ids), len(item_ids)), np.nan)
    if len(response_ids):
        rows = chosen(
            fetch_plain_rows(
                select(Answer.response_id, Answer.item_id, Answer.value)
                .join(Response, Response.id == Answer.response_id)
                .where(Response.wave_id == wave.id, Response.status == "submitted", Answer.value.is_not(None))
            )
        )
        if rows:
            # One pass per column (zip(*rows) is several times slower on this many rows).
            answered = np.array([row[0] for row in rows], dtype=np.int64)
            column_of = {item_id: n for n, item_id in enumerate(item_ids)}
            columns = np.array([column_of.get(row[1], -1) for row in rows], dtype=np.int64)
            known = columns >= 0  # answers to items no longer in the plan are ignored
            positions = np.searchsorted(response_ids, answered[known])
            values[positions, columns[known]] = np.array([row[2] for row in rows], dtype=float)[known]
    responses = pd.DataFrame(values, index=pd.Index(response_ids, name="response"), columns=item_ids)
    responses.insert(0, "team", np.array([row[1] for row in submitted], dtype=np.int64))

    teams = pd.DataFrame(
        db.session.execute(
            select(Team.id, Team.name, Team.function, Team.parent_id).where(
                Team.organization_id == wave.organization_id
            )
        ).all(),
        columns=["team", "name", "function", "parent"],
    ).set_index("team")

    counts = invited_by_team(wave)
    invited = pd.Series([counts.get(team, 0) for team in teams.index], index=teams.index, dtype=int)
    started = _count_by_team(
        select(Response.team_id, func.count()).where(Response.wave_id == wave.id).group_by(Response.team_id),
        teams.index,
    )
    comment_rows = chosen(
        db.session.execute(
            select(Response.id, Response.team_id, Comment.subject_id, Comment.text)
            .join(Response, Response.id == Comment.response_id)
            .where(Response.wave_id == wave.id, Response.status == "submitted")
        ).all()
    )
    comments = pd.DataFrame(
        [(row[1], row[2], row[3], row[0]) for row in comment_rows],
        columns=["team", "subject", "text", "response"],
    )
    return WaveData(wave.id, wave.name, wave.anonymity_threshold, responses, teams, invited, started,
                    comments, instruments)  # fmt: skip


def invited_by_team(wave: Wave) -> dict[int, int]:
    """Invitations not revoked, per team at invitation time (the wave's snapshot of the roster)."""
    return dict(
        db.session.execute(
            select(WaveMember.team_id, func.count())
            .join(
                Invitation,
                (Invitation.participant_id == WaveMember.participant_id)
                & (Invitation.wave_id == WaveMember.wave_id),
            )  # fmt: skip
            .where(WaveMember.wave_id == wave.id, Invitation.revoked_at.is_(None))
            .group_by(WaveMember.team_id)
        ).all()
    )


def _count_by_team(query, index: pd.Index) -> pd.Series:
    counts = dict(db.session.execute(query).all())
    return pd.Series([counts.get(team, 0) for team in index], index=index, dtype=int)
