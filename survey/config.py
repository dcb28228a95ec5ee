"""Configuration defaults and the layering that overrides them.

Order (later wins): these defaults → ``instance/config.py`` (git-ignored) →
``MINDGAP_*`` environment variables → the mapping a test passes to ``create_app``.
A ``.env`` file in the working directory or the instance folder fills in environment
variables that are not set (:func:`load_env_files`); a variable set in the environment wins.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

#: The development secret key. Fine on a laptop, refused anywhere else.
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105


class DefaultConfig:
    SECRET_KEY = DEV_SECRET_KEY
    #: ``MINDGAP_DATABASE_URL``; empty means a SQLite file in the instance folder.
    DATABASE_URL = ""
    #: No pre-ping round trip on every request: after a database restart the first request on a
    #: stale connection gets a 503 and SQLAlchemy replaces the whole pool, so service resumes.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": False, "pool_size": 10, "max_overflow": 10}
    #: Seconds SQLite waits for a lock before "database is locked".
    SQLITE_BUSY_TIMEOUT = 15
    #: Seconds ``/readyz`` waits for the database to accept a connection before it answers 503.
    READINESS_TIMEOUT = 2
    #: Seconds any reply from Redis (the job store on redis://) may take before the call fails.
    REDIS_TIMEOUT = 10
    #: Smallest group whose results may be shown; never below :data:`MIN_ANONYMITY_THRESHOLD`.
    DEFAULT_ANONYMITY_THRESHOLD = 5
    #: Public URL of the app, used in invitation links (``MINDGAP_BASE_URL``).
    BASE_URL = "http://127.0.0.1:5000"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: How long a sign-in lasts at most, without and with "keep me signed in" (a timedelta, or
    #: seconds: ``MINDGAP_SIGNIN_LIFETIME=43200``). The remember-me cookie expires with it.
    SIGNIN_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    #: Failed sign-ins tolerated per client address, whatever the accounts, before 429; and
    #: wrong current passwords on the change-password form, per account and per address.
    SIGNIN_ADDRESS_LIMIT = "30 per 10 minutes"
    PASSWORD_CHECK_LIMIT = "5 per 15 minutes"  # noqa: S105 (a rate, not a password)
    #: "Forgot password" requests per client address (each one counts, sent or not).
    PASSWORD_RESET_LIMIT = "5 per 15 minutes"  # noqa: S105 (a rate, not a password)
    WTF_CSRF_TIME_LIMIT = None
    #: Where rate-limit counters live: ``memory://`` for one process, ``redis://host:6379`` for
    #: several app instances (``MINDGAP_RATELIMIT_STORAGE_URI``).
    RATELIMIT_STORAGE_URI = "memory://"
    #: Unknown invitation links tolerated per client address before 429 (guessing defence).
    INVITE_LOOKUP_LIMIT = "30 per minute"
    #: Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = 0
    #: Requests larger than this are refused with 413 (roster and instrument uploads included).
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    #: SMTP server for invitations and reminders (``MINDGAP_MAIL_*``).
    MAIL_HOST = "localhost"
    MAIL_PORT = 25
    #: Upgrade the connection with STARTTLS before signing in (``MINDGAP_MAIL_STARTTLS=true``).
    MAIL_STARTTLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    #: The sender of invitations, e.g. ``Mindgap <surveys@example.com>``.
    MAIL_FROM = "mindgap@localhost"
    #: How messages leave (``MINDGAP_MAIL_BACKEND``): ``smtp`` through ``MAIL_HOST``; ``file`` writes
    #: each one as an ``.eml`` file to ``MAIL_FOLDER``; ``console`` prints it. ``make run`` uses ``file``.
    MAIL_BACKEND = "smtp"
    #: Folder of the ``file`` backend; empty means ``mail/`` in the instance folder.
    MAIL_FOLDER = ""
    #: ``text`` or ``json`` (one object a line); every line of a request carries its request id.
    LOG_FORMAT = "text"
    #: Bearer token that ``/metrics`` asks for; empty turns ``/metrics`` off (404).
    METRICS_TOKEN = ""
    #: The job queue (``MINDGAP_JOBS_URL``): empty for a SQLite file in the instance folder,
    #: ``redis://host:6379/0`` in production, ``sqlite:///path`` or ``memory://``.
    JOBS_URL = ""
    #: Run each job at once in the process that asks for it (tests; no worker needed).
    JOBS_IMMEDIATE = False
    #: Seconds without a heartbeat after which a running job is resumed by another run.
    JOBS_STALE_AFTER = 60
    #: Seconds after which the wave page says a queued job is waiting for the worker.
    JOBS_WAIT_NOTICE = 15
    #: Threads of one ``mindgap worker``.
    JOBS_WORKERS = 2
    #: Messages one run of an e-mail job sends before it puts itself back on the queue.
    MAIL_BATCH_SIZE = 100


def database_url(config, instance_path: str) -> str:
    """The SQLAlchemy URL: ``DATABASE_URL`` or the embedded SQLite default."""
    url = config.get("DATABASE_URL") or ""
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "mindgap.sqlite")
    # Accept the URLs that hosting providers hand out, and select psycopg 3 for them.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def project_root() -> Path:
    """The folder holding ``templates/`` and ``migrations/``: the checkout or the installed package."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "migrations").is_dir() and (checkout / "templates").is_dir():
        return checkout
    return Path(__file__).resolve().parent


def load_env_files(*folders: str | os.PathLike) -> list[Path]:
    """Read ``.env`` in each of ``folders`` into ``os.environ``; the files that were read.

    A variable already set keeps its value (the real environment wins, then the first file
    that names it), so ``MINDGAP_DATABASE_URL=… mindgap serve`` overrides the file. Processes
    started from here (gunicorn's workers) inherit what was read.
    """
    read = []
    for folder in folders:
        path = Path(folder) / ".env"
        if path.is_file():
            load_dotenv(path, override=False)
            read.append(path)
    return read


def mail_folder(config, instance_path: str) -> str:
    """Where the ``file`` mail backend writes: ``MAIL_FOLDER`` or ``mail/`` in the instance folder.

    Refuses an unknown ``MAIL_BACKEND`` here, at start-up, rather than at the first message.
    """
    from survey.services.mail_backends import BACKENDS

    backend = str(config.get("MAIL_BACKEND") or "smtp").lower()
    if backend not in BACKENDS:
        raise RuntimeError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    return str(config.get("MAIL_FOLDER") or os.path.join(instance_path, "mail"))
