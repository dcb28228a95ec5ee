"""The job queue: long work (e-mail rounds, releases, report files, schedules) outside requests.

The queue is `Huey <https://huey.readthedocs.io>`_, created here unbound and configured by
``create_app`` from ``JOBS_URL``: empty means a SQLite file beside the database in the
instance folder (no extra service), ``redis://…`` a Redis server (priorities kept), and
``JOBS_IMMEDIATE`` runs every job at once in the calling process (the tests). ``mindgap
worker`` runs the consumer (:func:`run_worker`).

Once a day the raw answers past their organisation's retention period are deleted
(:func:`survey.services.privacy.apply_retention`).

The queue carries only the id of a :class:`~survey.models.Job` row; what a job does, and
how it resumes, lives in :mod:`survey.services.background`. Huey takes a task off the queue
when a worker starts it, so a worker killed mid-job loses the task: every minute (and when a
worker starts) jobs whose heartbeat has gone quiet are put on the queue again. Every job is
idempotent, so running one twice changes nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import MemoryHuey, PriorityRedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.storage import RedisStorage
from redis import ConnectionPool, Redis

from survey.extensions import db
from survey.models import Job
from survey.services import actions as action_plans
from survey.services import background, privacy
from survey.services.mailing import MailSettings

#: Where the worker writes the time it last showed a sign of life.
HEARTBEAT_KEY = "mindgap:worker-heartbeat"
#: Seconds between two heartbeats of a worker.
HEARTBEAT_SECONDS = 5
#: Attempts after the first, and the delay before the first retry (doubled each time).
RETRIES = 5
RETRY_DELAY_SECONDS = 10


class JobQueue:
    """The extension, created unbound; ``init_app`` gives each app a queue of its own."""

    def init_app(self, app: Flask) -> None:
        """Create the app's Huey instance from ``app.config`` and register the tasks on it."""
        app.extensions["mindgap.jobs"] = _AppQueue(app)


class _AppQueue:
    """One app's queue: a Huey instance whose tasks run in that app's context."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.huey: Huey = _make_huey(app)
        self._run: Callable = self.huey.task(
            retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=2, context=True, name="run_job"
        )(self._run_job)
        self.huey.periodic_task(crontab(minute="*"), name="every_minute")(self._every_minute)
        self.huey.periodic_task(crontab(minute="7"), name="action_reminders")(self._action_reminders)
        # Once a day, at a quiet hour (UTC): raw answers past their retention period go.
        self.huey.periodic_task(crontab(hour="3", minute="17"), name="daily")(self.daily)

    def _context(self):
        # Run inside the caller's context when it is this app's (immediate mode, in a request):
        # the job then shares the caller's session, as sending did before it was a job.
        if has_app_context() and current_app._get_current_object() is self.app:
            return _Nothing()
        return self.app.app_context()

    def _run_job(self, job_id: int, task=None) -> None:
        with self._context():
            more = background.run(
                job_id,
                MailSettings.from_config(self.app.config),
                batch=int(self.app.config["MAIL_BATCH_SIZE"]),
                last_attempt=task is None or task.retries == 0,
                prebuild=_prebuild,
                stale_after=float(self.app.config["JOBS_STALE_AFTER"]),
            )
            db.session.commit()
        if more:
            self._run(job_id)

    def _every_minute(self) -> None:
        with self._context():
            created = background.run_schedules()
            db.session.commit()
            for job in created:
                self._run(job.id)
            resume_stalled(self.app)

    def daily(self) -> None:
        """The daily duties: delete raw answers past their organisation's retention period."""
        with self._context():
            run = privacy.apply_retention()
            db.session.commit()
        if run.deleted:
            self.app.logger.info("Retention: deleted the raw answers of %d wave(s) (%d responses)",
                                 len(run.deleted), run.total)  # fmt: skip

    def _action_reminders(self) -> None:
        """Every hour: remind action owners of due dates and overdue actions (each at most once)."""
        with self._context():
            settings = MailSettings.from_config(self.app.config)
            action_plans.send_reminders(settings, self.app.config["BASE_URL"])
            db.session.commit()

    def enqueue(self, job: Job) -> None:
        self._run(job.id)


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _make_huey(app: Flask) -> Huey:
    url = str(app.config.get("JOBS_URL") or "")
    immediate = bool(app.config.get("JOBS_IMMEDIATE"))
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Bounded waits, so that a Redis host that stops answering fails a call instead of
        # holding it: connecting within the readiness timeout, any reply within REDIS_TIMEOUT
        # (longer than the one second a worker's blocking read of the queue lasts).
        pool = ConnectionPool.from_url(
            url,
            socket_connect_timeout=float(app.config["READINESS_TIMEOUT"]),
            socket_timeout=float(app.config["REDIS_TIMEOUT"]),
        )
        return PriorityRedisHuey("mindgap", connection_pool=pool, immediate=immediate)
    if url == "memory://":
        return MemoryHuey("mindgap", immediate=immediate)
    if url and not url.startswith("sqlite:///"):
        raise RuntimeError(
            f"JOBS_URL must be empty, sqlite:///FILE, redis://HOST:PORT/DB or memory://, not {url!r}"
        )
    filename = url.removeprefix("sqlite:///") or str(Path(app.instance_path) / "jobs.sqlite")
    return SqliteHuey("mindgap", filename=filename, immediate=immediate)


def _queue(app: Flask | None = None) -> _AppQueue:
    return (app or current_app).extensions["mindgap.jobs"]


def enqueue(job: Job) -> None:
    """Put ``job`` on the queue (commit the row first: the worker reads it)."""
    _queue().enqueue(job)


def queue_depth(app: Flask | None = None) -> int:
    """How many tasks wait on the queue (for metrics)."""
    return _queue(app).huey.pending_count()


def ping(app: Flask | None = None) -> bool:
    """Whether the job store answers (for the readiness check), within the readiness timeout."""
    queue = _queue(app)
    storage = queue.huey.storage
    try:
        if isinstance(storage, RedisStorage):
            # A client of its own whose every wait is the readiness timeout.
            timeout = float(queue.app.config["READINESS_TIMEOUT"])
            settings = dict(storage.pool.connection_kwargs)
            settings.update(socket_connect_timeout=timeout, socket_timeout=timeout)
            pool = ConnectionPool(connection_class=storage.pool.connection_class, **settings)
            client = Redis(connection_pool=pool)
            try:
                client.ping()
            finally:
                client.close()
        else:
            queue.huey.pending_count()
    except Exception:  # noqa: BLE001 (any failure of the store means "not ready")
        return False
    return True


def worker_seen(app: Flask | None = None) -> datetime | None:
    """When a worker last showed a sign of life (``None``: never, or the store is unreachable).

    In immediate mode the caller is the worker, so it is always now.
    """
    queue = _queue(app)
    if queue.huey.immediate:
        return datetime.now(UTC)
    try:
        stamp = queue.huey.get(HEARTBEAT_KEY, peek=True)
    except Exception:  # noqa: BLE001
        return None
    return datetime.fromtimestamp(stamp, UTC) if stamp else None


def resume_stalled(app: Flask) -> list[int]:
    """Put unfinished jobs whose heartbeat went quiet back on the queue; their ids."""
    with _queue(app)._context():
        stalled = background.stalled(stale_after=float(app.config["JOBS_STALE_AFTER"]))
        ids = [job.id for job in stalled]
        db.session.commit()
    for job_id in ids:
        _queue(app)._run(job_id)
    return ids


def _prebuild(wave, release) -> None:
    """Build and cache a release's report page body, PDF and result files (web-layer rendering)."""
    from survey.blueprints.reports.views import prebuild

    app = current_app._get_current_object()
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        prebuild(wave, release)


def run_worker(app: Flask, workers: int) -> None:
    """Run the consumer with ``workers`` threads until Ctrl+C (or SIGTERM: finish, then stop)."""
    queue = _queue(app)
    huey = queue.huey
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            try:
                huey.put(HEARTBEAT_KEY, time.time())
            except Exception:  # noqa: BLE001, S110 (the store may be down for a moment; try again)
                pass
            stop.wait(HEARTBEAT_SECONDS)

    huey.put(HEARTBEAT_KEY, time.time())
    resume_stalled(app)
    beater = threading.Thread(target=beat, name="mindgap-heartbeat", daemon=True)
    beater.start()
    # Polls an empty queue at least every second (Huey's default backs off to 10 s).
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, max_delay=1.0,
                                    check_worker_health=True)  # fmt: skip
    try:
        consumer.run()
    finally:
        stop.set()


#: The queue, bound to an app by ``create_app`` (``queue.init_app(app)``).
queue = JobQueue()
