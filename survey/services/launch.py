"""Setting a wave up safely: the organisation's time zone, and the checks before a launch."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import func, select

from survey.extensions import db
from survey.i18n import LANGUAGE_NAMES, _, ngettext
from survey.models import Invitation, Organization, Participant, User, Wave
from survey.services import ServiceError, audit
from survey.services.dates import zone_named
from survey.services.instruments import instrument_of


def language_name(code: str) -> str:
    """A language as people read it (``Deutsch``), never a bare code unless it is unknown."""
    return LANGUAGE_NAMES.get(code, code)


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zone names offered for an organisation, sorted, ``UTC`` first."""
    names = sorted(name for name in available_timezones() if "/" in name and not name.startswith("Etc/"))
    return ("UTC", *names)


def zone_of(organization: Organization) -> ZoneInfo:
    """The organisation's time zone (UTC when none or an unknown one is stored)."""
    return zone_named(organization.time_zone)


def set_time_zone(actor: User | None, organization: Organization, name: str) -> None:
    """Set the zone in which the workspace shows and reads the organisation's times (audited).

    Stored times stay UTC; only how they are shown and typed changes.
    """
    name = (name or "").strip()
    if name not in time_zones():
        raise ServiceError(
            _("'{name}' is not a time zone name such as Europe/Berlin or America/New_York.", name=name[:64])
        )
    if name == organization.time_zone:
        return
    before = organization.time_zone
    organization.time_zone = name
    audit.record(
        actor,
        "organization.time_zone_changed",
        organization=organization,
        subject=organization.name,
        details={"from": before, "to": name},
    )


def to_utc(local: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A wall-clock time typed in ``zone`` as UTC; refused when the clocks skip or repeat it."""
    if local is None:
        return None
    local = local.replace(tzinfo=None)
    first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    utc_first, utc_second = first.astimezone(UTC), second.astimezone(UTC)
    if utc_first.astimezone(zone).replace(tzinfo=None) != local:
        raise ServiceError(_("{time} does not exist in {zone}: the clocks skip it. Choose another time.",
                             time=f"{local:%Y-%m-%d %H:%M}", zone=zone.key))  # fmt: skip
    if utc_first != utc_second:
        raise ServiceError(_("{time} happens twice in {zone} (the clocks go back). Choose another time.",
                             time=f"{local:%Y-%m-%d %H:%M}", zone=zone.key))  # fmt: skip
    return utc_first


def in_zone(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A stored (UTC) time as wall-clock time in ``zone``, without a zone attached (for forms)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).replace(tzinfo=None)


def local_text(moment: datetime | None, zone: ZoneInfo) -> str:
    """``2026-12-07 14:00 Europe/Berlin``: a stored time shown in ``zone``, the zone named."""
    local = in_zone(moment, zone)
    return "" if local is None else f"{local:%Y-%m-%d %H:%M} {zone.key}"


@dataclass(frozen=True)
class Check:
    """One line of the launch checklist."""

    #: ``ok``, ``warning`` (the wave can go ahead; read it) or ``problem`` (fix it first).
    level: str
    text: str


def launch_checklist(wave: Wave) -> list[Check]:
    """What to look at before opening ``wave``: roster, addresses, languages, team sizes, dates."""
    organization = wave.organization
    threshold = wave.anonymity_threshold
    active = list(
        db.session.scalars(
            select(Participant).where(
                Participant.organization_id == organization.id, Participant.active.is_(True)
            )
        )
    )
    checks: list[Check] = []
    if not active:
        checks.append(
            Check("problem", _("The roster has nobody active: import the roster before the launch."))
        )
    else:
        invited = db.session.scalar(
            select(func.count()).select_from(Invitation).where(
                Invitation.wave_id == wave.id, Invitation.revoked_at.is_(None)
            )
        )  # fmt: skip
        missing = len(active) - invited if invited < len(active) else 0
        on_roster = ngettext(
            "{count} person is on the roster; {invited} are invited.",
            "{count} people are on the roster; {invited} are invited.",
            len(active),
            invited=invited,
        )
        checks.append(Check("ok", on_roster))
        if missing:
            text = ngettext(
                "{count} active person on the roster is not invited yet (“Invite everyone on the roster”).",
                "{count} active people on the roster are not invited yet (“Invite everyone on the roster”).",
                missing,
            )
            checks.append(Check("warning", text))
        no_address = sum(1 for person in active if not person.email)
        if no_address:
            text = ngettext(
                "{count} has no e-mail address: hand them their link from the links download.",
                "{count} have no e-mail address: hand them their link from the links download.",
                no_address,
            )
            checks.append(Check("warning", text))
    offered: list[str] = []
    for link in wave.instruments:
        for code in instrument_of(link.instrument_version).languages:
            if code not in offered:
                offered.append(code)
    languages = [code for code in offered if not wave.languages or code in wave.languages]
    names = ", ".join(language_name(code) for code in languages)
    checks.append(Check("ok", _("Respondents choose among: {names}.", names=names)))
    wanted = Counter(str((p.attributes or {}).get("language", "")).lower() for p in active)
    for code, count in sorted(wanted.items()):
        if code and code not in languages:
            text = ngettext(
                "{count} person has the language “{name}” on the roster, which this wave does not "
                "offer: they see {first} first.",
                "{count} people have the language “{name}” on the roster, which this wave does not "
                "offer: they see {first} first.",
                count,
                name=language_name(code),
                first=language_name(languages[0]),
            )
            checks.append(Check("warning", text))
    sizes = Counter(person.team_id for person in active)
    teams = {team.id: team for team in organization.teams}
    small = sorted((teams[team_id].name, size) for team_id, size in sizes.items() if size < threshold)
    for name, size in small:
        text = ngettext(
            "Team {name} has {count} person on the roster, fewer than the threshold of {threshold}: it "
            "can never be shown on its own (its answers count in the teams above it and the organisation).",
            "Team {name} has {count} people on the roster, fewer than the threshold of {threshold}: it "
            "can never be shown on its own (its answers count in the teams above it and the organisation).",
            size,
            name=name,
            threshold=threshold,
        )
        checks.append(Check("warning", text))
    for function in ("sales", "marketing"):
        count = sum(size for team_id, size in sizes.items() if teams[team_id].function == function)
        if active and count < threshold:
            if function == "sales":
                text = ngettext(
                    "Only {count} person works in sales teams: below the threshold of {threshold}, no "
                    "sales–marketing comparison can be shown.",
                    "Only {count} people work in sales teams: below the threshold of {threshold}, no "
                    "sales–marketing comparison can be shown.",
                    count,
                    threshold=threshold,
                )
            else:
                text = ngettext(
                    "Only {count} person works in marketing teams: below the threshold of {threshold}, no "
                    "sales–marketing comparison can be shown.",
                    "Only {count} people work in marketing teams: below the threshold of {threshold}, no "
                    "sales–marketing comparison can be shown.",
                    count,
                    threshold=threshold,
                )
            checks.append(Check("problem", text))
    if active and not small:
        checks.append(
            Check(
                "ok",
                _(
                    "Every team has at least {threshold} people (the anonymity threshold).",
                    threshold=threshold,
                ),
            )
        )
    if wave.closes_at is None:
        text = _(
            "No closing time: close the wave by hand; automatic reminders and the board's projection need "
            "one."
        )
        checks.append(Check("warning", text))
    return checks
