"""The workspace's bookkeeping: audit trail, API tokens, login failures and e-mail sends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.organization import Organization
from survey.models.response import Invitation
from survey.models.types import UTCDateTime, utcnow
from survey.models.user import User

#: What an e-mail is: the first invitation or a reminder.
EMAIL_KINDS = ("invitation", "reminder")
#: ``sending`` is written (and committed) before the SMTP conversation, ``delivering`` just
#: before the end of the message goes to the server (then ``sent`` or ``failed``). A row left
#: in ``delivering`` means the outcome is unknown, so it is never retried automatically; one
#: left in ``sending`` never reached the server whole, and the resumed job sends it.
EMAIL_STATUSES = ("sending", "delivering", "sent", "failed")


class AuditEvent(db.Model):
    """An administrative action: who did what, when, in which organisation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: NULL for site-wide actions (creating an organisation or a user).
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: The actor as shown, kept when the user is deleted; ``cli`` for operator commands.
    actor: Mapped[str] = mapped_column(String(320))
    #: Dotted verb such as ``wave.opened`` or ``roster.imported``.
    action: Mapped[str] = mapped_column(String(64))
    #: Human-readable object, e.g. ``wave 12 "Spring 2027"``.
    subject: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    organization: Mapped[Organization | None] = relationship()
    user: Mapped[User | None] = relationship()


class ApiToken(db.Model):
    """A bearer token for the read-only JSON API. Only the SHA-256 of the token is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: What the token is for, e.g. ``dashboard``.
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginFailure(db.Model):
    """One failed sign-in, kept in the database so throttling holds across worker processes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The address as typed (normalised), whether or not an account has it.
    email: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailSend(db.Model):
    """One e-mail to one invitation: recorded before sending, so a retry never sends it twice."""

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: 0 for the invitation; 1, 2, … for successive reminder rounds.
    round: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="sending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: The last SMTP error, shown to the consultant.
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Whether this message carries the invitation's current link (issued for it, not yet delivered
    #: when it failed); a message without it refers to the link handed out before.
    carries_link: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    invitation: Mapped[Invitation] = relationship()

    __table_args__ = (
        UniqueConstraint("invitation_id", "kind", "round"),
        CheckConstraint(f"kind IN {EMAIL_KINDS!r}", name="kind_known"),
        CheckConstraint(f"status IN {EMAIL_STATUSES!r}", name="status_known"),
        CheckConstraint("round >= 0", name="round_not_negative"),
    )
