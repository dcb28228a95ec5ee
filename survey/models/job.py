"""Background jobs as the application sees them: what was asked, by whom, and how far it got.

The queue (:mod:`survey.jobs`) only carries a job's id; this row is the record the wave page
and the command line read, and what a restarted worker resumes from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.types import UTCDateTime, utcnow
from survey.models.user import User
from survey.models.wave import Wave

#: ``mail``: one round of e-mails (invitations, a reminder round, or their retry);
#: ``release``: release a wave's results and pre-build its files; ``prebuild``: only the files.
JOB_KINDS = ("mail", "release", "prebuild")
#: ``queued`` until a worker takes it, ``running`` while one works on it (``heartbeat_at``
#: moves), then ``done`` or ``failed`` (retries exhausted).
JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    #: For ``mail``: ``{"email": "invitation" | "reminder", "round": n}``.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    #: Messages this round owes in all (set when a worker first takes the job).
    total: Mapped[int | None] = mapped_column(Integer)
    #: Messages this job sent and that failed (over all its runs).
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    #: The outcome in a sentence, for the wave page and the command line.
    summary: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Written by the worker while it runs the job; a stale one means the worker is gone.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    wave: Mapped[Wave] = relationship()
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"kind IN {JOB_KINDS!r}", name="kind_known"),
        CheckConstraint(f"status IN {JOB_STATUSES!r}", name="status_known"),
    )

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} wave {self.wave_id} {self.status}>"
