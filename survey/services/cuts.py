"""Cuts by roster attributes: the wave's choice, and the results by attribute a release publishes.

A consultant chooses, per wave, up to :data:`MAX_ATTRIBUTES` roster attributes (region,
seniority, tenure band…) to cut the results by, over the whole organisation and optionally
within sales and within marketing. The values come from each respondent's roster entry as it
was when invited (:attr:`survey.models.WaveMember.attributes`).

The choice is frozen once a release of the wave is published: every release of a wave is
cut the same way, and its differencing check covers the cuts of every earlier release. The
release computes the cells with :func:`analysis.cuts.report_cuts`, which hides a cell below
the threshold and every cell that, added to or subtracted from the teams, parents, other
cuts and earlier releases, would isolate fewer than the threshold (``docs/CONFIDENTIALITY.md``).

Anonymous waves keep no link from an answer to a roster entry, and keeping attribute values
with unlinked answers would make them easier to single out, so they cannot be cut.
"""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd
from sqlalchemy import func, select

import analysis.cuts
from survey.extensions import db
from survey.i18n import _
from survey.models import Invitation, Participant, Release, Response, User, Wave, WaveMember
from survey.services import ServiceError, audit

#: Most attributes one wave may be cut by.
MAX_ATTRIBUTES = 3
#: Most distinct values an attribute may have (more: import bands instead).
MAX_VALUES = analysis.cuts.MAX_VALUES
#: Longest attribute name accepted.
MAX_NAME = 64


def chosen(wave: Wave) -> tuple[list[str], bool]:
    """The wave's cut attributes (in order) and whether each is also cut within functions."""
    cuts = wave.cuts or {}
    return [str(name) for name in cuts.get("attributes", [])], bool(cuts.get("by_function"))


def frozen(wave: Wave) -> bool:
    """Whether the choice can no longer change (a release of the wave is published)."""
    return (
        db.session.scalar(
            select(func.count(Release.id)).where(Release.wave_id == wave.id, Release.status == "published")
        )
        > 0
    )


def available(wave: Wave) -> dict[str, int]:
    """Attribute name -> number of distinct values, over the wave's invited people.

    Before anyone is invited (a draft), the organisation's roster is read instead.
    """
    rows = db.session.scalars(select(WaveMember.attributes).where(WaveMember.wave_id == wave.id)).all()
    if not rows:
        rows = db.session.scalars(
            select(Participant.attributes).where(Participant.organization_id == wave.organization_id)
        ).all()
    values: dict[str, set] = {}
    for attributes in rows:
        for name, value in (attributes or {}).items():
            text = str(value).strip() if value is not None else ""
            if text and name != "language":
                values.setdefault(str(name), set()).add(text)
    return {name: len(found) for name, found in sorted(values.items())}


def choose(wave: Wave, attributes: list[str], by_function: bool, *, actor: User | None = None) -> Wave:
    """Set the roster attributes the wave's results are cut by; writes an audit record.

    Raises
    ------
    ServiceError
        For an anonymous wave, a wave with a published release, an attribute the roster does
        not have, more than :data:`MAX_ATTRIBUTES`, or an attribute with more than
        :data:`MAX_VALUES` values.
    """
    names = list(dict.fromkeys(str(a).strip() for a in attributes if str(a).strip()))
    if wave.mode == "anonymous":
        raise ServiceError(
            _(
                "An anonymous wave keeps no link between answers and the roster, so its results cannot be "
                "cut by roster attributes."
            )
        )
    if frozen(wave):
        raise ServiceError(
            _("Results of this wave have been released; the attributes they are cut by can no longer change.")
        )
    if len(names) > MAX_ATTRIBUTES:
        raise ServiceError(
            _("Choose at most {limit} attributes to cut the results by.", limit=MAX_ATTRIBUTES)
        )
    counts = available(wave)
    for name in names:
        if name not in counts:
            raise ServiceError(_("The roster has no attribute called “{name}”.", name=name[:MAX_NAME]))
        if counts[name] > MAX_VALUES:
            raise ServiceError(
                _(
                    "“{name}” has {count} different values; results can be cut only by an attribute with "
                    "at most {limit} (import it in bands, such as 0–1 years, 1–3 years, 3+ years).",
                    name=name,
                    count=counts[name],
                    limit=MAX_VALUES,
                )
            )
    before = wave.cuts
    wave.cuts = {"attributes": names, "by_function": bool(by_function and names)} if names else None
    audit.record(
        actor, "wave.cuts_changed", organization=wave.organization, wave=wave,
        subject=f'wave {wave.id} "{wave.name}"', details={"from": before, "to": wave.cuts},
    )  # fmt: skip
    return wave


# --- releases


def attribute_frame(wave: Wave, response_ids, names: list[str]) -> pd.DataFrame:
    """Each submitted response's values of ``names``, from its invitation's roster snapshot."""
    wanted = {int(r) for r in response_ids}
    rows = db.session.execute(
        select(Response.id, WaveMember.attributes)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(
            WaveMember,
            (WaveMember.participant_id == Invitation.participant_id)
            & (WaveMember.wave_id == Response.wave_id),
        )
        .where(Response.wave_id == wave.id, Response.status == "submitted")
    ).all()
    records = {
        int(r): {n: (attributes or {}).get(n) for n in names} for r, attributes in rows if int(r) in wanted
    }
    frame = pd.DataFrame.from_dict(records, orient="index", columns=names)
    return frame.reindex(sorted(wanted)).astype(object)


def release_cuts(wave: Wave, release: Release, data, published: dict) -> tuple[dict, dict | None]:
    """The cut groups (label -> respondents) and the stored results of a candidate release.

    ``data`` is the release's frozen :class:`~survey.services.wave_data.WaveData`;
    ``published`` every other group a reader will hold (this release's teams and pooled
    functions, every earlier release's groups). Returns ``({}, None)`` when the wave is not
    cut.
    """
    names = list(release.snapshot.get("cuts", {}).get("attributes", []))
    by_function = bool(release.snapshot.get("cuts", {}).get("by_function"))
    if not names or wave.mode == "anonymous":
        return {}, None
    frame = attribute_frame(wave, data.responses.index, names)
    result = analysis.cuts.report_cuts(
        data.responses, data.teams, data.instruments, frame, threshold=release.threshold,
        by_function=by_function, published=published,
    )  # fmt: skip
    groups = {label: frozenset(int(m) for m in members) for label, members in result.groups.items()}
    return groups, _payload(result)


def _plain(value) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else round(float(value), 6)


def _payload(result: analysis.cuts.Cuts) -> dict:
    """The results by attribute as JSON: decisions for every cell, figures for the shown ones."""
    figures: dict = {}
    for row in result.means.itertuples(index=False):
        key = (row.attribute, row.value, row.function)
        cell = figures.setdefault(key, {"n": int(row.n), "dimensions": {}})
        cell["dimensions"][str(row.dimension)] = {
            "n": int(row.n_scored), "mean": _plain(row.mean), "sd": _plain(row.sd)
        }  # fmt: skip
    cells = []
    for row in result.cells.itertuples(index=False):
        key = (row.attribute, row.value, row.function)
        shown = bool(row.shown)
        cell = {"attribute": row.attribute, "value": row.value, "function": row.function, "shown": shown,
                "reason": None if shown else str(row.reason)}  # fmt: skip
        if shown:
            cell.update(figures.get(key, {"n": 0, "dimensions": {}}))
        cells.append(cell)
    return {
        "attributes": list(result.attributes),
        "by_function": result.by_function,
        "threshold": result.threshold,
        "refused": {name: int(n) for name, n in result.refused.items()},
        "cells": cells,
    }


def shown_count(payload: dict | None) -> Counter:
    """Shown cells per attribute (for the wave page)."""
    return Counter(c["attribute"] for c in (payload or {}).get("cells", []) if c["shown"])
