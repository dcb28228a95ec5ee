"""Computed report outputs, kept until the wave's results change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import db
from survey.models.types import UTCDateTime, utcnow


class ReportCache(db.Model):
    """One rendered output of a wave's report (HTML, PDF, JSON, exports) in one language.

    Shared by every app instance through the database. ``state`` fingerprints the data the
    output was computed from; a different state means the entry is stale and is replaced.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    #: What the payload is, e.g. ``html``, ``pdf``, ``json``, ``csv``, ``xlsx``, ``team-12``.
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8), default="en")
    state: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("wave_id", "kind", "language"),)
