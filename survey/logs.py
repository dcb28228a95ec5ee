"""The app's log lines: text or JSON, each carrying the id of the request it belongs to.

Every request gets an id: the ``X-Request-ID`` header a proxy or client sent, when it is a
plausible id (1-128 letters, digits and ``.-_:``), else a new random one. The response
returns it in ``X-Request-ID``, and every line the app logs while handling that request
carries it (``request_id``; ``-`` outside requests), so one request's lines can be found
among all instances' logs and matched with the proxy's and gunicorn's access lines (which
print the response's header).

``LOG_FORMAT`` chooses ``text`` (one line: time, level, request id, logger, message) or
``json`` (one object a line: ``time``, ``level``, ``logger``, ``message``, ``request_id``, and
``exception`` for a traceback). Survey tokens are cut out of every line in both formats.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

from survey.security import redact_tokens

HEADER = "X-Request-ID"
#: What an accepted incoming id looks like; anything else is replaced by a new one.
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def init_app(app: Flask) -> None:
    """Give requests an id and the app's loggers a handler in ``LOG_FORMAT``."""
    log_format = str(app.config.get("LOG_FORMAT") or "text").lower()
    if log_format not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    app.before_request(_assign_request_id)
    app.after_request(_return_request_id)
    handler = RequestLogHandler(JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    # The app's own logger ("survey") and the development server's request lines ("werkzeug").
    for logger in (app.logger, logging.getLogger("werkzeug")):
        for old in [
            one for one in logger.handlers if isinstance(one, RequestLogHandler) or one is default_handler
        ]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)


def request_id() -> str:
    """The current request's id (``-`` outside a request)."""
    if not has_request_context():
        return "-"
    return g.get("request_id") or "-"


def _assign_request_id() -> None:
    sent = request.headers.get(HEADER, "")
    g.request_id = sent if WELL_FORMED_ID.fullmatch(sent) else uuid.uuid4().hex


def _return_request_id(response):
    if "request_id" in g:
        response.headers[HEADER] = g.request_id
    return response


class RequestLogHandler(logging.StreamHandler):
    """Writes to the standard error stream of the moment, with the request id on each record."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # StreamHandler's constructor sets it; sys.stderr is read at each write
        pass

    def emit(self, record: logging.LogRecord) -> None:
        record.request_id = request_id()
        super().emit(record)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_tokens(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact_tokens(record.getMessage()),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = redact_tokens(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
