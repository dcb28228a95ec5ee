"""Submitted responses recorded in bulk: simulated data for the demo, or answers collected elsewhere."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from survey.extensions import db
from survey.i18n import _
from survey.models import Answer, Response, Team, Wave, utcnow
from survey.models.types import day_of
from survey.services import ServiceError
from survey.services.instruments import instrument_of
from survey.services.responding import random_response_id


def import_responses(wave: Wave, frame: pd.DataFrame, *, team_column: str = "team",
                     submitted_at: datetime | None = None, locale: str = "en") -> int:  # fmt: skip
    """Record each row of ``frame`` as a submitted response of ``wave``; return how many.

    ``frame[team_column]`` holds team ids of the wave's organisation; item columns hold scale
    values (NaN = no answer). Values are checked against each item's scale and nothing is
    written unless every row is valid. In an anonymous wave the responses get random ids and
    the time is cut to its day, as for responses given online.
    """
    scales = {
        item.id: instrument.scales[item.scale]
        for instrument in (instrument_of(wi.instrument_version) for wi in wave.instruments)
        for item in instrument.items
    }
    if team_column not in frame.columns:
        raise ServiceError(_("The table has no '{team_column}' column.", team_column=team_column))
    teams = set(db.session.scalars(db.select(Team.id).where(Team.organization_id == wave.organization_id)))
    unknown_teams = sorted(set(frame[team_column]) - teams, key=str)
    if unknown_teams:
        raise ServiceError(_("Unknown team ids: {teams}.", teams=unknown_teams[:5]))
    items = [column for column in frame.columns if column in scales]
    for item_id in items:
        column = frame[item_id].to_numpy(dtype=float)
        present = column[~np.isnan(column)]
        bad = np.setdiff1d(present, np.array(scales[item_id].values, dtype=float))
        if bad.size:
            raise ServiceError(
                _("Item '{item}' has values off its scale: {values}.", item=item_id, values=bad[:5].tolist())
            )
    anonymous = wave.mode == "anonymous"
    when = submitted_at or utcnow()
    if anonymous:
        when = day_of(when)
    rows = [
        {
            "wave_id": wave.id,
            "team_id": int(team),
            "status": "submitted",
            "locale": locale,
            "started_at": when,
            "updated_at": when,
            "submitted_at": when,
        }  # fmt: skip
        for team in frame[team_column]
    ]
    if not rows:
        return 0
    if anonymous:
        for row, response_id in zip(rows, _free_random_ids(len(rows)), strict=True):
            row["id"] = response_id
    ids = db.session.scalars(
        insert(Response).returning(Response.id, sort_by_parameter_order=True), rows
    ).all()
    values = frame[items].to_numpy(dtype=float)
    answers = [
        {"response_id": response_id, "item_id": item_id, "value": int(value), "answered_at": when}
        for response_id, row in zip(ids, values, strict=True)
        for item_id, value in zip(items, row, strict=True)
        if not np.isnan(value)
    ]
    if answers:
        db.session.execute(insert(Answer), answers)
    return len(ids)


def _free_random_ids(count: int) -> list[int]:
    """``count`` distinct random response ids that no response has yet, in the order drawn."""
    chosen: dict[int, None] = {}
    while len(chosen) < count:
        drawn = [i for i in dict.fromkeys(random_response_id() for _draw in range(count - len(chosen)))
                 if i not in chosen]  # fmt: skip
        taken = set()
        for start in range(0, len(drawn), 5000):  # IN lists of a bounded size
            batch = drawn[start : start + 5000]
            taken.update(db.session.scalars(select(Response.id).where(Response.id.in_(batch))))
        chosen.update(dict.fromkeys(i for i in drawn if i not in taken))
    return list(chosen)
