"""Liveness and readiness for load balancers and orchestrators: ``/healthz`` and ``/readyz``.

``/healthz`` answers 200 as long as the process serves requests; it touches nothing else, so a
database outage never makes an orchestrator restart healthy app processes. ``/readyz`` runs the
app's readiness checks (the database, the job store) and answers 200 when all pass, 503 naming
the ones that failed. Neither needs a sign-in, no rate limit applies to them, and the answers
carry no detail an outsider could use (the reasons go to the log).

A check is a function of the app returning ``""`` when all is well, else a short reason;
:func:`add_check` registers one.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from survey import jobs
from survey.extensions import db

bp = Blueprint("health", __name__)

_CHECKS = "mindgap.readiness_checks"

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
    """``""`` if ``SELECT 1`` succeeds on a fresh connection from the pool, else the error's kind."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 (any failure means "not ready")
        app.logger.warning("Readiness: the database is unreachable: %s", error)
        return "unreachable"
    return ""


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
