"""Error pages: a clear page for every 4xx, a rolled-back session for every 5xx."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from survey.extensions import db


def wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _render(error: HTTPException):
    if wants_json():
        return jsonify(error=error.name, message=error.description, status=error.code), error.code
    return render_template("errors/error.html", error=error), error.code


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if error.code and error.code >= 500:
            db.session.rollback()
        return _render(error)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        db.session.rollback()
        if app.testing:
            raise error  # tests see the real traceback
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(InternalServerError())
