"""What background jobs do: e-mail rounds, releases and their files, and the schedules.

A request only records a :class:`~survey.models.Job` and puts its id on the queue
(:mod:`survey.jobs`); a worker then calls :func:`run`. Every job is idempotent: an e-mail
round sends only what it still owes (each message is claimed before it is sent, see
:mod:`survey.services.mailing`), a release job that finds its release made only builds the
files, and a second run of a finished job does nothing.

One run of a job at a time: a run takes the job only while it is queued, or running with a
heartbeat older than ``stale_after`` (its worker died), by a conditional update; an e-mail
job puts itself back to ``queued`` between batches. Tasks that the queue holds twice for
one job (a stale-heartbeat requeue beside the job's own next batch) so run one after the
other, never side by side. An e-mail job finishes only when no message of its round is left
in ``sending``: a run that took a message over from a slower one and then stopped leaves
it there, and the next run sends it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from survey.extensions import db
from survey.i18n import N_, _, in_every_language, ngettext
from survey.models import EmailSend, Invitation, Job, Release, User, Wave, utcnow
from survey.services import ServiceError, audit
from survey.services.mailing import (
    MailServerError,
    MailSettings,
    latest_reminder_round,
    next_reminder_round,
    send_round,
)
from survey.services.waves import CLOSE_RELEASE, due_to_close, end_wave

#: Audit events of the e-mail jobs, by what they send.
MAIL_EVENTS = {"invitation": "emails.invitations_sent", "reminder": "emails.reminders_sent"}


def _label(wave: Wave) -> str:
    return f'wave {wave.id} "{wave.name}"'


def _unfinished(wave: Wave, kind: str, params: dict | None = None) -> Job | None:
    jobs = db.session.scalars(
        select(Job).where(Job.wave_id == wave.id, Job.kind == kind, Job.status.in_(("queued", "running")))
    ).all()
    return next((job for job in jobs if params is None or job.params == params), None)


def _job(wave: Wave, kind: str, params: dict, actor: User | None, *, any_params: bool = False) -> Job:
    existing = _unfinished(wave, kind, None if any_params else params)
    if existing is not None:
        return existing
    job = Job(kind=kind, wave=wave, params=params, status="queued", created_by=actor, created_at=utcnow(),
              sent=0, failed=0)  # fmt: skip
    db.session.add(job)
    db.session.flush()
    return job


def request_mail(wave: Wave, what: str, actor: User | None) -> list[Job]:
    """Record the e-mail jobs for ``what``: ``invitation``, ``reminder`` (a new round) or ``retry``.

    ``retry`` resends the failures of the invitations and of the latest reminder round. A job
    already waiting for the same round is returned instead of a second one. Raises
    :class:`ServiceError` when the wave is not open or a new reminder round is too soon.
    """
    if wave.status != "open":
        raise ServiceError(_("E-mails go out only while the wave is open; open it first."))
    running = unfinished_for(wave, what)
    if running:
        return running
    rounds = _rounds(wave, what)
    return [_job(wave, "mail", {"email": kind, "round": number}, actor) for kind, number in rounds]


def _rounds(wave: Wave, what: str) -> list[tuple[str, int]]:
    if what == "invitation":
        return [("invitation", 0)]
    if what == "reminder":
        return [("reminder", next_reminder_round(wave))]
    if what == "retry":
        number, _started = latest_reminder_round(wave)
        return [("invitation", 0)] + ([("reminder", number)] if number else [])
    raise ValueError(f"what must be 'invitation', 'reminder', 'retry' or 'release', not {what!r}")


def unfinished_for(wave: Wave, what: str) -> list[Job]:
    """The queued or running jobs that a click on ``what`` would only repeat (``[]``: it starts work).

    ``what`` is a button of the wave page: ``invitation``, ``reminder`` (any reminder round
    under way counts), ``retry`` (when every round it resends has a job under way) or
    ``release``. A repeated click answers with these jobs' progress and queues nothing.
    """
    if what == "release":
        job = _unfinished(wave, "release")
        return [job] if job is not None else []
    if what not in ("invitation", "reminder", "retry"):
        raise ValueError(f"what must be 'invitation', 'reminder', 'retry' or 'release', not {what!r}")
    mail = db.session.scalars(
        select(Job)
        .where(Job.wave_id == wave.id, Job.kind == "mail", Job.status.in_(("queued", "running")))
        .order_by(Job.id)
    ).all()
    if what == "reminder":
        return [job for job in mail if job.params.get("email") == "reminder"][:1]
    wanted = [{"email": kind, "round": number} for kind, number in _rounds(wave, what)]
    found = [next((job for job in mail if job.params == params), None) for params in wanted]
    return [job for job in found if job is not None] if all(found) else []


def request_release(wave: Wave, actor: User | None, *, made_by: str = "") -> Job:
    """Record a job that releases ``wave``'s results and builds the files of the release.

    A release job already queued or running for the wave is returned instead of a second
    one. ``made_by`` is what the release records as its maker (default: the actor).
    """
    return _job(wave, "release", {"made_by": made_by} if made_by else {}, actor, any_params=True)


def close_and_release(wave: Wave, actor: User | None) -> Job:
    """Close ``wave`` now and record the job that releases its results (and builds the files).

    The caller audits the close, commits and puts the job on the queue. Closing a closed
    wave raises :class:`ServiceError`, so a second click records no second job.
    """
    end_wave(wave)
    return request_release(wave, actor, made_by=CLOSE_RELEASE)


def request_prebuild(wave: Wave, release: Release) -> Job:
    """Record a job that builds the report files of ``release`` (made elsewhere)."""
    return _job(wave, "prebuild", {"release": release.id}, None)


def run(
    job_id: int,
    settings: MailSettings,
    *,
    batch: int,
    last_attempt: bool,
    prebuild: Callable[[Wave, Release], None],
    stale_after: float = 60.0,
) -> bool:
    """Do (the next part of) job ``job_id``; ``True`` when more remains (run it again).

    An e-mail job sends at most ``batch`` messages per run. A mail server that cannot be
    reached raises :class:`MailServerError`, so the queue retries with back-off; on the
    ``last_attempt`` the job is marked failed instead. A job that another run holds (running,
    with a heartbeat younger than ``stale_after`` seconds) is left to it: ``False``.
    """
    job = db.session.get(Job, job_id)
    if job is None or job.status in ("done", "failed"):
        return False
    resumed = job.started_at is not None
    if not _take(job_id, stale_after):
        db.session.rollback()
        return False
    db.session.commit()
    job = db.session.get(Job, job_id)
    try:
        if job.kind == "mail":
            return _run_mail(job, settings, batch=batch, resumed=resumed)
        release = (
            _run_release(job) if job.kind == "release" else db.session.get(Release, job.params["release"])
        )
        if release is not None and release.status == "published":
            prebuild(job.wave, release)
        _finish(job, job.summary or in_every_language(lambda: _("Report files built.")))
        return False
    except MailServerError as error:
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.error = str(error)
        if last_attempt:
            _finish(job, _("{error} Nothing more was sent.", error=error), status="failed")
            db.session.commit()
            return False
        job.status = "queued"  # the queue's retry takes it again
        db.session.commit()
        raise
    except ServiceError as error:
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.error = str(error)
        _finish(job, str(error), status="failed")
        return False
    except Exception:
        # Anything else (a database error, say): let go of the job, so the queue's retry can
        # take it without waiting for the heartbeat to go stale.
        db.session.rollback()
        _release(job_id)
        raise


def _take(job_id: int, stale_after: float) -> bool:
    """Mark the job running for this run, if no other run holds it (a conditional update)."""
    now = utcnow()
    quiet = now - timedelta(seconds=stale_after)
    taken = db.session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            (Job.status == "queued")
            | ((Job.status == "running") & (Job.heartbeat_at.is_(None) | (Job.heartbeat_at < quiet))),
        )
        .values(status="running", heartbeat_at=now, started_at=func.coalesce(Job.started_at, now))
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def _release(job_id: int) -> None:
    try:
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running")
            .values(status="queued", heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except Exception:  # noqa: BLE001 (the database may be what failed; the heartbeat then goes stale)
        db.session.rollback()


def _finish(job: Job, summary: str, status: str = "done") -> None:
    """End ``job`` with ``summary`` (a text, or one worded in every language by
    :func:`~survey.i18n.in_every_language`, as the page reads it back with ``stored_text``)."""
    job.status, job.summary, job.finished_at = status, summary, utcnow()


def _run_mail(job: Job, settings: MailSettings, *, batch: int, resumed: bool) -> bool:
    kind, number = job.params["email"], int(job.params["round"])
    wave = job.wave
    if job.total is None:
        job.total = _round_size(wave, kind, number)

    def checkpoint() -> None:
        job.heartbeat_at = utcnow()
        db.session.commit()

    report = send_round(wave, kind, number, settings, checkpoint, limit=batch, reclaim=resumed)
    job.sent, job.failed = job.sent + len(report.sent), job.failed + len(report.failed)
    if report.remaining or _left_sending(wave, kind, number):
        # More to send, or a message another run took over and left unfinished: next run.
        job.status, job.heartbeat_at = "queued", utcnow()
        return True
    if job.failed:
        job.error = in_every_language(
            lambda: ngettext(
                "{count} message failed; the wave page lists why.",
                "{count} messages failed; the wave page lists why.",
                job.failed,
            )
        )

    def summary() -> str:
        parts = [_("{count} sent", count=job.sent)] + [_("{count} failed", count=job.failed)] * bool(
            job.failed
        )
        parts += [_("{count} without an e-mail address", count=report.no_address)] * bool(report.no_address)
        parts += [_("{count} of unknown outcome, not retried", count=report.unknown)] * bool(report.unknown)
        return ", ".join(parts) + "."

    _finish(job, in_every_language(summary))
    audit.record(job.created_by, MAIL_EVENTS[kind], organization=wave.organization, subject=_label(wave),
                 details={"round": number, "sent": job.sent, "failed": job.failed, "job": job.id},
                 wave=wave)  # fmt: skip
    return False


def _run_release(job: Job) -> Release | None:
    """Publish (or withhold) the release once: a job resumed after its release was committed
    finds the release's id in its parameters and only builds the files."""
    from survey.services.releases import publish

    if "made" in job.params:
        return db.session.get(Release, job.params["made"])
    made = publish(job.wave, actor=job.created_by, made_by=job.params.get("made_by", ""))
    if made.id is not None:
        # Committed with the release itself, so the two never part.
        job.params = {**job.params, "made": made.id}
    if made.status == "published":
        job.summary = in_every_language(lambda: _("Results released (release {number}).", number=made.number))
    else:
        job.summary = job.error = made.reason
    db.session.commit()
    return made


def _round_size(wave: Wave, kind: str, number: int) -> int:
    """Messages of the round in all: those recorded, and those still owed."""
    from survey.models import Participant

    recorded = round_counts(wave, kind, number)
    owed = db.session.scalar(
        select(func.count())
        .select_from(Invitation)
        .join(Participant, Participant.id == Invitation.participant_id)
        .outerjoin(
            EmailSend,
            (EmailSend.invitation_id == Invitation.id)
            & (EmailSend.kind == kind)
            & (EmailSend.round == number),
        )
        .where(
            Invitation.wave_id == wave.id,
            Invitation.revoked_at.is_(None),
            Invitation.used_at.is_(None),
            Participant.email.is_not(None),
            Participant.email != "",
            EmailSend.id.is_(None),
        )
    )
    return sum(recorded.values()) + int(owed or 0)


def _left_sending(wave: Wave, kind: str, number: int) -> int:
    """Messages of the round still in ``sending`` that a resumed run would send."""
    from survey.models import Participant

    return int(
        db.session.scalar(
            select(func.count())
            .select_from(EmailSend)
            .join(Invitation, Invitation.id == EmailSend.invitation_id)
            .join(Participant, Participant.id == Invitation.participant_id)
            .where(
                Invitation.wave_id == wave.id,
                EmailSend.kind == kind,
                EmailSend.round == number,
                EmailSend.status == "sending",
                Invitation.revoked_at.is_(None),
                Invitation.used_at.is_(None),
                Participant.email.is_not(None),
                Participant.email != "",
            )
        )
        or 0
    )


def round_counts(wave: Wave, kind: str, number: int) -> dict[str, int]:
    """Messages of one round by status (``sending``, ``delivering``, ``sent``, ``failed``)."""
    return dict(
        db.session.execute(
            select(EmailSend.status, func.count())
            .join(Invitation, Invitation.id == EmailSend.invitation_id)
            .where(Invitation.wave_id == wave.id, EmailSend.kind == kind, EmailSend.round == number)
            .group_by(EmailSend.status)
        ).all()
    )


@dataclass(frozen=True)
class MailProgress:
    """The latest e-mail job of a wave, for the wave page and the command line."""

    job_id: int
    #: ``invitation`` or ``reminder``, and the round.
    email: str
    round: int
    status: str
    total: int | None
    sent: int
    failed: int
    unknown: int
    summary: str
    #: Queued or running, but no worker has taken it or shown a sign of life for a while.
    waiting_for_worker: bool

    @property
    def pending(self) -> int | None:
        if self.total is None:
            return None
        return max(self.total - self.sent - self.failed - self.unknown, 0)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


def mail_progress(
    wave: Wave, *, worker_seen: datetime | None, wait_notice: float, now: datetime | None = None
) -> MailProgress | None:
    """How the latest e-mail job of ``wave`` stands (``None``: there is none).

    ``worker_seen`` is the worker's last heartbeat; the job is said to be waiting for the
    worker when that is older than ``wait_notice`` seconds, or the job has been queued or
    silent that long.
    """
    job = db.session.scalar(
        select(Job).where(Job.wave_id == wave.id, Job.kind == "mail").order_by(Job.id.desc()).limit(1)
    )
    return progress_of(job, worker_seen=worker_seen, wait_notice=wait_notice, now=now) if job else None


def progress_of(
    job: Job, *, worker_seen: datetime | None, wait_notice: float, now: datetime | None = None
) -> MailProgress:
    """:func:`mail_progress` of one job."""
    counts = round_counts(job.wave, job.params["email"], int(job.params["round"]))
    waiting = _waiting(job, worker_seen=worker_seen, wait_notice=wait_notice, now=now)
    return MailProgress(
        job_id=job.id, email=job.params["email"], round=int(job.params["round"]), status=job.status,
        total=job.total, sent=counts.get("sent", 0), failed=counts.get("failed", 0),
        unknown=counts.get("delivering", 0), summary=job.summary or "", waiting_for_worker=waiting,
    )  # fmt: skip


def _waiting(job: Job, *, worker_seen: datetime | None, wait_notice: float, now: datetime | None) -> bool:
    now = now or utcnow()
    notice = timedelta(seconds=wait_notice)
    quiet = job.heartbeat_at or job.created_at
    return job.status in ("queued", "running") and (
        worker_seen is None or now - worker_seen > notice or now - quiet > notice
    )


@dataclass(frozen=True)
class ReleaseProgress:
    """A release job of a wave still queued or running, for the wave page."""

    job_id: int
    status: str
    #: Made because the wave closed (rather than by the release button).
    at_close: bool
    waiting_for_worker: bool


def release_progress(
    wave: Wave, *, worker_seen: datetime | None, wait_notice: float, now: datetime | None = None
) -> ReleaseProgress | None:
    """The release being prepared for ``wave`` (``None``: none is queued or running)."""
    job = _unfinished(wave, "release")
    if job is None:
        return None
    return ReleaseProgress(
        job_id=job.id, status=job.status, at_close=job.params.get("made_by") == CLOSE_RELEASE,
        waiting_for_worker=_waiting(job, worker_seen=worker_seen, wait_notice=wait_notice, now=now),
    )  # fmt: skip


def stalled(*, stale_after: float, now: datetime | None = None) -> list[Job]:
    """Unfinished jobs to put on the queue again: running ones whose heartbeat is older than
    ``stale_after`` seconds, and queued ones left untaken ten times that long since they were
    queued (or last ran: a lost queue)."""
    now = now or utcnow()
    quiet = now - timedelta(seconds=stale_after)
    lost = now - timedelta(seconds=10 * stale_after)
    return list(
        db.session.scalars(
            select(Job)
            .where(
                ((Job.status == "running") & (Job.heartbeat_at < quiet))
                | ((Job.status == "queued") & (func.coalesce(Job.heartbeat_at, Job.created_at) < lost))
            )
            .order_by(Job.id)
        )
    )


def close_due(now: datetime | None = None) -> list[Job]:
    """Close every open wave whose closing time has passed (audited as automatic); the jobs
    that release their results (``job.wave`` is the wave), to put on the queue."""
    closed = []
    for wave in due_to_close(now):
        closed.append(close_and_release(wave, None))
        audit.record(None, "wave.closed", organization=wave.organization, subject=_label(wave),
                     details={"automatic": True}, wave=wave)  # fmt: skip
    return closed


#: Why reminder days are refused for a wave without a closing time.
NEEDS_CLOSE = N_("Automatic reminders count days before the close: give the wave a closing time.")
#: Reminder days allowed: whole days before the close, and how many a wave may have.
REMINDER_DAYS_RANGE = (1, 60)
MAX_REMINDER_DAYS = 5


def parse_reminder_days(text: str | None) -> list[int]:
    """``"3, 1"`` as ``[3, 1]``: whole days before the close, largest first (``""``: none).

    Each day is a whole number from 1 to 60, given once, and at most five of them; anything
    else raises :class:`ServiceError` naming the offending part. Used by the wave form and
    ``mindgap waves reminders``.
    """
    low, high = REMINDER_DAYS_RANGE
    days: list[int] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not (part.isascii() and part.isdigit()) or not low <= int(part) <= high:
            raise ServiceError(
                _(
                    "Reminder days are whole numbers of days before the close, {low} to {high}, separated "
                    "by commas (e.g. 3, 1); '{part}' is not one.",
                    low=low,
                    high=high,
                    part=part[:20],
                )
            )
        if int(part) in days:
            raise ServiceError(_("Reminder days are each given once; {day} is given twice.", day=int(part)))
        days.append(int(part))
    if len(days) > MAX_REMINDER_DAYS:
        raise ServiceError(
            _(
                "At most {limit} reminder days per wave; {count} were given.",
                limit=MAX_REMINDER_DAYS,
                count=len(days),
            )
        )
    return sorted(days, reverse=True)


def next_reminder(wave: Wave, now: datetime | None = None) -> datetime | None:
    """When the next automatic reminder of ``wave`` is due (``None``: no more are scheduled)."""
    now = now or utcnow()
    if wave.status == "closed" or wave.closes_at is None:
        return None
    marks = sorted(wave.closes_at - timedelta(days=d) for d in (wave.reminder_days or []))
    return next((mark for mark in marks if mark > now), None)


def set_reminder_days(wave: Wave, days: list[int], actor: User | None = None) -> Wave:
    """Send a reminder round by itself ``days`` days before ``wave`` closes (``[]``: never)."""
    if days and wave.closes_at is None:
        raise ServiceError(_(NEEDS_CLOSE))
    wave.reminder_days = list(days)
    audit.record(actor, "wave.reminders_scheduled", organization=wave.organization, subject=_label(wave),
                 details={"days": list(days)}, wave=wave)  # fmt: skip
    return wave


def reminders_due(now: datetime | None = None) -> list[Job]:
    """Reminder jobs for the open waves that reached one of their reminder days since the last.

    A day counts once: a reminder job recorded at or after that day's moment (``closes_at``
    minus the days) means it is done. Only people who have not submitted are reminded.
    """
    now = now or utcnow()
    jobs = []
    waves = db.session.scalars(
        select(Wave).where(Wave.status == "open", Wave.closes_at.is_not(None), Wave.closes_at > now)
    ).all()
    for wave in waves:
        marks = [wave.closes_at - timedelta(days=d) for d in (wave.reminder_days or [])]
        passed = [mark for mark in marks if mark <= now]
        if not passed:
            continue
        latest_mark = max(passed)
        _number, started = latest_reminder_round(wave)
        if started is not None and started >= latest_mark:
            continue  # a round went out since (by hand or by an earlier check)
        done = db.session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.wave_id == wave.id, Job.kind == "mail", Job.created_at >= latest_mark)
            .where(Job.params["email"].as_string() == "reminder")
        )
        if done:
            continue
        try:
            jobs.extend(request_mail(wave, "reminder", None))
        except ServiceError:
            continue  # a round went out lately (by hand): this day is covered
    return jobs


def run_schedules(now: datetime | None = None) -> list[Job]:
    """The minute's work: close the waves that are due (their releases become jobs), record
    due reminder rounds; the jobs to put on the queue."""
    return close_due(now) + reminders_due(now)
