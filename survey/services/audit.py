"""The audit log: administrative actions, who did them and when."""

from __future__ import annotations

from sqlalchemy import select

from survey.extensions import db
from survey.models import AuditEvent, Organization, User

#: The actor recorded for operator commands run from the shell.
CLI_ACTOR = "command line"


def record(
    actor: User | None,
    action: str,
    *,
    organization: Organization | None = None,
    subject: str = "",
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit event; ``actor=None`` means an operator command (see :data:`CLI_ACTOR`)."""
    event = AuditEvent(
        organization_id=organization.id if organization is not None else None,
        user_id=actor.id if actor is not None else None,
        actor=actor.email if actor is not None else CLI_ACTOR,
        action=action,
        subject=subject[:300],
        details=dict(details or {}),
    )
    db.session.add(event)
    return event


def events_of(organization: Organization, limit: int = 500) -> list[AuditEvent]:
    """The organisation's most recent events, newest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.organization_id == organization.id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
