"""The audit log: administrative actions, who did them and when."""

from __future__ import annotations

from sqlalchemy import select

from survey.extensions import db
from survey.models import AuditEvent, Organization, User, Wave, utcnow
from survey.models.types import now_for

#: The actor recorded for operator commands run from the shell.
CLI_ACTOR = "command line"


def record(
    actor: User | None,
    action: str,
    *,
    organization: Organization | None = None,
    subject: str = "",
    details: dict | None = None,
    wave: Wave | None = None,
) -> AuditEvent:
    """Add an audit event; ``actor=None`` means an operator command (see :data:`CLI_ACTOR`).

    ``wave`` is the wave the event is about, if any: events about an anonymous wave are dated
    to the day (:func:`~survey.models.types.now_for`), since their times and counts (e.g. of
    reminders sent, or links issued to those who have not answered) would date submissions.
    """
    event = AuditEvent(
        organization_id=organization.id if organization is not None else None,
        user_id=actor.id if actor is not None else None,
        actor=actor.email if actor is not None else CLI_ACTOR,
        action=action,
        subject=subject[:300],
        details=dict(details or {}),
        created_at=now_for(wave.mode) if wave is not None else utcnow(),
    )
    db.session.add(event)
    return event


def events_of(organization: Organization, limit: int = 500) -> list[AuditEvent]:
    """The organisation's most recent events, newest first.

    In the order they were recorded, not by time: events about anonymous waves carry only
    their day, and would otherwise sort below the earlier events of that day.
    """
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.organization_id == organization.id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
