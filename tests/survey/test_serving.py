"""The production server settings: the command line, and access logs that keep survey tokens out."""

from __future__ import annotations

import datetime
import logging
from types import SimpleNamespace

from gunicorn.config import Config

from survey.serving import RedactingLogger, gunicorn_command

TOKEN = "Zq3x_9-secretTokenValue0123456789abcdefghij"


def access_line(path: str, query: str = "", referer: str = "-") -> str:
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %({raw_uri}e)s')
    logger = RedactingLogger(config)
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger.access_log.handlers = [handler]
    raw_uri = path + (f"?{query}" if query else "")
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": raw_uri, "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": path,
               "QUERY_STRING": query, "REMOTE_ADDR": "10.0.0.7", "HTTP_REFERER": referer}  # fmt: skip
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    request = SimpleNamespace(headers=[("REFERER", referer)])
    logger.access(response, request, environ, datetime.timedelta(milliseconds=12))
    assert len(lines) == 1
    return lines[0]


def test_access_log_never_shows_survey_tokens():
    for path in (f"/s/{TOKEN}", f"/s/{TOKEN}/start", f"/s/{TOKEN}/p/3", f"/s/{TOKEN}/thanks"):
        line = access_line(path, query="lang=de", referer=f"https://survey.example.org/s/{TOKEN}/p/2")
        assert TOKEN not in line
        assert "/s/[token]" in line
        assert line.startswith('10.0.0.7 "POST /s/[token]')  # the rest of the line is kept


def test_access_log_keeps_other_paths_as_they_are():
    line = access_line("/reports/waves/7", query="team=3")
    assert '"POST /reports/waves/7?team=3 HTTP/1.1"' in line


def test_production_command_uses_single_threaded_workers_and_the_redacting_logger(monkeypatch):
    monkeypatch.delenv("MINDGAP_WORKERS", raising=False)
    monkeypatch.delenv("MINDGAP_THREADS", raising=False)
    command = gunicorn_command("127.0.0.1", 8000)
    option = dict(zip(command, command[1:], strict=False))
    assert option["--logger-class"] == "survey.serving.RedactingLogger"
    assert option["--threads"] == "1"
    assert option["--worker-class"] == "gthread"  # keeps browsers' connections alive
    assert 2 <= int(option["--workers"]) <= 16
    assert command[-1] == "survey:create_app()"
    monkeypatch.setenv("MINDGAP_WORKERS", "6")
    monkeypatch.setenv("MINDGAP_THREADS", "2")
    option = dict(zip(command := gunicorn_command("10.1.2.3", 80), command[1:], strict=False))
    assert (option["--workers"], option["--threads"], option["--bind"]) == ("6", "2", "10.1.2.3:80")
