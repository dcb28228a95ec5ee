"""One-time links that let a person set a password: an invitation to the workspace, or a reset."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.types import UTCDateTime, utcnow
from survey.models.user import User

#: ``invite``: a new member sets their first password; ``reset``: "forgot password".
ACCOUNT_TOKEN_PURPOSES = ("invite", "reset")


class AccountToken(db.Model):
    """A single-use, expiring link to set ``user``'s password. Only the SHA-256 of its token is stored.

    Using it, or issuing a newer one of the same purpose, ends it (``used_at``).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    #: Hex SHA-256 of the token; the token itself exists only in the e-mailed link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Who asked for it: the inviting consultant or admin; NULL for a reset the user asked for.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when the link was used or replaced; it then sets nothing.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        CheckConstraint(f"purpose IN {ACCOUNT_TOKEN_PURPOSES!r}", name="purpose_known"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )
