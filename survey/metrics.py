"""Prometheus metrics at ``/metrics``: request latency per endpoint, job queue depth, e-mails.

- ``mindgap_request_duration_seconds{endpoint,method}``: a histogram of the time from the start
  of a request to its response, labelled with the Flask endpoint name (``respond.page``), never
  the path: survey links carry the respondent's token in theirs. Requests that match no route
  are labelled ``none``.
- ``mindgap_requests_total{endpoint,method,status}``: answered requests by status code.
- ``mindgap_job_queue_depth``: tasks waiting on the job queue, read from its store at each scrape.
- ``mindgap_emails_total{kind,result}``: invitations and reminders handed to the mail backend
  (``result="sent"``) or that failed (``result="failed"``), counted by
  :mod:`survey.services.mailing` in the process that sends (the worker, or the app when jobs
  run at once).

``/metrics`` answers only with ``Authorization: Bearer <METRICS_TOKEN>``; without a token
configured it does not exist (404). Under gunicorn every worker process counts on its own:
set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder writable by all of them (and by the job
worker, to see its e-mail counts) before they start, and ``/metrics`` adds up the files there.
"""

from __future__ import annotations

import hmac
import os
import socket
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROCESS_DIR:
    # Files are named by process: with the app and the worker in two containers sharing the folder,
    # a process id alone may be the same in both, so the host name goes into the name too.
    _HOST = socket.gethostname().replace("_", "-")
    values.ValueClass = values.MultiProcessValue(lambda: f"{_HOST}-{os.getpid()}")

#: Seconds; survey pages answer in tens of milliseconds, first report builds take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_SECONDS = Histogram(
    "mindgap_request_duration_seconds",
    "Time from the start of a request to its response, by Flask endpoint.",
    ["endpoint", "method"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS = Counter(
    "mindgap_requests", "Answered requests by endpoint and status.", ["endpoint", "method", "status"]
)
EMAILS = Counter(
    "mindgap_emails",
    "Invitations and reminders handed to the mail backend (sent) or failed.",
    ["kind", "result"],
)

bp = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    """Time every request and register ``/metrics``."""
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(bp)


def count_email(kind: str, sent: bool) -> None:
    """Count one message of ``kind`` (``invitation``, ``reminder``) as sent or failed."""
    EMAILS.labels(kind=kind, result="sent" if sent else "failed").inc()


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "none"
        REQUEST_SECONDS.labels(endpoint, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    return response


class _QueueDepth:
    """A collector that reads the job queue's length when scraped (one store query)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        from survey import jobs  # here, not at the top: jobs -> services -> mailing -> metrics

        try:
            depth = jobs.queue_depth(self.app)
        except Exception:  # noqa: BLE001 (an unreachable store shows as a missing series; /readyz says why)
            self.app.logger.warning("Metrics: the job store is unreachable", exc_info=True)
            return
        yield GaugeMetricFamily("mindgap_job_queue_depth", "Tasks waiting on the job queue.", value=depth)


def _authorised() -> bool:
    token = str(current_app.config.get("METRICS_TOKEN") or "")
    if not token:
        abort(404)
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


@bp.get("/metrics")
def metrics():
    """The metrics in Prometheus' text format (bearer token required)."""
    if not _authorised():
        return Response(
            "A bearer token is needed.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    if MULTIPROCESS_DIR:
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    queue = CollectorRegistry()
    queue.register(_QueueDepth(current_app._get_current_object()))
    body = generate_latest(counted) + generate_latest(queue)
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})
