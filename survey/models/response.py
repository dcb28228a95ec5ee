"""Invitations and what respondents answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.organization import Participant, Team
from survey.models.types import UTCDateTime, utcnow
from survey.models.wave import Wave

RESPONSE_STATUSES = ("in_progress", "submitted")
#: Longest free-text comment accepted.
MAX_COMMENT_LENGTH = 5000
#: How an invitation's current link reached its person (``Invitation.handed_out_via``).
LINK_HANDOUTS = ("email", "download", "page")


class Invitation(db.Model):
    """A personal link to one wave. Only the SHA-256 of its token is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    #: Hex SHA-256 of the token; the token itself exists only in the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set on submission; in anonymous waves the only trace that this person answered.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How the current link reached its person: ``email``, ``download`` or ``page`` (shown once);
    #: ``None`` while nobody has been given it, so issuing a new one invalidates nothing.
    handed_out_via: Mapped[str | None] = mapped_column(String(20))
    handed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Random per issued link: the token is an HMAC (keyed from the secret key) over the id and
    #: this nonce, so the current link can be given again; ``None`` for links issued before.
    link_nonce: Mapped[str | None] = mapped_column(String(32))

    wave: Mapped[Wave] = relationship()
    participant: Mapped[Participant] = relationship()

    __table_args__ = (
        UniqueConstraint("wave_id", "participant_id"),
        CheckConstraint(
            f"handed_out_via IS NULL OR handed_out_via IN {LINK_HANDOUTS!r}", name="handed_out_via_known"
        ),
    )


class Response(db.Model):
    """One respondent's answers in one wave; at most one per invitation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    #: Cleared on submission in anonymous waves, so the answers cannot be traced back.
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), unique=True
    )
    #: The respondent's team when invited (the wave's snapshot), kept in anonymous mode too.
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    #: Index of the page to show when the respondent comes back.
    current_page: Mapped[int] = mapped_column(Integer, default=0)
    #: Highest page index saved so far (-1: none yet); pages beyond it hold no answers, so they
    #: are shown without reading any. NULL means unknown (always read).
    furthest_page: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    wave: Mapped[Wave] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
    team: Mapped[Team] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")
    comments: Mapped[list[Comment]] = relationship(back_populates="response", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint(f"status IN {RESPONSE_STATUSES!r}", name="status_known"),
        CheckConstraint("(status = 'submitted') = (submitted_at IS NOT NULL)", name="submitted_iff_time"),
        CheckConstraint("current_page >= 0", name="page_not_negative"),
    )


class Answer(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    #: Item id; unique across the instruments of a wave.
    item_id: Mapped[str] = mapped_column(String(64))
    #: The chosen scale point, or NULL for "prefer not to say".
    value: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    response: Mapped[Response] = relationship(back_populates="answers")

    __table_args__ = (UniqueConstraint("response_id", "item_id"),)


class Comment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    #: The prompt, item or dimension the comment is about.
    subject_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="comments")

    __table_args__ = (
        UniqueConstraint("response_id", "subject_id"),
        CheckConstraint(f"length(text) <= {MAX_COMMENT_LENGTH}", name="text_length"),
        CheckConstraint("length(text) > 0", name="text_not_empty"),
    )


class PageTiming(db.Model):
    """Time spent on one page, for careless-responding checks; tied only to the response."""

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(Integer)
    #: Total seconds over all visits to the page.
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    visits: Mapped[int] = mapped_column(Integer, default=0)

    response: Mapped[Response] = relationship()

    __table_args__ = (
        UniqueConstraint("response_id", "page"),
        CheckConstraint("seconds >= 0", name="seconds_not_negative"),
    )
