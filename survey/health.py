"""Liveness and readiness for load balancers and orchestrators: ``/healthz`` and ``/readyz``.

``/healthz`` answers 200 as long as the process serves requests; it touches nothing else, so a
database outage never makes an orchestrator restart healthy app processes. ``/readyz`` runs the
app's readiness checks (the database, the job store) and answers 200 when all pass, 503 naming
the ones that failed. Neither needs a sign-in, no rate limit applies to them, and the answers
carry no detail an outsider could use (the reasons go to the log).

The database check connects on its own, outside the app's pool, with a connect timeout of
``READINESS_TIMEOUT`` seconds (2 by default): a database host that does not answer (a
firewall dropping packets, a server stuck before its greeting) makes ``/readyz`` answer 503
within that time rather than hang until the orchestrator's probe gives up, and a probe never
waits behind requests for a pooled connection.

A check is a function of the app returning ``""`` when all is well, else a short reason;
:func:`add_check` registers one.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from survey import jobs
from survey.extensions import db

bp = Blueprint("health", __name__)

_CHECKS = "mindgap.readiness_checks"
_PROBE_ENGINE = "mindgap.readiness_engine"

Check = Callable[[Flask], str]


def init_app(app: Flask) -> None:
    """Register ``/healthz``, ``/readyz`` and the database and job-store checks."""
    add_check(app, "database", database_problem)
    add_check(app, "jobs", job_store_problem)
    app.register_blueprint(bp)


def add_check(app: Flask, name: str, check: Check) -> None:
    """Make ``/readyz`` fail (503, naming ``name``) whenever ``check(app)`` returns a reason."""
    app.extensions.setdefault(_CHECKS, {})[name] = check


def database_problem(app: Flask) -> str:
    """``""`` if ``SELECT 1`` succeeds on a new connection, made within the readiness timeout."""
    try:
        with probe_engine(app).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 (any failure means "not ready")
        app.logger.warning("Readiness: the database is unreachable: %s", error)
        return "unreachable"
    return ""


def probe_engine(app: Flask) -> Engine:
    """The engine of the database check: the app's database, no pool, its own timeouts.

    On PostgreSQL the driver gives up connecting after ``connect_timeout`` seconds (the TCP
    handshake and the server's greeting together) and ``tcp_user_timeout`` bounds how long
    the query waits for an acknowledgement; on SQLite the timeout is the wait for a lock.
    """
    engine = app.extensions.get(_PROBE_ENGINE)
    if engine is None:
        seconds = float(app.config.get("READINESS_TIMEOUT") or 2)
        with app.app_context():
            url = db.engine.url
        if url.get_backend_name() == "postgresql":
            # connect_timeout is in whole seconds, tcp_user_timeout in milliseconds.
            connect_args = {
                "connect_timeout": max(1, round(seconds)),
                "tcp_user_timeout": int(seconds * 1000),
            }
        else:
            connect_args = {"timeout": seconds}
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
        app.extensions[_PROBE_ENGINE] = engine
    return engine


def job_store_problem(app: Flask) -> str:
    """``""`` if the job queue's store (SQLite file or Redis) answers."""
    if jobs.ping(app):
        return ""
    app.logger.warning("Readiness: the job store is unreachable")
    return "unreachable"


@bp.get("/healthz")
def healthz():
    """The process is alive."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz():
    """Every dependency needed to serve requests answers."""
    app = current_app._get_current_object()
    results = {name: check(app) for name, check in app.extensions.get(_CHECKS, {}).items()}
    failed = sorted(name for name, problem in results.items() if problem)
    response = jsonify(
        status="not ready" if failed else "ready",
        checks={name: problem or "ok" for name, problem in results.items()},
        failed=failed,
    )
    response.status_code = 503 if failed else 200
    return _no_store(response)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
