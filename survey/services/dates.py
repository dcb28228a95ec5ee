"""Dates as people write them, in the organisation's time zone and the reader's language."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from survey.i18n import readable_date, short_date

__all__ = ["readable_date", "short_date", "zone_named"]


def zone_named(name: str | None) -> ZoneInfo:
    """The time zone of a stored IANA name; UTC for none or an unknown one."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
