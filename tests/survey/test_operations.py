"""The operator's kit: health and readiness, metrics, request ids in logs, .env files, local mail."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import stat
import threading
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from survey import create_app, health, logs
from survey.config import load_env_files
from survey.extensions import db
from survey.models import EmailSend, Participant
from survey.services.invitations import find_invitation
from survey.services.mailing import MailSettings, delivery_notice, send_invitations
from tests.conftest import make_app

METRICS_TOKEN = "metrics-test-token"


# --- /healthz and /readyz


def test_healthz_answers_without_the_database(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/missing/folder/db.sqlite")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_with_database_and_job_store(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "jobs": "ok"}, "failed": []}


def test_readyz_names_an_unreachable_database(tmp_path, caplog):
    # A SQLite file in a folder that does not exist cannot be opened.
    app = make_app(f"sqlite:///{tmp_path}/missing/folder/db.sqlite")
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["failed"] == ["database"]
    assert response.json["checks"] == {"database": "unreachable", "jobs": "ok"}
    # The reason goes to the log, not to whoever asks.
    assert "missing/folder" not in response.get_data(as_text=True)
    assert any("database is unreachable" in record.getMessage() for record in caplog.records)


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections (the kernel's backlog) but never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


def test_readyz_answers_promptly_when_the_database_host_does_not_answer(silent_server, caplog):
    # A PostgreSQL URL whose server never sends its greeting: without a connect timeout of
    # its own the probe would wait forever (the app's pool has none). The request runs in a
    # thread so that a hang fails the test instead of stalling it.
    app = make_app(f"postgresql+psycopg://mindgap@127.0.0.1:{silent_server}/mindgap", READINESS_TIMEOUT=1)
    answers = []
    probe = threading.Thread(target=lambda: answers.append(app.test_client().get("/readyz")))
    with caplog.at_level(logging.WARNING):
        probe.start()
        probe.join(timeout=20)
    assert not probe.is_alive(), "/readyz still waits for a database host that does not answer"
    assert answers[0].status_code == 503
    assert answers[0].json["failed"] == ["database"]
    assert any("database is unreachable" in record.getMessage() for record in caplog.records)


def test_readiness_probe_has_its_own_connect_timeout(silent_server):
    app = make_app(f"postgresql+psycopg://mindgap@127.0.0.1:{silent_server}/mindgap", READINESS_TIMEOUT=1)
    engine = health.probe_engine(app)
    assert engine is health.probe_engine(app)  # made once per app
    with pytest.raises(OperationalError) as raised:
        engine.connect()
    assert "timeout" in str(raised.value).lower()


def test_readyz_names_an_unreachable_job_store(other_app, database_url):
    # Redis on a port nothing listens on (port 1 is reserved and closed); not immediate, which
    # would keep the queue in memory.
    app = other_app(database_url, JOBS_URL="redis://127.0.0.1:1/0", JOBS_IMMEDIATE=False)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["jobs"]
    assert response.json["checks"]["database"] == "ok"


def test_readyz_answers_promptly_when_the_redis_host_does_not_answer(other_app, database_url, silent_server):
    # A Redis that accepts the connection but never replies: the probe's own client gives up
    # after the readiness timeout instead of waiting for the job store's longer reply timeout.
    app = other_app(
        database_url,
        JOBS_URL=f"redis://127.0.0.1:{silent_server}/0",
        JOBS_IMMEDIATE=False,
        READINESS_TIMEOUT=1,
        REDIS_TIMEOUT=600,
    )
    answers = []
    probe = threading.Thread(target=lambda: answers.append(app.test_client().get("/readyz")))
    probe.start()
    probe.join(timeout=20)
    assert not probe.is_alive(), "/readyz still waits for a Redis host that does not answer"
    assert answers[0].status_code == 503
    assert answers[0].json["failed"] == ["jobs"]


def test_the_redis_job_store_bounds_its_waits(other_app, database_url):
    from survey import jobs

    app = other_app(database_url, JOBS_URL="redis://127.0.0.1:6379/0", JOBS_IMMEDIATE=False, REDIS_TIMEOUT=7)
    kwargs = jobs._queue(app).huey.storage.pool.connection_kwargs
    assert kwargs["socket_connect_timeout"] == app.config["READINESS_TIMEOUT"]
    assert kwargs["socket_timeout"] == 7


def test_health_endpoints_need_no_sign_in_and_no_rate_limit(client):
    for _ in range(40):  # more than any limit allows
        assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


# --- /metrics


@pytest.fixture
def metrics_app(app):
    app.config["METRICS_TOKEN"] = METRICS_TOKEN
    return app


def scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.get_data(as_text=True)


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample in the text format (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        if series.split("{")[0] != name:
            continue
        if all(f'{key}="{wanted}"' in series for key, wanted in labels.items()):
            return float(value)
    return 0.0


def test_metrics_need_the_token(client, app):
    assert client.get("/metrics").status_code == 404  # no token configured: no metrics
    app.config["METRICS_TOKEN"] = METRICS_TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200


def test_latency_is_labelled_by_endpoint_never_by_path(metrics_app, make_survey):
    setup = make_survey(per_team=1)
    client = metrics_app.test_client()
    before = scrape(client)
    token = setup.token("marketing", 1)
    assert client.get(f"/s/{token}").status_code == 200
    assert client.get("/s/not-a-real-token-at-all").status_code == 404
    text = scrape(client)
    assert token not in text
    assert "not-a-real-token" not in text
    assert "/s/" not in text
    endpoints = {
        line.split('endpoint="')[1].split('"')[0]
        for line in text.splitlines()
        if line.startswith("mindgap_request_duration_seconds_count")
    }
    assert {endpoint for endpoint in endpoints if endpoint.startswith("respond.")}, endpoints
    count = sample(text, "mindgap_request_duration_seconds_count", endpoint="metrics.metrics", method="GET")
    assert count == sample(before, "mindgap_request_duration_seconds_count", endpoint="metrics.metrics") + 1
    assert sample(text, "mindgap_requests_total", endpoint="metrics.metrics", status="200") >= 1


def test_queue_depth_is_read_from_the_job_store(metrics_app):
    text = scrape(metrics_app.test_client())
    assert "# TYPE mindgap_job_queue_depth gauge" in text
    assert sample(text, "mindgap_job_queue_depth") == 0


def test_sent_and_failed_emails_are_counted(metrics_app, make_survey, tmp_path):
    setup = make_survey(per_team=1)
    client = metrics_app.test_client()
    before = scrape(client)
    settings = MailSettings.from_config(
        {**metrics_app.config, "MAIL_BACKEND": "file", "MAIL_FOLDER": str(tmp_path)}
    )
    unsendable = db.session.scalar(select(Participant).where(Participant.email == "sales1@example.org"))
    unsendable.email = "not an address"
    db.session.commit()
    report = send_invitations(setup.wave, settings, db.session.commit)
    text = scrape(client)
    sent = sample(text, "mindgap_emails_total", kind="invitation", result="sent")
    failed = sample(text, "mindgap_emails_total", kind="invitation", result="failed")
    assert sent - sample(before, "mindgap_emails_total", kind="invitation", result="sent") == len(report.sent)
    assert failed - sample(before, "mindgap_emails_total", kind="invitation", result="failed") == 1
    assert len(report.sent) >= 1


# --- request ids and log lines


@pytest.fixture
def log_lines():
    """What the app's log handlers write during one test, as a list of lines."""
    stream = io.StringIO()
    original = logs.RequestLogHandler.stream
    logs.RequestLogHandler.stream = property(lambda _self: stream, original.fset)
    try:
        yield lambda: stream.getvalue().splitlines()
    finally:
        logs.RequestLogHandler.stream = original


def test_a_well_formed_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", headers={"X-Request-ID": "proxy-7f3a.1:2"})
    assert response.headers["X-Request-ID"] == "proxy-7f3a.1:2"


@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, "tab\there", "<script>", "ünïcode"])
def test_a_malformed_request_id_is_replaced(client, sent):
    response = client.get("/healthz", headers={"X-Request-ID": sent} if sent else {})
    assert logs.WELL_FORMED_ID.fullmatch(response.headers["X-Request-ID"])
    assert response.headers["X-Request-ID"] != sent
    assert len(response.headers["X-Request-ID"]) == 32


def test_every_json_line_of_a_request_carries_its_id_and_no_token(other_app, database_url, log_lines):
    app = other_app(database_url, LOG_FORMAT="json")

    @app.get("/_log_twice/<path:rest>")
    def log_twice(rest):
        current_app.logger.info("first line for /s/%s/page", rest)
        current_app.logger.warning("second line")
        return "ok"

    response = app.test_client().get("/_log_twice/secret-token", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 200
    entries = [json.loads(line) for line in log_lines()]
    mine = [entry for entry in entries if entry["request_id"] == "req-42"]
    assert [entry["level"] for entry in mine] == ["INFO", "WARNING"]
    assert mine[0]["message"] == "first line for /s/[token]/page"
    assert all(set(entry) >= {"time", "level", "logger", "message", "request_id"} for entry in entries)
    assert "secret-token" not in "\n".join(log_lines())


def test_text_lines_carry_the_request_id(app, log_lines):
    @app.get("/_log_once")
    def log_once():
        current_app.logger.warning("in a request")
        return "ok"

    app.test_client().get("/_log_once", headers={"X-Request-ID": "abc-123"})
    with app.app_context():
        current_app.logger.warning("outside")
    lines = log_lines()
    assert any("[abc-123]" in line and "in a request" in line for line in lines), lines
    assert any("[-]" in line and "outside" in line for line in lines), lines


def test_an_unknown_log_format_is_refused(database_url):
    with pytest.raises(RuntimeError, match="LOG_FORMAT must be one of text, json"):
        make_app(database_url, LOG_FORMAT="yaml")


# --- .env files


@pytest.fixture
def clean_environment(monkeypatch):
    """os.environ as a copy, so whatever a .env file sets disappears after the test."""
    monkeypatch.setattr(os, "environ", os.environ.copy())
    for key in [key for key in os.environ if key.startswith("MINDGAP_")]:
        del os.environ[key]


def test_env_files_fill_in_what_the_environment_does_not_set(tmp_path, monkeypatch, clean_environment):
    instance = tmp_path / "instance"
    instance.mkdir()
    (tmp_path / ".env").write_text(
        "# comments and blank lines are fine\n\n"
        f"MINDGAP_INSTANCE_PATH={instance}\n"
        "MINDGAP_SECRET_KEY=from-the-dotenv-file-and-long-enough\n"
        "MINDGAP_BASE_URL=https://survey.example.org\n"
        "MINDGAP_MAIL_PORT=2525\n"
    )
    (instance / ".env").write_text(
        "MINDGAP_MAIL_FROM=instance@example.org\nMINDGAP_BASE_URL=http://ignored\n"
    )
    monkeypatch.chdir(tmp_path)
    os.environ["MINDGAP_MAIL_PORT"] = "587"  # the real environment wins over the file
    app = create_app()
    assert app.instance_path == str(instance)
    assert app.config["SECRET_KEY"] == "from-the-dotenv-file-and-long-enough"
    assert app.config["BASE_URL"] == "https://survey.example.org"  # the working directory's file came first
    assert app.config["MAIL_FROM"] == "instance@example.org"
    assert app.config["MAIL_PORT"] == 587
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance}/mindgap.sqlite"


def test_tests_do_not_read_env_files(tmp_path, monkeypatch, clean_environment, database_url):
    (tmp_path / ".env").write_text("MINDGAP_BASE_URL=https://from-a-file.example\n")
    monkeypatch.chdir(tmp_path)
    assert make_app(database_url).config["BASE_URL"] == "http://mindgap.test"
    assert load_env_files(tmp_path, tmp_path / "nothing-here") == [tmp_path / ".env"]


def test_env_example_names_every_setting():
    from survey.config import DefaultConfig

    example = (current_repository() / ".env.example").read_text()
    names = {line.split("=", 1)[0].lstrip("# ").strip() for line in example.splitlines() if "=" in line}
    settings = {name for name in vars(DefaultConfig) if name.isupper() and not name.startswith("SQLALCHEMY_")}
    missing = {name for name in settings if f"MINDGAP_{name}" not in names}
    assert missing == set()


def current_repository():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


# --- the file and console mail backends


def test_file_backend_writes_each_invitation_once_with_a_working_link(app, make_survey, tmp_path):
    setup = make_survey(per_team=1)
    folder = tmp_path / "mail"
    settings = MailSettings.from_config({**app.config, "MAIL_BACKEND": "file", "MAIL_FOLDER": str(folder)})
    report = send_invitations(setup.wave, settings, db.session.commit)
    files = sorted(folder.glob("*.eml"))
    assert len(files) == len(report.sent) == 3
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
    recipients = set()
    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=default_policy)
        body = message.get_body(("plain",)).get_content()
        token = next(line for line in body.splitlines() if "/s/" in line).rsplit("/s/", 1)[1].strip()
        assert find_invitation(token).participant.email == str(message["To"].addresses[0].addr_spec)
        recipients.add(str(message["To"].addresses[0].addr_spec))
    assert recipients == set(report.sent)
    assert set(db.session.scalars(select(EmailSend.status))) == {"sent"}
    # At most once: sending again writes nothing more.
    assert send_invitations(setup.wave, settings, db.session.commit).sent == []
    assert len(list(folder.glob("*.eml"))) == 3
    assert not list(folder.glob("*.part"))


def test_console_backend_prints_the_messages(app, make_survey, capsys):
    setup = make_survey(per_team=1)
    settings = MailSettings.from_config({**app.config, "MAIL_BACKEND": "console"})
    report = send_invitations(setup.wave, settings, db.session.commit)
    printed = capsys.readouterr().out
    assert len(report.sent) == 3
    assert printed.count("Subject: ") == 3
    assert all(address in printed for address in report.sent)


def test_an_unknown_mail_backend_is_refused_at_start(database_url):
    with pytest.raises(
        RuntimeError, match="MAIL_BACKEND must be one of smtp, file, console, not 'carrier-pigeon'"
    ):
        make_app(database_url, MAIL_BACKEND="carrier-pigeon")
    with pytest.raises(ValueError, match="MAIL_BACKEND"):
        MailSettings.from_config({"MAIL_BACKEND": "fax"})


def test_the_file_backend_defaults_to_the_instance_folder(app):
    assert app.config["MAIL_FOLDER"] == os.path.join(app.instance_path, "mail")


def test_the_wave_page_says_where_development_mail_goes(
    app, client, auth, make_user, make_survey, tmp_path, monkeypatch
):
    setup = make_survey(per_team=1)
    consultant = make_user("c@example.org", role="consultant", organization=setup.wave.organization)
    auth.login(consultant.email)
    # As under make run: the instance folder (and its mail/) inside the working directory.
    monkeypatch.chdir(tmp_path)
    app.config.update(MAIL_BACKEND="file", MAIL_FOLDER=str(tmp_path / "instance" / "mail"))
    page = client.get(f"/waves/{setup.wave.id}").get_data(as_text=True)
    assert "Invitations and reminders are written to instance/mail/ as .eml files" in page
    assert "(development mail backend)" in page
    app.config.update(MAIL_BACKEND="console")
    page = client.get(f"/waves/{setup.wave.id}").get_data(as_text=True)
    assert "printed on the console of the process that sends them" in page
    app.config.update(MAIL_BACKEND="smtp")
    page = client.get(f"/waves/{setup.wave.id}").get_data(as_text=True)
    assert 'id="mail-delivery"' not in page
    assert "development mail backend" not in page


def test_a_mail_folder_outside_the_working_directory_is_named_in_full(app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path.parent / "elsewhere" / "mail"
    settings = MailSettings.from_config({**app.config, "MAIL_BACKEND": "file", "MAIL_FOLDER": str(folder)})
    assert f"written to {folder}{os.sep} as .eml files" in delivery_notice(settings)
    assert delivery_notice(MailSettings.from_config({**app.config, "MAIL_BACKEND": "smtp"})) == ""


def test_gunicorn_access_lines_carry_the_request_id():
    from survey.serving import gunicorn_command

    command = gunicorn_command("127.0.0.1", 8000, workers=2)
    assert "%({x-request-id}o)s" in command[command.index("--access-logformat") + 1]
