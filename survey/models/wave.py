"""Waves: one administration of instruments to an organisation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.organization import Organization, Participant, Team
from survey.models.types import UTCDateTime, utcnow

WAVE_MODES = ("confidential", "anonymous")
WAVE_STATUSES = ("draft", "open", "closed")
#: ``at_close``: one release of results when the wave closes; ``live``: releases while it is
#: open too, each only when nobody below the threshold can be derived from it and the earlier ones.
RELEASE_POLICIES = ("at_close", "live")
#: ``full``: every respondent answers every item; ``planned_missing``: each answers a random
#: ``form_items`` of each dimension's items (see :mod:`survey.services.form_design`).
WAVE_FORMS = ("full", "planned_missing")
#: No wave may show groups smaller than this, whatever its settings.
MIN_ANONYMITY_THRESHOLD = 3


class InstrumentVersion(db.Model):
    """The exact definition of an instrument version as first used by a wave.

    Once stored, the file for ``instrument_id@version`` may not change: waves keep
    working from :attr:`definition`, and a changed file is refused.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    #: SHA-256 of the file's bytes when first used.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The file's text, so reports can always be rebuilt from what respondents saw.
    definition: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("instrument_id", "version"),)

    @property
    def key(self) -> str:
        return f"{self.instrument_id}@{self.version}"


class WaveInstrument(db.Model):
    """An instrument version administered in a wave, in display order."""

    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True)
    instrument_version_id: Mapped[int] = mapped_column(
        ForeignKey("instrument_version.id", ondelete="RESTRICT"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: The wave's own texts for vignette attribute levels, ``{attribute id: {level id:
    #: {language: text}}}`` (only the replaced ones; see :mod:`survey.services.attribute_wording`).
    #: Frozen once the wave opens, so that every answer judged the same profiles.
    wording: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    instrument_version: Mapped[InstrumentVersion] = relationship()


class Wave(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Smallest group whose results are shown.
    anonymity_threshold: Mapped[int] = mapped_column(Integer, default=5)
    #: ``confidential`` keeps the invitation link (resume, reminders) but never reports it;
    #: ``anonymous`` unlinks a response from its participant on submission.
    mode: Mapped[str] = mapped_column(String(20), default="confidential")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    #: Languages offered to respondents; empty means every language of the instruments.
    languages: Mapped[list] = mapped_column(JSON, default=list)
    #: When results are released: :data:`RELEASE_POLICIES`.
    release_policy: Mapped[str] = mapped_column(String(20), default="at_close", server_default="at_close")
    #: Days before ``closes_at`` on which a reminder round goes out by itself, e.g. ``[3, 1]``.
    reminder_days: Mapped[list | None] = mapped_column(JSON, default=list)
    #: Roster attributes results are also cut by: ``{"attributes": [names], "by_function": bool}``
    #: (NULL: none); frozen once a release is published.
    cuts: Mapped[dict | None] = mapped_column(JSON)
    #: The wave this one was cloned from, so trends line up.
    previous_wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id", ondelete="SET NULL"))
    #: Which form respondents answer: :data:`WAVE_FORMS`; chosen while a draft, frozen once open.
    form: Mapped[str] = mapped_column(String(20), default="full", server_default="full")
    #: Under ``planned_missing``: items each respondent answers per dimension (NULL for ``full``).
    form_items: Mapped[int | None] = mapped_column(Integer)
    #: Under ``planned_missing``: the key that, with a response's id, draws its items.
    form_secret: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    instruments: Mapped[list[WaveInstrument]] = relationship(
        order_by="WaveInstrument.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(f"anonymity_threshold >= {MIN_ANONYMITY_THRESHOLD}", name="threshold_min"),
        CheckConstraint(f"mode IN {WAVE_MODES!r}", name="mode_known"),
        CheckConstraint(f"status IN {WAVE_STATUSES!r}", name="status_known"),
        CheckConstraint(f"release_policy IN {RELEASE_POLICIES!r}", name="release_policy_known"),
        CheckConstraint(f"form IN {WAVE_FORMS!r}", name="form_known"),
        CheckConstraint(
            "(form = 'full' AND form_items IS NULL) OR (form = 'planned_missing' AND form_items >= 2 "
            "AND form_secret IS NOT NULL)",
            name="form_settings",
        ),
        CheckConstraint(
            "opens_at IS NULL OR closes_at IS NULL OR closes_at > opens_at", name="closes_after_opening"
        ),
        UniqueConstraint("organization_id", "name"),
    )

    def __repr__(self) -> str:
        return f"<Wave {self.id} {self.name!r} {self.status}>"


class WaveMember(db.Model):
    """The team a participant belonged to when invited to a wave.

    Trends compare teams across waves; people move between teams, so each wave keeps
    its own snapshot instead of reading today's roster.
    """

    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"), index=True)
    #: The participant's attributes at invitation time.
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)

    participant: Mapped[Participant] = relationship()
    team: Mapped[Team] = relationship()
