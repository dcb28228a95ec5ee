"""The ``mindgap`` commands, through Flask's CLI test runner."""

from __future__ import annotations

import sys

from sqlalchemy import func, select

from survey import cli
from survey.extensions import db
from survey.models import Membership, Organization, Participant, Team, User
from survey.services.demo import DEMO_PASSWORD, DEMO_USERS


def test_create_admin(runner):
    result = runner.invoke(
        args=["create-user", "Root@Example.org", "--role", "admin", "--password", "long enough pw"]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin root@example.org" in result.output
    user = db.session.scalar(select(User))
    assert user.email == "root@example.org"
    assert user.check_password("long enough pw")


def test_create_consultant_in_organization_prompts_for_password(runner, make_organization):
    make_organization("Acme", "acme")
    result = runner.invoke(
        args=["create-user", "c@example.org", "--role", "consultant", "--org", "acme"],
        input="typed password\ntyped password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "c@example.org"))
    assert user.check_password("typed password")
    membership = db.session.scalar(select(Membership))
    assert (membership.user_id, membership.role) == (user.id, "consultant")


def test_create_user_errors_change_nothing(runner, make_organization):
    make_organization("Acme", "acme")
    cases = [
        (["x@example.org", "--role", "manager", "--password", "long enough pw"], "pass --org SLUG"),
        (["x@example.org", "--role", "manager", "--org", "nope", "--password", "long enough pw"],
         "No organisation with the slug 'nope'"),
        (["not-an-email", "--role", "admin", "--password", "long enough pw"], "not a valid e-mail"),
        (["x@example.org", "--role", "admin", "--password", "short"], "at least 10 characters"),
        (["x@example.org", "--role", "owner", "--password", "long enough pw"], "Invalid value for '--role'"),
    ]  # fmt: skip
    for args, message in cases:
        result = runner.invoke(args=["create-user", *args])
        assert result.exit_code != 0
        assert message in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0

    runner.invoke(args=["create-user", "x@example.org", "--role", "admin", "--password", "long enough pw"])
    again = runner.invoke(
        args=["create-user", "X@example.org", "--role", "admin", "--password", "long enough pw"]
    )
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_demo_creates_organization_once(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for email, _role in DEMO_USERS:
        assert email in result.output
    assert DEMO_PASSWORD in result.output
    assert "http://mindgap.test/" in result.output
    organization = db.session.scalar(select(Organization))
    teams = {team.name: team for team in db.session.scalars(select(Team))}
    assert {t.function for t in teams.values()} == {"sales", "marketing"}
    assert teams["Sales North"].parent.name == "Sales"
    participants = db.session.scalar(select(func.count(Participant.id)))
    assert participants > 0

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "Found the demo organisation" in again.output
    assert db.session.scalar(select(func.count(Organization.id))) == 1
    assert db.session.scalar(select(func.count(Participant.id))) == participants
    assert organization.slug == "demo"


def test_demo_logins_work(runner, client):
    runner.invoke(args=["demo"])
    for email, _role in DEMO_USERS:
        response = client.post("/auth/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert b"Northwind Demo" in client.get("/").data
        client.post("/auth/logout")


def test_serve_runs_gunicorn_with_production_defaults(runner, monkeypatch):
    captured = {}
    monkeypatch.setattr(cli.os, "execv", lambda path, args: captured.update(path=path, args=args))
    result = runner.invoke(args=["serve", "--port", "8123", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/" in result.output
    args = captured["args"]
    assert captured["path"] == sys.executable
    assert args[1:3] == ["-m", "gunicorn"]
    assert args[args.index("--bind") + 1] == "127.0.0.1:8123"
    assert args[args.index("--workers") + 1] == "3"
    assert args[-1] == "survey:create_app()"


def test_serve_dev_uses_the_development_server(runner, monkeypatch):
    captured = {}
    monkeypatch.setattr(
        "werkzeug.serving.run_simple",
        lambda host, port, app, **options: captured.update(host=host, port=port, app=app, **options),
    )
    result = runner.invoke(args=["serve", "--dev", "--port", "5055"])
    assert result.exit_code == 0, result.output
    assert (captured["host"], captured["port"]) == ("127.0.0.1", 5055)
    assert captured["use_debugger"]
    assert captured["use_reloader"]
    assert captured["app"].debug


def test_console_script_lists_commands(monkeypatch, tmp_path):
    from click.testing import CliRunner

    monkeypatch.setenv("MINDGAP_SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("MINDGAP_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(cli.main, ["--help"])
    assert result.exit_code == 0
    for command in ("create-user", "demo", "serve", "db", "instruments", "analyze"):
        assert command in result.output


def test_demo_prints_a_working_survey_link(runner, client):
    first = runner.invoke(args=["demo"])
    link = first.output.split("Try the survey as a marketing team member: ")[1].split()[0]
    path = link.removeprefix("http://mindgap.test")
    assert path.startswith("/s/")
    page = client.get(path)
    assert page.status_code == 200
    assert b"Start the survey" in page.data

    second = runner.invoke(args=["demo"])
    new_link = second.output.split("Try the survey as a marketing team member: ")[1].split()[0]
    assert new_link != link
    assert client.get(path).status_code == 404  # re-issued: the old link no longer works
    assert client.get(new_link.removeprefix("http://mindgap.test")).status_code == 200


def test_instrument_and_analysis_commands_need_no_configuration(monkeypatch, tmp_path):
    from click.testing import CliRunner

    for name in ("MINDGAP_SECRET_KEY", "MINDGAP_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MINDGAP_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(cli.main, ["instruments", "list"])
    assert result.exit_code == 0, result.output
    assert "alignment" in result.output
    assert CliRunner().invoke(cli.main, ["analyze", "--help"]).exit_code == 0
