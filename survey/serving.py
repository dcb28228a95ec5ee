"""How production serves Mindgap: the gunicorn command line and an access log without secrets.

``mindgap serve`` and the load benchmark both use :func:`gunicorn_command`, so what is
measured is what runs.

Workers: one process per CPU core (at least two), one thread each. Survey requests spend most
of their time in Python, so threads of one process mostly wait for each other's interpreter
lock, and processes beyond the cores only add switching: measured on 2 cores with the database
on the same machine, 4 threads per worker or 2 x cores + 1 workers cost 20-50 % more CPU per
request and raised the 99th percentile latency (docs/PERFORMANCE.md). The ``gthread`` worker
class, even with one thread, keeps browsers' connections alive between pages.
"""

from __future__ import annotations

import os
import sys

from gunicorn.glogging import Logger

from survey.security import redact_tokens

#: gunicorn's default access line, and the request id the app returned (``survey.logs``), so an
#: access line can be matched with the app's lines of the same request.
ACCESS_LOG_FORMAT = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)sus id=%({x-request-id}o)s'
)


def default_workers() -> int:
    """``MINDGAP_WORKERS``, or one worker per CPU core (at least 2, at most 16)."""
    return int(os.environ.get("MINDGAP_WORKERS") or min(max(os.cpu_count() or 1, 2), 16))


def default_threads() -> int:
    """``MINDGAP_THREADS``, or one thread per worker."""
    return int(os.environ.get("MINDGAP_THREADS") or 1)


def gunicorn_command(host: str, port: int, workers: int | None = None, threads: int | None = None,
                     access_log: str = "-", app: str = "survey:create_app()") -> list[str]:  # fmt: skip
    """The production gunicorn command line; ``access_log`` is a file name or ``-`` (stdout)."""
    workers = workers or default_workers()
    threads = threads or default_threads()
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        "--worker-class", "gthread",
        "--workers", str(workers),
        "--threads", str(threads),
        "--timeout", "30",
        "--graceful-timeout", "20",
        "--keep-alive", "5",
        "--backlog", "2048",
        "--access-logfile", access_log,
        "--access-logformat", ACCESS_LOG_FORMAT,
        "--logger-class", "survey.serving.RedactingLogger",
        app,
    ]  # fmt: skip


class RedactingLogger(Logger):
    """gunicorn's logger, with survey tokens cut out of every access-log field that shows a URL."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str) and "/s/" in value:
                atoms[key] = redact_tokens(value)
        return atoms
