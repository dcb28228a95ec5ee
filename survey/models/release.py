"""Results releases: the immutable snapshots that every output of a wave reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.types import UTCDateTime, utcnow
from survey.models.wave import Wave

#: ``published``: outputs read it; ``withheld``: the differencing check refused it (``reason`` says why).
RELEASE_STATUSES = ("published", "withheld")


class Release(db.Model):
    """A wave's results as published at one moment, never changed afterwards.

    Everything a report needs is frozen here: which submitted responses are included, the
    team tree (names, parents, functions) and the invitation counts as they were, the
    thresholds, the instrument versions, and the computed report itself. Later edits of
    teams, thresholds or the roster change only releases made after them.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    #: 1, 2, … in order of publication within the wave; NULL for a withheld attempt.
    number: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    #: For a withheld attempt: why, in words for the consultant.
    reason: Mapped[str] = mapped_column(Text, default="")
    #: Submitted responses when the release was attempted (published or not).
    n_responses: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    comment_threshold: Mapped[int] = mapped_column(Integer)
    #: ``{"responses": [ids], "teams": [{id, key, name, function, parent}], "invited": {team: n},
    #: "instrument_versions": [ids], "wave_name": str, "comments": bool}``.
    snapshot: Mapped[dict] = mapped_column(JSON)
    #: The respondents behind each published figure (:func:`analysis.published_groups`) and
    #: behind each comment label, for the differencing check of later releases.
    groups: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The computed report (pickled :class:`analysis.OrganizationReport`); NULL when withheld.
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The results by roster attribute (:func:`survey.services.cuts.release_cuts`); NULL: no cuts.
    cuts: Mapped[dict | None] = mapped_column(JSON)
    #: Who or what made it: a user's e-mail, "wave closed", "live step", "command line".
    made_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    wave: Mapped[Wave] = relationship()

    __table_args__ = (
        UniqueConstraint("wave_id", "number"),
        CheckConstraint(f"status IN {RELEASE_STATUSES!r}", name="status_known"),
        CheckConstraint("(status = 'published') = (number IS NOT NULL)", name="numbered_iff_published"),
    )

    def __repr__(self) -> str:
        return f"<Release {self.wave_id}#{self.number} {self.status}>"
