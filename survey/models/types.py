"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def day_of(moment: datetime) -> datetime:
    """Midnight UTC of the day of ``moment`` (a timezone-aware time)."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def now_for(wave_mode: str) -> datetime:
    """The time to record for something that happens in a wave of ``wave_mode``.

    Anonymous waves keep no time finer than the day about their respondents (answers,
    responses, invitations, e-mails, audit events about the wave): a precise time could be
    matched with a sign-in, an e-mail or a calendar and so tell who answered. They get
    midnight UTC of today; other waves get the exact time.
    """
    now = utcnow()
    return day_of(now) if wave_mode == "anonymous" else now


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always returned timezone-aware.

    SQLite has no time zones and PostgreSQL's ``timestamp`` neither; storing UTC
    everywhere keeps the two databases identical and comparisons correct.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=UTC)
