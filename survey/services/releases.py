"""Results releases: publishing a wave's results as immutable snapshots, and reading them.

Every output of a wave — report page, PDF, CSV and Excel results, raw responses, the API,
team pages, trends — reads the wave's latest *published* release, never live data. A
release freezes what its numbers were computed from (the responses included, the team
tree, invitation counts, thresholds and instrument versions) and the computed report.

Before a release is published it is checked against every earlier release of the wave
(:func:`analysis.disclosures`): no set of respondents below the threshold may follow from
subtracting any published figures of one release from another's. A release that fails is
kept as *withheld* with the reason in words, and nothing is published. Releases of other
waves never share respondents with this one, so figures of different waves cannot be
combined to isolate anyone; a wave's trend points are exactly what that wave's own release
showed, with its own tree and threshold.

When: a wave's ``release_policy`` is ``at_close`` (one release when it closes) or ``live``
(also while it is open, each time enough new responses make the check pass; attempted when
someone reads the results, or by hand).
"""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import analysis
import analysis.cuts
from survey.extensions import db
from survey.i18n import _, current_language, in_every_language, short_date
from survey.models import Job, Release, Response, Team, User, Wave, utcnow
from survey.models.types import day_of
from survey.services import ServiceError, audit, cuts, form_design
from survey.services.wave_data import WaveData, invited_by_team, load_wave_data

#: Smallest pool a comment may be labelled with (see :func:`analysis.comment_visibility`).
COMMENT_THRESHOLD = 10


@dataclass(frozen=True)
class ReleaseInputs:
    """What a release's report was computed from, as the analysis library wants it."""

    release: Release
    data: WaveData
    #: Earlier waves' latest releases, oldest first.
    history: tuple[analysis.EarlierWave, ...]


# --- reading


def latest_release(wave: Wave) -> Release | None:
    """The wave's newest published release, or ``None``."""
    return db.session.scalar(
        select(Release)
        .where(Release.wave_id == wave.id, Release.status == "published")
        .order_by(Release.number.desc())
        .limit(1)
    )


def releases_of(wave: Wave) -> list[Release]:
    """Every release and withheld attempt of the wave, newest first."""
    return list(
        db.session.scalars(select(Release).where(Release.wave_id == wave.id).order_by(Release.id.desc()))
    )


def last_attempt(wave: Wave) -> Release | None:
    return db.session.scalar(
        select(Release).where(Release.wave_id == wave.id).order_by(Release.id.desc()).limit(1)
    )


def current_release(wave: Wave) -> Release | None:
    """The release outputs should read now; a live wave first tries a new step if one is due."""
    try:
        if wave.release_policy == "live" and wave.status == "open" and _step_due(wave):
            publish(wave, made_by="live step")
        elif (
            wave.status == "closed" and last_attempt(wave) is None and _submitted(wave)
            and not _release_queued(wave)
        ):  # fmt: skip
            # A wave closed before releases existed (a closed wave's release job makes its own).
            publish(wave, made_by="wave closed")
    except ServiceError:
        pass  # published by someone else at the same moment: read theirs
    return latest_release(wave)


def _release_queued(wave: Wave) -> bool:
    """Whether a release job of ``wave`` is queued or running (its release is on the way)."""
    return (
        db.session.scalar(
            select(func.count(Job.id)).where(
                Job.wave_id == wave.id, Job.kind == "release", Job.status.in_(("queued", "running"))
            )
        )
        > 0
    )


def _submitted(wave: Wave) -> int:
    return db.session.scalar(
        select(func.count(Response.id)).where(Response.wave_id == wave.id, Response.status == "submitted")
    )


def _step_due(wave: Wave) -> bool:
    """Whether a live wave has enough new responses for a new release to be worth trying."""
    count = _submitted(wave)
    attempt = last_attempt(wave)
    if attempt is not None and attempt.n_responses >= count:
        return False  # nothing new since the last try
    latest = latest_release(wave)
    # Every shown group must grow by the threshold or not at all; the organisation at least must.
    return count - (latest.n_responses if latest else 0) >= wave.anonymity_threshold


def release_report(release: Release, language: str = "en") -> analysis.OrganizationReport:
    """The report a release published (computed once, when it was made).

    In another language than English the same frozen inputs are computed again (the
    numbers are identical: the computation is deterministic); only names differ. The
    comparability table (measurement invariance, the slowest section) holds no names, so it
    is taken from the stored report instead of being fitted again.
    """
    if release.payload is None:
        raise ServiceError(_("This release was withheld; it has no results."))
    try:
        stored = pickle.loads(release.payload)  # noqa: S301 - written by this application only
    except Exception:  # noqa: BLE001 - e.g. a newer pandas that cannot read an old pickle
        stored = None
    if stored is None:
        return _compute(release_inputs(release), language)
    if language == "en" or not raw_answers_kept(release):
        # Without all of its raw answers (a retention period passed, or someone was erased) a
        # release cannot be computed again: it is read as stored, in English.
        return stored
    report = _compute(release_inputs(release), language, invariance=False)
    return _with_readings(report, stored)


def _with_readings(report: analysis.OrganizationReport, stored) -> analysis.OrganizationReport:
    """``report`` with the comparability table of ``stored`` (and its statuses on the recommendations)."""
    readings = getattr(stored, "comparability", None)
    if not isinstance(readings, pd.DataFrame) or readings.empty:
        return report
    status = readings["status"].to_dict()
    recommendations = tuple(
        dataclasses.replace(r, comparability=status.get(r.dimension, "")) if r.basis == "gap" else r
        for r in report.recommendations
    )
    return dataclasses.replace(report, comparability=readings, recommendations=recommendations)


def raw_answers_kept(release: Release) -> bool:
    """Whether every response ``release`` was computed from is still stored."""
    ids = release.snapshot.get("responses", [])
    if not ids:
        return True
    kept = db.session.scalar(select(func.count(Response.id)).where(Response.id.in_(ids)))
    return kept == len(ids)


def release_inputs(release: Release) -> ReleaseInputs:
    """The frozen inputs of a release: its responses, tree, counts and the earlier waves' releases."""
    wave = release.wave
    earlier = [db.session.get(Release, number) for number in release.snapshot.get("history", [])]
    return ReleaseInputs(release, _frozen_data(wave, release), _history_of([r for r in earlier if r]))


def _frozen_data(wave: Wave, release: Release) -> WaveData:
    snapshot = release.snapshot
    data = load_wave_data(wave, snapshot["responses"])
    teams = _teams_frame(snapshot["teams"])
    invited = pd.Series({int(k): int(v) for k, v in snapshot["invited"].items()}, dtype=int)
    invited = invited.reindex(teams.index, fill_value=0)
    responses = data.responses[data.responses["team"].isin(teams.index)]
    started = data.started.reindex(teams.index, fill_value=0)
    return WaveData(wave.id, snapshot["wave_name"], release.threshold, responses, teams, invited, started,
                    data.comments, data.instruments)  # fmt: skip


def _teams_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "key", "name", "function", "parent"])
    frame = frame.rename(columns={"id": "team"}).set_index("team")
    frame["parent"] = frame["parent"].astype(float)  # NaN for top-level teams, as load_wave_data gives
    return frame[["name", "function", "parent"]]


def earlier_waves(wave: Wave) -> list[Wave]:
    """The organisation's waves before ``wave`` (by opening date, then creation), drafts left out."""
    waves = db.session.scalars(
        select(Wave).where(Wave.organization_id == wave.organization_id, Wave.status != "draft")
    ).all()

    def order(w: Wave):
        return (w.opens_at or w.created_at, w.id)

    return sorted((w for w in waves if order(w) < order(wave)), key=order)


def trend_releases(wave: Wave) -> list[Release]:
    """Each earlier wave's latest published release, oldest wave first."""
    chosen = []
    for earlier in earlier_waves(wave):
        release = latest_release(earlier)
        if release is not None:
            chosen.append(release)
    return chosen


def _history_of(releases: list[Release]) -> tuple[analysis.EarlierWave, ...]:
    """Earlier waves' releases for the trend, each with its own responses, tree and threshold."""
    history = []
    for release in releases:
        data = _frozen_data(release.wave, release)
        if not len(data.responses):
            continue  # its raw answers were deleted (retention): it can no longer be a trend point
        history.append(
            analysis.EarlierWave(data.name, data.responses, data.teams, release.threshold,
                                 form_design.release_items(release))
        )  # fmt: skip
    return tuple(history)


def not_released_text(wave) -> str:
    """Why a wave has no results to show yet, and when it will."""
    if wave.status == "draft":
        return _("This wave has not been opened yet, so it has no results.")
    if wave.release_policy == "live" and wave.status == "open":
        return _(
            "No results of this wave have been released yet. While it is open, results are released "
            "in steps, each once enough new people have answered that no one's answers can be worked out "
            "by comparing releases."
        )
    if wave.status == "open":
        if wave.closes_at:
            return _(
                "Results of this wave are released when it closes ({date}).",
                date=short_date(wave.closes_at, current_language()),
            )
        return _("Results of this wave are released when it closes.")
    if _release_queued(wave):
        return _("The results of this wave are being prepared; they appear here once the release is made.")
    return _("No results of this wave were released: nobody submitted answers, or too few to show any group.")


# --- publishing


def publish(wave: Wave, *, actor: User | None = None, made_by: str = "") -> Release:
    """Try to release ``wave``'s results now: publish them, or withhold them and say why.

    The candidate freezes today's submitted responses, team tree, invitation counts and
    thresholds, computes the report, and is checked against every earlier release of the
    wave. Returns the new :class:`Release` (``status`` says which); writes an audit record.
    Without any submitted response nothing is stored and a withheld, unsaved release says so.
    """
    if wave.status == "draft":
        raise ServiceError(_("A draft wave has no results to release; open it first."))
    if wave.status == "open" and wave.release_policy == "at_close":
        raise ServiceError(
            _("This wave's results are released when it closes; nobody sees any result while it is open.")
        )
    now = day_of(utcnow()) if wave.mode == "anonymous" else utcnow()
    made_by = made_by or (actor.email if actor is not None else audit.CLI_ACTOR)
    snapshot = _snapshot(wave)
    history = trend_releases(wave)
    snapshot["history"] = [r.id for r in history]
    earlier = list(
        db.session.scalars(
            select(Release)
            .where(Release.wave_id == wave.id, Release.status == "published")
            .order_by(Release.number)
        )
    )
    threshold = max([wave.anonymity_threshold, *(r.threshold for r in earlier)])
    comment_threshold = max([COMMENT_THRESHOLD, threshold, *(r.comment_threshold for r in earlier)])
    release = Release(
        wave_id=wave.id, status="withheld", n_responses=len(snapshot["responses"]), threshold=threshold,
        comment_threshold=comment_threshold, snapshot=snapshot, groups={}, made_by=made_by[:320],
        created_at=now, reason="",
    )  # fmt: skip
    inputs = ReleaseInputs(release, _frozen_data(wave, release), _history_of(history))
    data = inputs.data
    if not len(data.responses):
        # Nothing to release and nothing to record: the wave page says nobody has answered.
        release.reason = _("Nobody has submitted answers yet.")
        return release
    else:
        groups = analysis.published_groups(
            data.responses, data.teams, data.instruments, threshold=threshold,
            form_items=form_design.analysed_items(wave),
        )  # fmt: skip
        held = {
            (r.number, label): m for r in earlier for label, m in (r.groups or {}).get("figures", {}).items()
        }
        cut_groups, release.cuts = cuts.release_cuts(wave, release, data, {**held, **groups})
        groups = {**groups, **cut_groups}
        report = _compute(inputs)
        comment_groups = _comment_groups(report, data)
        release.groups = {"figures": _plain_groups(groups), "comments": _plain_groups(comment_groups)}
        reason = _differencing_reason(release, earlier, data.teams)
        if not reason:
            release.payload = pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL)
    if reason:
        release.reason = reason
        release.groups = {}
        release.cuts = None
        # Only the newest withheld attempt is kept; the audit log has them all.
        _drop_withheld(wave)
        db.session.add(release)
        audit.record(actor, "results.withheld", organization=wave.organization, wave=wave,
                     subject=f'wave {wave.id} "{wave.name}"', details={"reason": reason})  # fmt: skip
        db.session.flush()
        return release
    release.status = "published"
    release.number = (earlier[-1].number + 1) if earlier else 1
    _drop_withheld(wave)
    db.session.add(release)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        # Another instance published the same step a moment ago: that one stands.
        raise ServiceError(_("Another release of this wave was being published at the same time.")) from error
    audit.record(actor, "results.released", organization=wave.organization, wave=wave,
                 subject=f'wave {wave.id} "{wave.name}"', details={"release": release.number})  # fmt: skip
    return release


def _drop_withheld(wave: Wave) -> None:
    """Delete the wave's withheld attempt through the session, before a new attempt is added.

    Deleting the objects (not a bulk ``DELETE``) takes them out of the identity map, so a
    new release that gets the same id (SQLite reuses the highest rowid) is not mistaken
    for the deleted one.
    """
    withheld = select(Release).where(Release.wave_id == wave.id, Release.status == "withheld")
    for attempt in db.session.scalars(withheld):
        db.session.delete(attempt)
    db.session.flush()


def _snapshot(wave: Wave) -> dict:
    responses = db.session.scalars(
        select(Response.id).where(Response.wave_id == wave.id, Response.status == "submitted")
    ).all()
    teams = db.session.execute(
        select(Team.id, Team.key, Team.name, Team.function, Team.parent_id)
        .where(Team.organization_id == wave.organization_id)
        .order_by(Team.id)
    ).all()
    invited = invited_by_team(wave)
    return {
        "wave_name": wave.name,
        "responses": sorted(int(r) for r in responses),
        "teams": [
            {"id": t.id, "key": t.key, "name": t.name, "function": t.function, "parent": t.parent_id}
            for t in teams
        ],
        "invited": {str(team): int(count) for team, count in invited.items()},
        "instrument_versions": [link.instrument_version_id for link in wave.instruments],
        # The roster attributes the results are cut by (frozen with the first release).
        "cuts": dict(wave.cuts or {}),
        # Comments are published only once the wave is closed: no release shows some and a
        # later one more, which would point at who wrote the new ones.
        "comments": wave.status == "closed",
    }


def _compute(
    inputs: ReleaseInputs, language: str = "en", invariance: bool = True
) -> analysis.OrganizationReport:
    data, release = inputs.data, inputs.release
    comments = data.comments if release.snapshot.get("comments") and len(data.comments) else None
    return analysis.organization_report(
        data.responses, data.teams, data.instruments, threshold=release.threshold,
        comment_threshold=release.comment_threshold, history=inputs.history, invited=data.invited,
        comments=comments, wave=data.name, language=language, invariance=invariance,
        form_items=form_design.release_items(release),
    )  # fmt: skip


def _comment_groups(report: analysis.OrganizationReport, data: WaveData) -> dict:
    """The respondents of each pool a shown comment is labelled with."""
    if not len(report.comments):
        return {}
    root = report.suppression.root
    parents = {
        team: (None if pd.isna(parent) else int(parent)) for team, parent in data.teams["parent"].items()
    }

    def inside(team, label) -> bool:
        while team is not None:
            if team == label:
                return True
            team = parents.get(team)
        return False

    teams = data.responses["team"]
    groups = {}
    for label in pd.unique(report.comments["team"]):
        members = teams.index if label == root else teams.index[[inside(t, label) for t in teams]]
        groups[f"comments:{label}"] = frozenset(int(m) for m in members)
    return groups


def _plain_groups(groups: dict) -> dict:
    return {str(label): sorted(int(m) for m in members) for label, members in groups.items()}


def _differencing_reason(candidate: Release, earlier: list[Release], teams: pd.DataFrame) -> str:
    """Why publishing ``candidate`` next to ``earlier`` would expose a small group ("" if it would
    not), in every shipped language (:func:`~survey.i18n.in_every_language`)."""
    checks = []
    for kind, threshold in (("figures", candidate.threshold), ("comments", candidate.comment_threshold)):
        groups = {}
        for release in [*earlier, candidate]:  # the candidate has no number yet: "these results"
            for label, members in (release.groups or {}).get(kind, {}).items():
                groups[(release.number, label)] = members
        checks.append((kind, threshold, analysis.disclosures(groups, threshold)))
    if all(check.complete and not check.disclosures for _kind, _threshold, check in checks):
        return ""

    def worded() -> str:
        problems = []
        for kind, threshold, check in checks:
            if not check.complete:
                problems.append(
                    _(
                        "the earlier releases and this one overlap in too many small ways to be checked, "
                        "so nothing new is published"
                    )
                )
            for disclosure in check.disclosures[:3]:
                problems.append(_describe(disclosure, kind, threshold, teams))
        return _(
            "Not published: someone holding the results already released and these could work out "
            "{problems}. Results are released again once more people have answered (or when the wave "
            "closes).",
            problems=_("; and ").join(problems),
        )

    return in_every_language(worded)


def _describe(disclosure: analysis.Disclosure, kind: str, threshold: int, teams: pd.DataFrame) -> str:
    plus = ", ".join(
        dict.fromkeys(_label(label, teams) for label, weight in disclosure.combination if weight > 0)
    )
    minus = ", ".join(
        dict.fromkeys(_label(label, teams) for label, weight in disclosure.combination if weight < 0)
    )
    if kind == "comments":
        if minus:
            return _(
                "the comments of fewer than {threshold} people (from {plus} minus {minus})",
                threshold=threshold,
                plus=plus,
                minus=minus,
            )
        return _(
            "the comments of fewer than {threshold} people (from {plus})", threshold=threshold, plus=plus
        )
    if minus:
        return _(
            "the answers of fewer than {threshold} people (from {plus} minus {minus})",
            threshold=threshold,
            plus=plus,
            minus=minus,
        )
    return _("the answers of fewer than {threshold} people (from {plus})", threshold=threshold, plus=plus)


def _label(label, teams: pd.DataFrame) -> str:
    number, name = label
    where = _("these results") if number is None else _("release {number}", number=number)
    kind, _colon, key = str(name).partition(":")
    if kind == "cut":
        attribute, value, function = analysis.cuts.parse_cut_label(str(name))
        if function == analysis.cuts.ALL:
            if value is not None:
                group = _("the people whose {attribute} is {value}", attribute=attribute, value=value)
            else:
                group = _("the people with no {attribute} recorded", attribute=attribute)
        elif value is not None:
            group = _(
                "the people whose {attribute} is {value} in {function}",
                attribute=attribute,
                value=value,
                function=function,
            )
        else:
            group = _(
                "the people with no {attribute} recorded in {function}",
                attribute=attribute,
                function=function,
            )
    elif kind == "organization" or (kind == "comments" and key == analysis.anonymity.ORGANIZATION):
        group = _("the whole organisation")
    elif kind == "function":
        group = _("{function} (all teams pooled)", function=key)
    else:
        team = int(key) if key.lstrip("-").isdigit() else key
        team_name = str(teams["name"].get(team, _("a team")))
        group = _("the direct members of {team}", team=team_name) if kind == "members" else team_name
    return _("{group} in {release}", group=group, release=where)


# --- thresholds


def change_threshold(wave: Wave, threshold: int, *, actor: User | None = None) -> Wave:
    """Set the wave's anonymity threshold; never below what a published release promised."""
    from survey.models import MIN_ANONYMITY_THRESHOLD

    if threshold < MIN_ANONYMITY_THRESHOLD:
        raise ServiceError(
            _(
                "The anonymity threshold cannot be below {min_anonymity_threshold}.",
                min_anonymity_threshold=MIN_ANONYMITY_THRESHOLD,
            )
        )
    promised = db.session.scalar(
        select(func.max(Release.threshold)).where(Release.wave_id == wave.id, Release.status == "published")
    )
    if promised is not None and threshold < promised:
        raise ServiceError(
            _(
                "Results of this wave were released with a threshold of {promised}; it cannot be lowered "
                "below that (respondents were promised it).",
                promised=promised,
            )
        )
    before = wave.anonymity_threshold
    wave.anonymity_threshold = threshold
    audit.record(
        actor, "wave.threshold_changed", organization=wave.organization, wave=wave,
        subject=f'wave {wave.id} "{wave.name}"', details={"from": before, "to": threshold},
    )  # fmt: skip
    return wave
