"""Client organisations, their teams and their roster."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from survey.extensions import db
from survey.models.types import UTCDateTime, utcnow

#: What a team does; the gap analyses compare sales with marketing.
TEAM_FUNCTIONS = ("sales", "marketing", "other")


class Organization(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: URL- and CLI-friendly identifier, e.g. ``acme``.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: IANA time zone (e.g. ``Europe/Berlin``) in which the workspace shows and reads times (stored: UTC).
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    #: Branding (:mod:`survey.services.branding`): accent colour ``#rrggbb``, checked for contrast.
    accent_colour: Mapped[str | None] = mapped_column(String(7))
    #: The name invitation e-mails come from, e.g. "Acme People Team".
    sender_name: Mapped[str | None] = mapped_column(String(100))
    #: The logo's bytes (a checked PNG or JPEG), loaded only when asked for.
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    #: ``image/png`` or ``image/jpeg``.
    logo_type: Mapped[str | None] = mapped_column(String(20))
    #: SHA-256 (hex) of the logo: part of its address, so a new logo is a new address.
    logo_digest: Mapped[str | None] = mapped_column(String(64))
    #: Days after a wave closes when its raw answers are deleted (published results stay);
    #: NULL keeps them (:func:`survey.services.privacy.apply_retention`).
    retention_days: Mapped[int | None] = mapped_column(Integer)

    teams: Mapped[list[Team]] = relationship(
        back_populates="organization", order_by="Team.name", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("slug <> ''", name="slug_not_empty"),
        CheckConstraint("retention_days IS NULL OR retention_days >= 1", name="retention_positive"),
        CheckConstraint("(logo_digest IS NULL) = (logo_type IS NULL)", name="logo_typed"),
    )

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"


class Team(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    #: ``sales``, ``marketing`` or ``other``.
    function: Mapped[str] = mapped_column(String(20))
    #: Optional parent team (e.g. "Sales" above "Sales East"), within the same organisation.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    #: Stable identifier that survives renames, used to line teams up across waves and exports.
    key: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="teams")
    parent: Mapped[Team | None] = relationship(remote_side="Team.id")

    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        CheckConstraint(f"function IN {TEAM_FUNCTIONS!r}", name="function_known"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    def __repr__(self) -> str:
        return f"<Team {self.name} ({self.function})>"


class Participant(db.Model):
    """A roster entry: someone who may be invited to a wave."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"), index=True)
    #: Optional: without an e-mail address the invitation link is handed out by other means.
    email: Mapped[str | None] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(200))
    #: Optional descriptive attributes such as ``{"role_level": "lead", "tenure": "2-5y"}``.
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    team: Mapped[Team] = relationship()

    __table_args__ = (UniqueConstraint("organization_id", "email"),)

    def __repr__(self) -> str:
        return f"<Participant {self.id} team={self.team_id}>"
