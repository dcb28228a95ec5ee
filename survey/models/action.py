"""Action plans: an owned, dated step taken against a measured gap, and what became of it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.organization import Organization, Team
from survey.models.types import UTCDateTime, utcnow
from survey.models.user import User
from survey.models.wave import Wave

#: Where an action stands; ``planned`` and ``in_progress`` are open.
ACTION_STATUSES = ("planned", "in_progress", "done", "dropped")
OPEN_STATUSES = ("planned", "in_progress")
#: What an action targets: a dimension in some teams, or the gap between two teams on it.
ACTION_TARGETS = ("teams", "pair")
#: Where in a report it was started from.
ACTION_SOURCES = ("gap", "dimension", "recommendation", "other")


class Action(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    #: The wave whose results the action answers: its baseline for "did it work?".
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: The dimension id of the wave's instrument that the action means to move.
    dimension: Mapped[str] = mapped_column(String(64))
    #: ``teams``: raise the dimension in the targeted teams; ``pair``: close the gap between two.
    target: Mapped[str] = mapped_column(String(20), default="teams")
    source: Mapped[str] = mapped_column(String(20), default="other")
    #: The owner, a user of the workspace, or else a named person (``owner_name``).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    #: Where reminders go for a named owner who is not a user (optional).
    owner_email: Mapped[str] = mapped_column(String(320), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: When the reminder before the due date, and the one after it, went out.
    reminded_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship()
    wave: Mapped[Wave | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    teams: Mapped[list[ActionTeam]] = relationship(
        order_by="ActionTeam.position", cascade="all, delete-orphan", back_populates="action"
    )
    updates: Mapped[list[ActionUpdate]] = relationship(
        order_by="ActionUpdate.id", cascade="all, delete-orphan", back_populates="action"
    )

    __table_args__ = (
        CheckConstraint(f"status IN {ACTION_STATUSES!r}", name="status_known"),
        CheckConstraint(f"target IN {ACTION_TARGETS!r}", name="target_known"),
        CheckConstraint(f"source IN {ACTION_SOURCES!r}", name="source_known"),
        CheckConstraint("title <> ''", name="title_not_empty"),
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def owner_label(self) -> str:
        return self.owner.email if self.owner is not None else self.owner_name

    def __repr__(self) -> str:
        return f"<Action {self.id} {self.title!r} {self.status}>"


class ActionTeam(db.Model):
    """A team an action targets; for a pair, positions 0 and 1 are its two sides."""

    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    action: Mapped[Action] = relationship(back_populates="teams")
    team: Mapped[Team] = relationship()


class ActionUpdate(db.Model):
    """A dated note on an action's progress, possibly with a change of status."""

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Who wrote it as shown (kept when the user is deleted); ``command line`` for the CLI.
    author: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(Text, default="")
    #: The status the action moved to with this update (NULL: unchanged).
    status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[Action] = relationship(back_populates="updates")

    __table_args__ = (
        CheckConstraint(f"status IS NULL OR status IN {ACTION_STATUSES!r}", name="status_known"),
    )
