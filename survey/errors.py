"""Error pages: a clear page for every 4xx, a rolled-back session for every 5xx."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError, NotFound, ServiceUnavailable

from survey.extensions import db
from survey.i18n import N_, _
from survey.security import redact_tokens

#: The heading and text of each error page, in the reader's language, where the code that
#: raised the error gave no words of its own (Werkzeug's defaults are English, and technical).
PAGES = {
    400: (
        N_("The request could not be read"),
        N_("Something in what your browser sent is not valid here. Go back, reload the page and try again."),
    ),
    401: (N_("Please sign in"), N_("This page is for signed-in users. Sign in and try again.")),
    403: (N_("Not allowed"), N_("Your account may not open this page or do this.")),
    404: (
        N_("Page not found"),
        N_(
            "There is no page at this address, or it is not yours to see. Check the address, or start again "
            "from the start page."
        ),
    ),
    405: (N_("Not possible here"), N_("This address does not accept that kind of request.")),
    413: (
        N_("Too large"),
        N_("What you sent is larger than Mindgap accepts. Send a smaller file, or split it in parts."),
    ),
    429: (
        N_("Too many requests"),
        N_("Too many requests came from your address. Wait a minute and try again."),
    ),
    500: (
        N_("Something went wrong"),
        N_(
            "Mindgap could not finish this request, and nothing half-done was kept. Please try again; if it "
            "happens again, tell your administrator."
        ),
    ),
    503: (
        N_("Unavailable for a moment"),
        N_("Mindgap cannot answer just now. Please try again in a few seconds."),
    ),
}
#: A form sent with a missing, expired or foreign anti-forgery token (Flask-WTF's CSRF check).
EXPIRED_FORM = (
    N_("This form is no longer valid"),
    N_(
        "Your session changed after the page was opened (you signed in or out, or the browser cleared its "
        "cookies), so the form was not accepted. Reload the page and send the form again."
    ),
)


def page_texts(error: HTTPException) -> tuple[str, str]:
    """The heading and the text of ``error``'s page, in the current language."""
    if isinstance(error, CSRFError):
        title, text = EXPIRED_FORM
        return _(title), _(text)
    title, text = PAGES.get(error.code or 500, PAGES[500 if (error.code or 500) >= 500 else 400])
    # A description the raising code chose is already in the reader's language (it used _()).
    own = error.description and error.description != type(error).description
    return _(title), (error.description if own else _(text))


def wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _render(error: HTTPException):
    # Keep what the error says in headers (Retry-After on 429 and 503, Allow on 405).
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    if wants_json():
        return jsonify(error=error.name, message=error.description, status=error.code), error.code, headers
    title, text = page_texts(error)
    return render_template("errors/error.html", error=error, title=title, text=text), error.code, headers


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
            _("Mindgap cannot reach its database for a moment. Nothing you sent was lost or half-saved: "
              "please try again in a few seconds."),
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
