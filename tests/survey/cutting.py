"""Helpers for the tests of cuts by roster attributes: respondents with roster attributes, an attacker."""

from __future__ import annotations

import itertools

import numpy as np
from sqlalchemy import select

import analysis
import instruments
from survey.extensions import db
from survey.models import Invitation, Participant, Release, Response, WaveMember
from survey.services.invitations import invite
from survey.services.response_import import import_responses


def answer(wave, team, attributes: list[dict], seed: int) -> list[int]:
    """People of ``team`` with these roster attributes are invited and submit complete answers."""
    people = [
        Participant(organization=wave.organization, team=team, email=f"p{seed}-{n}@acme.test", attributes=a)
        for n, a in enumerate(attributes)
    ]
    db.session.add_all(people)
    db.session.flush()
    issued = invite(wave, people)
    frame = analysis.simulate(instruments.load("alignment"), {"t": team.function}, len(people), seed=seed,
                              missing_rate=0.0, careless_rate=0.0)  # fmt: skip
    frame["team"] = team.id
    before = set(db.session.scalars(select(Response.id).where(Response.wave_id == wave.id)))
    import_responses(wave, frame)
    new = sorted(set(db.session.scalars(select(Response.id).where(Response.wave_id == wave.id))) - before)
    for response_id, item in zip(new, issued, strict=True):
        response = db.session.get(Response, response_id)
        response.invitation_id = item.invitation.id
        db.session.get(Invitation, item.invitation.id).used_at = response.submitted_at
    db.session.flush()
    return new


def brute_force(groups: dict, threshold: int) -> list:
    """Every sum or difference of one to three published groups that isolates 1 to threshold-1 people.

    Written independently of :func:`analysis.disclosures`: plain enumeration of the
    combinations with weights +1/-1 over the groups' membership vectors.
    """
    labels = list(groups)
    if not labels:
        return []
    people = sorted({m for members in groups.values() for m in members}, key=str)
    column = {m: i for i, m in enumerate(people)}
    matrix = np.zeros((len(labels), len(people)), dtype=np.int16)
    for row, label in enumerate(labels):
        matrix[row, [column[m] for m in groups[label]]] = 1
    found = []

    def isolating(total: np.ndarray) -> np.ndarray:
        count = (total != 0).sum(axis=1)
        alike = (np.abs(total) <= 1).all(axis=1) & ((total >= 0).all(axis=1) | (total <= 0).all(axis=1))
        return alike & (count > 0) & (count < threshold)

    for row in np.flatnonzero(isolating(matrix)):
        found.append((labels[row],))
    for i in range(len(labels)):
        for sign in (1, -1):
            for j in np.flatnonzero(isolating(matrix[i] + sign * matrix[i + 1 :])):
                found.append((labels[i], sign, labels[i + 1 + j]))
        for j in range(i + 1, len(labels)):
            for first, second in itertools.product((1, -1), repeat=2):
                pair = matrix[i] + first * matrix[j]
                for k in np.flatnonzero(isolating(pair + second * matrix[j + 1 :])):
                    found.append((labels[i], first, labels[j], second, labels[j + 1 + k]))
    return found


def cut_groups_of(release: Release) -> dict:
    """The respondents of every cut cell a release shows, from the respondents' roster snapshot.

    Built from the database (the invitation's :class:`WaveMember` attributes and the release's
    team tree), not from the analysis, and checked against the count the release shows.
    """
    snapshot = release.snapshot
    function = {t["id"]: t["function"] for t in snapshot["teams"]}
    rows = db.session.execute(
        select(Response.id, Response.team_id, WaveMember.attributes)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(
            WaveMember,
            (WaveMember.participant_id == Invitation.participant_id)
            & (WaveMember.wave_id == Response.wave_id),
        )  # fmt: skip
        .where(Response.id.in_(set(snapshot["responses"])))
    ).all()
    groups = {}
    for cell in (release.cuts or {}).get("cells", []):
        if not cell["shown"]:
            continue
        members = frozenset(
            r for r, team, attributes in rows
            if (attributes or {}).get(cell["attribute"]) == cell["value"]
            and cell["function"] in ("all", function[team])
        )  # fmt: skip
        assert len(members) == cell["n"], (cell, len(members))
        groups[(release.id, cell["attribute"], cell["value"], cell["function"])] = members
    return groups
