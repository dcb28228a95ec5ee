"""Waves: creating, opening and closing survey rounds."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from survey.extensions import db
from survey.i18n import _
from survey.models import (
    MIN_ANONYMITY_THRESHOLD,
    RELEASE_POLICIES,
    WAVE_MODES,
    Job,
    Organization,
    Release,
    User,
    Wave,
    WaveInstrument,
    utcnow,
)
from survey.models.types import day_of
from survey.services import ServiceError, audit
from survey.services.instruments import instrument_of, register_instrument_version

#: Who made a release computed because its wave closed (``Release.made_by``).
CLOSE_RELEASE = "wave closed"
#: Shipped instruments a new wave offers but does not pre-select: the lead calibration adds five
#: minutes, so a consultant chooses it; the alignment instruments stay the default.
OPT_IN_INSTRUMENTS = frozenset({"lead_calibration"})


def preselected_instruments(keys) -> list[str]:
    """The instrument keys (``id@version``) the new-wave form ticks: the newest version of each
    instrument, except the opt-in ones."""
    keys = list(keys)
    newest: dict[str, tuple[tuple[int, ...], str]] = {}
    for key in keys:
        instrument_id, version = key.split("@", 1) if "@" in key else (key, "")
        number = tuple(int(part) for part in version.split(".") if part.isdigit())
        if instrument_id not in newest or number > newest[instrument_id][0]:
            newest[instrument_id] = (number, key)
    chosen = {
        key for instrument_id, (_number, key) in newest.items() if instrument_id not in OPT_IN_INSTRUMENTS
    }
    return [key for key in keys if key in chosen]


def create_wave(
    organization: Organization,
    name: str,
    instrument_refs: Sequence[str],
    *,
    anonymity_threshold: int = 5,
    mode: str = "confidential",
    languages: Sequence[str] = (),
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    release_policy: str = "at_close",
) -> Wave:
    """Create a draft wave administering ``instrument_refs`` (``"id"`` or ``"id@version"``) in order.

    ``release_policy`` is ``at_close`` (results released once, when the wave closes) or
    ``live`` (released in steps while it is open, each only when it exposes nobody).
    """
    name = _free_name(organization.id, name)
    if release_policy not in RELEASE_POLICIES:
        raise ServiceError(
            _(
                "Unknown release policy '{policy}'; choose one of {choices}.",
                policy=release_policy,
                choices=", ".join(RELEASE_POLICIES),
            )
        )
    if not instrument_refs:
        raise ServiceError(_("A wave needs at least one instrument."))
    if anonymity_threshold < MIN_ANONYMITY_THRESHOLD:
        raise ServiceError(
            _(
                "The anonymity threshold cannot be below {min_anonymity_threshold}.",
                min_anonymity_threshold=MIN_ANONYMITY_THRESHOLD,
            )
        )
    if mode not in WAVE_MODES:
        raise ServiceError(
            _("Unknown mode '{mode}'; choose one of {choices}.", mode=mode, choices=", ".join(WAVE_MODES))
        )
    if opens_at and closes_at and closes_at <= opens_at:
        raise ServiceError(_("The closing date must come after the opening date."))
    versions = [register_instrument_version(ref) for ref in instrument_refs]
    if len({v.instrument_id for v in versions}) != len(versions):  # one version of each
        raise ServiceError(_("Each instrument can be used only once in a wave."))
    seen: dict[str, str] = {}
    offered: set[str] = set()
    for version in versions:
        instrument = instrument_of(version)
        offered.update(instrument.languages)
        for item_id in instrument.item_ids:
            if item_id in seen:
                raise ServiceError(
                    _(
                        "Item id '{item}' is in both {first} and {second}.",
                        item=item_id,
                        first=seen[item_id],
                        second=version.key,
                    )
                )
            seen[item_id] = version.key
    unknown = sorted(set(languages) - offered)
    if unknown:
        raise ServiceError(_("The instruments have no text in {languages}.", languages=", ".join(unknown)))
    wave = Wave(
        organization=organization,
        name=name,
        anonymity_threshold=anonymity_threshold,
        mode=mode,
        languages=list(languages),
        opens_at=opens_at,
        closes_at=closes_at,
        release_policy=release_policy,
    )
    for position, version in enumerate(versions):
        wave.instruments.append(WaveInstrument(instrument_version=version, position=position))
    db.session.add(wave)
    db.session.flush()
    return wave


def _free_name(organization_id: int, name: str | None) -> str:
    """``name`` stripped, refused when empty or already used by a wave of the organisation."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("A wave needs a name."))
    # The database lower-cases both sides: Python's str.lower folds letters SQLite's lower()
    # leaves alone ("Ⱦ"), and a name the check let through would then break the unique constraint.
    same = (Wave.organization_id == organization_id) & (func.lower(Wave.name) == func.lower(name))
    taken = db.session.scalar(select(Wave.name).where(same))
    if taken is not None:
        raise ServiceError(
            _(
                "The organisation already has a wave called '{taken}'; wave names tell rounds apart in "
                "trends and reports, so choose another (e.g. with the month or year).",
                taken=taken,
            )
        )
    return name


def open_wave(wave: Wave) -> Wave:
    if wave.status == "closed":
        raise ServiceError(_("A closed wave cannot be opened again; clone it for a new round."))
    wave.status = "open"
    if wave.opens_at is None:
        wave.opens_at = utcnow()
    return wave


def end_wave(wave: Wave) -> Wave:
    """Close the wave (its links stop working) without releasing its results.

    The wave page, ``mindgap waves close`` and the worker then queue the release as a job
    (:func:`survey.services.background.close_and_release`). Raises :class:`ServiceError`
    for a draft or an already closed wave, so closing twice changes nothing.
    """
    if wave.status == "draft":
        raise ServiceError(_("A draft wave was never opened; delete it instead."))
    if wave.status == "closed":
        raise ServiceError(_("The wave is closed already."))
    wave.status = "closed"
    now = utcnow()
    if wave.closes_at is None or wave.closes_at > now:
        wave.closes_at = now
    db.session.flush()
    return wave


def close_wave(wave: Wave, actor: User | None = None) -> Wave:
    """Close the wave (its links stop working) and release its results at once.

    The release is checked like any other (:func:`survey.services.releases.publish`); when
    it is withheld, the wave page says why.
    """
    from survey.services.releases import publish

    end_wave(wave)
    publish(wave, actor=actor, made_by=CLOSE_RELEASE)
    return wave


def waves_of(organization: Organization) -> list[Wave]:
    return list(
        db.session.scalars(select(Wave).where(Wave.organization_id == organization.id).order_by(Wave.id))
    )


def instrument_refs(wave: Wave) -> list[str]:
    """The wave's instruments as ``id@version`` in display order."""
    return [link.instrument_version.key for link in wave.instruments]


def clone_wave(wave: Wave, name: str) -> Wave:
    """A new draft wave with the same instrument versions and settings, linked to ``wave``.

    The same versions (not the newest files) keep the items identical, so the two waves'
    results line up in trends; dates are left for the new round to choose.
    """
    name = _free_name(wave.organization_id, name)
    clone = Wave(
        organization_id=wave.organization_id,
        name=name,
        anonymity_threshold=wave.anonymity_threshold,
        mode=wave.mode,
        languages=list(wave.languages or []),
        release_policy=wave.release_policy,
        # The same roster attributes (the next round's choice stays open until its first release).
        cuts=dict(wave.cuts) if wave.cuts else None,
        previous_wave_id=wave.id,
        # The same form (a new draw of items: the secret is the round's own).
        form=wave.form,
        form_items=wave.form_items,
        form_secret=secrets.token_hex(16) if wave.form_items is not None else None,
    )
    for link in wave.instruments:
        clone.instruments.append(
            WaveInstrument(
                instrument_version_id=link.instrument_version_id,
                position=link.position,
                wording=dict(link.wording or {}),
            )  # the client's wording carries over
        )
    db.session.add(clone)
    db.session.flush()
    return clone


def due_to_close(now: datetime | None = None) -> list[Wave]:
    """Open waves whose closing date has passed."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Wave)
            .where(Wave.status == "open", Wave.closes_at.is_not(None), Wave.closes_at <= now)
            .order_by(Wave.id)
        )
    )


def reopen_blocker(wave: Wave) -> str:
    """Why ``wave`` cannot be reopened now, in a sentence ("" when it can).

    A closed wave reopens until its results are published: for a wave that releases at the
    close, until any release is published; for one that releases in steps, until a release
    made on or after the day it closed (earlier steps were published while it was open). A
    release being prepared blocks it too, since it would publish the results.
    """
    if wave.status != "closed":
        return _("Only a closed wave can be reopened.")
    published = select(Release.id).where(Release.wave_id == wave.id, Release.status == "published")
    if wave.release_policy == "live" and wave.closes_at is not None:
        published = published.where(Release.created_at >= day_of(wave.closes_at))
    if db.session.scalar(published.limit(1)) is not None:
        return _("Its results are published, so readers were told it is over: clone it for a new round.")
    preparing = select(Job.id).where(
        Job.wave_id == wave.id, Job.kind == "release", Job.status.in_(("queued", "running"))
    )
    if db.session.scalar(preparing.limit(1)) is not None:
        return _(
            "Its results are being released right now; once they are published it can no longer be reopened."
        )
    return ""


def reopen_wave(wave: Wave, actor: User | None, closes_at: datetime | None) -> Wave:
    """Open a closed wave again until ``closes_at`` (``None``: until closed by hand), audited.

    Refused with :func:`reopen_blocker`'s reason, and for a closing time that is not in the
    future. Links that were handed out work again; nothing is re-issued.
    """
    reason = reopen_blocker(wave)
    if reason:
        raise ServiceError(_("The wave cannot be reopened. {reason}", reason=reason))
    now = utcnow()
    if closes_at is not None and closes_at <= now:
        raise ServiceError(_("The new closing time must lie in the future."))
    before = wave.closes_at
    wave.status, wave.closes_at = "open", closes_at
    db.session.flush()
    audit.record(
        actor,
        "wave.reopened",
        organization=wave.organization,
        subject=f'wave {wave.id} "{wave.name}"',
        details={"closed_at": before.isoformat() if before else None},
        wave=wave,
    )
    return wave
