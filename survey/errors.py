"""Error pages: a clear page for every 4xx, a rolled-back session for every 5xx."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError, NotFound, ServiceUnavailable

from survey.extensions import db
from survey.security import redact_tokens


def wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _render(error: HTTPException):
    # Keep what the error says in headers (Retry-After on 429 and 503, Allow on 405).
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    if wants_json():
        return jsonify(error=error.name, message=error.description, status=error.code), error.code, headers
    return render_template("errors/error.html", error=error), error.code, headers


def init_app(app: Flask) -> None:
    from survey.services.access import ForbiddenError, NotFoundError

    @app.errorhandler(NotFoundError)
    def handle_not_found(error: NotFoundError):
        """Another organisation's object, or none at all: the same 404, so nothing is revealed."""
        return handle_http_error(NotFound(str(error)))

    @app.errorhandler(ForbiddenError)
    def handle_forbidden(error: ForbiddenError):
        return handle_http_error(Forbidden(str(error)))

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if error.code and error.code >= 500:
            db.session.rollback()
        return _render(error)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    def handle_database_unavailable(error):
        """The database is down or restarting: say so, ask the client to retry, keep nothing half-done."""
        if isinstance(error, DBAPIError) and not _is_connection_problem(error):
            return handle_unexpected(error)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001, S110 - the connection is gone; the pool will replace it
            pass
        path = redact_tokens(request.path)
        app.logger.warning("Database unavailable on %s %s: %s", request.method, path, error)
        return _render(ServiceUnavailable(
            "Mindgap cannot reach its database for a moment. Nothing you sent was lost or half-saved: "
            "please try again in a few seconds.",
            retry_after=int(app.config.get("RETRY_AFTER_SECONDS", 5)),
        ))  # fmt: skip

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        db.session.rollback()
        if app.testing:
            raise error  # tests see the real traceback
        app.logger.exception("Unhandled error on %s %s", request.method, redact_tokens(request.path))
        return _render(InternalServerError())


#: Driver messages that mean the database cannot be reached right now.
CONNECTION_PROBLEMS = (
    "connection refused",
    "could not connect",
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "the database system is",
    "connection timeout",
    "ssl connection has been closed",
    "database is locked",
)


def _is_connection_problem(error: DBAPIError) -> bool:
    """Errors that mean "cannot talk to the database now", not "this statement is wrong"."""
    if error.connection_invalidated:
        return True
    text = str(error.orig).lower() if error.orig is not None else str(error).lower()
    return any(marker in text for marker in CONNECTION_PROBLEMS)
