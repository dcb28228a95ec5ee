"""Dates as people write them, in the languages of the survey pages and e-mails."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"),
}  # fmt: skip
WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
}
DATE_FORMATS = {
    "en": "{weekday} {day} {month} {year}, {time} {zone}",
    "de": "{weekday}, {day}. {month} {year}, {time} Uhr {zone}",
}
#: How a time zone other than UTC is named after the time.
ZONE_FORMATS = {"en": "({zone} time)", "de": "(Zeitzone {zone})"}


def readable_date(moment: datetime, language: str, zone: ZoneInfo | None = None) -> str:
    """``moment`` (stored in UTC) as people write it, in ``zone`` (default UTC), the zone named.

    E.g. "Friday 18 December 2026, 17:00 UTC" or "…, 18:00 (Europe/Berlin time)".
    """
    language = language if language in DATE_FORMATS else "en"
    zone = zone or ZoneInfo("UTC")
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
    named = "UTC" if zone.key == "UTC" else ZONE_FORMATS[language].format(zone=zone.key)
    return DATE_FORMATS[language].format(
        weekday=WEEKDAYS[language][local.weekday()], day=local.day, month=MONTHS[language][local.month - 1],
        year=local.year, time=f"{local:%H:%M}", zone=named,
    )  # fmt: skip


def zone_named(name: str | None) -> ZoneInfo:
    """The time zone of a stored IANA name; UTC for none or an unknown one."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
