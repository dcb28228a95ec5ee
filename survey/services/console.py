"""The consultant's console: every client organisation side by side.

Each row reads published releases only (never live answers): the alignment index is the
headline of the newest wave whose latest published release has one. The response rate is
that of the newest wave that has been opened, counted as the wave page counts it; open
actions are the action plans planned or in progress.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Organization, User
from survey.models.action import OPEN_STATUSES, Action
from survey.services import access
from survey.services.board import wave_progress
from survey.services.releases import latest_release, release_report
from survey.services.users import organizations_for
from survey.services.waves import waves_of


def open_actions(organization: Organization) -> int:
    """How many of the organisation's actions are planned or in progress."""
    return db.session.scalar(
        select(func.count(Action.id)).where(
            Action.organization_id == organization.id, Action.status.in_(OPEN_STATUSES)
        )
    )


@dataclass(frozen=True)
class ClientRow:
    organization_id: int
    name: str
    #: Whether the user may manage this client (set up waves, invite people).
    manages: bool
    #: Alignment index 0-100 of the newest published release with one, and its wave.
    alignment: float | None
    alignment_wave: str | None
    #: Submitted / invited of the newest opened wave, and that wave.
    response_rate: float | None
    rate_wave: str | None
    rate_wave_status: str | None
    #: Actions planned or in progress.
    open_actions: int


def _ordered(waves):
    return sorted(waves, key=lambda wave: (wave.opens_at or wave.created_at, wave.id), reverse=True)


def _alignment(waves) -> tuple[float | None, str | None]:
    for wave in _ordered(waves):
        release = latest_release(wave)
        if release is None:
            continue
        headline = release_report(release).alignment.headline
        if headline is not None and not math.isnan(headline.alignment):
            return float(headline.alignment), wave.name
    return None, None


def client_row(user: User, organization: Organization) -> ClientRow:
    manages = access.can(user, organization, access.MANAGE)
    waves = waves_of(organization)
    alignment, alignment_wave = _alignment([wave for wave in waves if wave.status != "draft"])
    opened = _ordered([wave for wave in waves if wave.status != "draft"])
    rate = rate_wave = status = None
    if opened:
        wave = opened[0]
        progress = wave_progress(wave, merge_below=0 if manages else wave.anonymity_threshold)
        rate, rate_wave, status = progress.total.response_rate, wave.name, wave.status
    return ClientRow(
        organization.id, organization.name, manages, alignment, alignment_wave, rate, rate_wave, status,
        open_actions(organization),
    )  # fmt: skip


def client_rows(user: User) -> list[ClientRow]:
    """A row for each organisation ``user`` may see, by name."""
    return [client_row(user, organization) for organization in organizations_for(user)]
