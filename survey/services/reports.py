"""Alignment reports of a wave: reading its results releases, and caching what is made from them.

Every number comes from a results release (:mod:`survey.services.releases`), computed by
:func:`analysis.organization_report` / :func:`analysis.team_report`, which suppress small
groups before anything leaves them. This module reads a release's report, its team tree
and instruments, finds the organisation's latest report, and caches rendered outputs in the
database (shared by all app instances) per release. Files and JSON are made by
:mod:`survey.services.exports`; sentences, tables and charts for readers by
:mod:`survey.services.presenter` and :mod:`survey.services.figures`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import analysis
from instruments import Instrument
from survey.db import upsert
from survey.extensions import db
from survey.models import InstrumentVersion, Release, ReportCache, Wave, utcnow
from survey.services import ServiceError, form_design
from survey.services.attribute_wording import reworded
from survey.services.exports import report_payload
from survey.services.instruments import instrument_of
from survey.services.releases import (
    ReleaseInputs,
    current_release,
    not_released_text,
    release_inputs,
    release_report,
)

log = logging.getLogger(__name__)

#: Bumped when the pages made from a release change, so that cached pages are made again.
PRESENTATION_VERSION = 10


def organization_report(release: Release, language: str = "en") -> analysis.OrganizationReport:
    """The organisation report a release published."""
    return release_report(release, language)


def team_report(release: Release, team_id: int, organization=None) -> analysis.TeamReport:
    """One team's report from a release: its tree, threshold and the earlier waves' releases."""
    inputs = release_inputs(release)
    data = inputs.data
    return analysis.team_report(
        data.responses, data.teams, data.instruments, team_id, threshold=release.threshold,
        history=inputs.history, invited=data.invited, organization=organization,
        form_items=form_design.release_items(release),
    )  # fmt: skip


def release_teams(release: Release) -> set[int]:
    """Ids of the teams in a release's tree."""
    return {int(team["id"]) for team in release.snapshot["teams"]}


def release_instruments(release: Release) -> tuple[Instrument, ...]:
    """The instrument versions a release was computed with (for item texts and scales)."""
    ids = release.snapshot.get("instrument_versions") or []
    versions = [db.session.get(InstrumentVersion, version_id) for version_id in ids]
    if not ids:
        versions = [link.instrument_version for link in release.wave.instruments]
    # The wave's attribute wording, fixed since it opened (before any release).
    wording = {link.instrument_version_id: link.wording for link in release.wave.instruments}
    return tuple(reworded(instrument_of(version), wording.get(version.id)) for version in versions
                 if version is not None)  # fmt: skip


def shows_organization(release: Release) -> bool:
    """Whether a release shows any result at all (the organisation reached the threshold)."""
    groups = release.groups or {}
    return "organization" in groups.get("figures", {})


def release_state(release: Release) -> str:
    """Cache key of a release's outputs: a release never changes, so neither do they."""
    return f"release-{release.id}-v{PRESENTATION_VERSION}"


# --- caching


def cached(wave: Wave, kind: str, language: str, build: Callable[[], bytes], state: str) -> bytes:
    """The cached ``kind`` output of ``wave``'s report for ``state``, built (and stored) when missing."""
    payload = db.session.scalar(
        select(ReportCache.payload).where(
            ReportCache.wave_id == wave.id, ReportCache.kind == kind, ReportCache.language == language,
            ReportCache.state == state,
        )
    )  # fmt: skip
    if payload is not None:
        return payload
    payload = build()
    _store(wave, kind, language, state, payload)
    return payload


def _store(wave: Wave, kind: str, language: str, state: str, payload: bytes) -> None:
    """Store a built output, at best: a cache write must never fail the page it was made for.

    A reading request's transaction is deferred on SQLite; when another process holds the
    write lock past the busy timeout, the write is rolled back to its savepoint (the request's
    reads stay), a warning is logged, and the output is served uncached, to be stored next time.
    """
    try:
        with db.session.begin_nested():
            _upsert_cache(wave, kind, language, state, payload)
    except OperationalError as error:
        if "locked" not in str(error.orig).lower():
            raise
        log.warning("Report cache not written (wave %s, %s, %s): the database is locked", wave.id, kind,
                    language)  # fmt: skip


def _upsert_cache(wave: Wave, kind: str, language: str, state: str, payload: bytes) -> None:
    upsert(
        ReportCache,
        [
            {
                "wave_id": wave.id,
                "kind": kind,
                "language": language,
                "state": state,
                "payload": payload,
                "created_at": utcnow(),
            }
        ],  # fmt: skip
        key=["wave_id", "kind", "language"],
        update=["state", "payload", "created_at"],
    )


# --- the organisation's waves


def organization_trend(organization) -> dict:
    """Dimension means and the sales–marketing alignment index over the organisation's waves.

    Taken from the latest release of the newest wave whose results show anything (the
    organisation reached the threshold); its trend section holds every earlier wave's own
    release (its tree and threshold). ``latest_wave_id`` is that wave, the one "Open the
    latest report" opens, or ``None`` before any results are released. ``actions`` holds, per
    wave up to that one, each action its report evaluates and the verdict, read as the reports'
    section "Did the actions work?" reads it (published results and shown groups only).
    """
    from survey.services.action_effects import evaluations_by_wave
    from survey.services.action_section import actions_state, trend_rows
    from survey.services.waves import waves_of

    waves = [wave for wave in waves_of(organization) if wave.status != "draft"]
    released = [(wave, current_release(wave)) for wave in waves]
    released = [(wave, release) for wave, release in released if release is not None]
    released = [(wave, release) for wave, release in released if shows_organization(release)]
    if not released:
        return {"organization_id": organization.id, "latest_wave_id": None, "waves": [], "dimensions": [],
                "alignment": [], "latest_change": [], "actions": []}  # fmt: skip
    latest, release = max(released, key=lambda pair: (pair[0].opens_at or pair[0].created_at, pair[0].id))

    def build() -> bytes:
        report = release_report(release)
        payload = report_payload(report.trend)
        definition = getattr(report.trend, "definition", None)
        labels = list(dict.fromkeys([*report.trend.dimensions["wave"], *report.trend.alignment["wave"],
                                     *(definition["wave"] if definition is not None else [])]))  # fmt: skip
        actions = trend_rows("en", evaluations_by_wave(organization.id, latest))
        payload.update(organization_id=organization.id, latest_wave_id=latest.id, release=release.number,
                       waves=labels, actions=actions)  # fmt: skip
        return json.dumps(payload, allow_nan=False).encode()

    state = release_state(release) + actions_state(latest)
    return json.loads(cached(latest, "trend-json", "en", build, state))


def wave_release(wave: Wave) -> Release | None:
    """The release every output of ``wave`` reads now (a due live step is made first)."""
    return current_release(wave)


def report_inputs(wave: Wave) -> ReleaseInputs:
    """The frozen inputs of the release ``wave``'s outputs read now; a ServiceError when there is none."""
    release = wave_release(wave)
    if release is None:
        raise ServiceError(not_released_text(wave))
    return release_inputs(release)
