"""The workspace's operator commands, through Flask's CLI runner."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

from sqlalchemy import select

import instruments
from survey.extensions import db
from survey.models import ApiToken, AuditEvent, Organization, Participant, Team, Wave, utcnow
from survey.services.accounts import user_for_api_token
from survey.services.invitations import find_invitation


def invoke(runner, *args):
    return runner.invoke(args=[str(arg) for arg in args])


def test_set_up_an_organisation_from_the_shell(runner, tmp_path):
    assert invoke(runner, "orgs", "create", "Acme Corp").output == "Created Acme Corp (slug acme-corp).\n"
    assert (
        invoke(runner, "teams", "create", "--org", "acme-corp", "Sales", "--function", "sales").exit_code == 0
    )
    result = invoke(runner, "teams", "create", "--org", "acme-corp", "Sales East", "--function", "sales",
                    "--parent", "Sales")  # fmt: skip
    assert result.exit_code == 0, result.output
    east = db.session.scalar(select(Team).where(Team.name == "Sales East"))
    assert east.parent.name == "Sales"
    roster = tmp_path / "roster.csv"
    roster.write_text("email,team\nann@example.org,Sales East\nbob@example.org,Sales\n", encoding="utf-8")
    result = invoke(runner, "roster", "import", "--org", "acme-corp", roster)
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated" in result.output
    assert sorted(db.session.scalars(select(Participant.email))) == ["ann@example.org", "bob@example.org"]
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["organization.created", "team.created", "team.created", "roster.imported"]
    assert set(db.session.scalars(select(AuditEvent.actor))) == {"command line"}


def test_roster_import_with_errors_writes_nothing(runner, make_organization, make_team, tmp_path):
    organization = make_organization("Acme", "acme")
    make_team(organization, "Sales", "sales")
    roster = tmp_path / "roster.csv"
    roster.write_text("email,team\nann@example.org,Sales\nann@example.org,Legal\n", encoding="utf-8")
    result = invoke(runner, "roster", "import", "--org", "acme", roster)
    assert result.exit_code == 1
    assert (
        "roster.csv, row 3: duplicate: ann@example.org is also on row 2; unknown team 'Legal'"
        in result.output
    )
    assert "1 problem(s) found; nothing was imported." in result.output
    assert db.session.scalar(select(Participant.id)) is None


def test_waves_create_list_status_and_export(runner, make_survey, tmp_path):
    setup = make_survey(per_team=2)
    slug = setup.wave.organization.slug
    options = ["--name", "Round 2", "--instrument", "alignment@1.0", "--instrument", "mindset",
               "--threshold", "4", "--anonymous", "--open", "--closes", "2031-05-01T17:00"]  # fmt: skip
    result = invoke(runner, "waves", "create", "--org", slug, *options)
    assert result.exit_code == 0, result.output
    listed = json.loads(invoke(runner, "waves", "list", "--org", slug, "--json").output)
    assert [(w["name"], w["status"]) for w in listed] == [("Wave 1", "open"), ("Round 2", "open")]
    assert listed[1] | {"id": None, "opens_at": None} == {
        "id": None, "name": "Round 2", "status": "open", "mode": "anonymous", "anonymity_threshold": 4,
        "instruments": ["alignment@1.0", instruments.load("mindset").key], "languages": [], "opens_at": None,
        "closes_at": "2031-05-01T17:00:00+00:00", "previous_wave_id": None, "release_policy": "at_close",
        "form": "full", "form_items": None,
    }  # fmt: skip

    status = json.loads(invoke(runner, "waves", "status", setup.wave.id, "--json").output)
    assert status["total"] == {
        "team_id": None, "team": "All teams", "function": "",
        "invited": 6, "started": 0, "submitted": 0, "response_rate": 0.0,
    }  # fmt: skip
    assert [(t["team"], t["invited"]) for t in status["teams"]] == [
        ("Marketing team", 2), ("Other team", 2), ("Sales team", 2)
    ]  # fmt: skip
    text = invoke(runner, "waves", "status", setup.wave.id).output
    assert "All teams                             6        0          0     0%" in text

    out = tmp_path / "links.csv"
    result = invoke(runner, "invitations", "export", setup.wave.id, "--out", out)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 6
    assert set(rows[0]) == {"participant", "name", "team", "status", "link"}
    for row in rows:
        token = row["link"].rsplit("/s/", 1)[1]
        assert find_invitation(token).participant.email == row["participant"]
    # The links made when inviting are derived again, not replaced.
    assert setup.token("sales") in {row["link"].rsplit("/s/", 1)[1] for row in rows}
    assert "(6 links, 6 of them new;" in result.output
    # A second export gives the same links again, marked as handed out before.
    again = invoke(runner, "invitations", "export", setup.wave.id, "--out", out)
    assert "(6 links, 0 of them new; 0 handed out before and not derivable again" in again.output
    with out.open(encoding="utf-8") as file:
        second = list(csv.DictReader(file))
    assert [row["link"] for row in second] == [row["link"] for row in rows]
    assert all(row["status"].startswith("same link as handed out in a links download") for row in second)
    assert find_invitation(rows[0]["link"].rsplit("/s/", 1)[1]) is not None


def test_invitations_create_invites_the_roster_once(runner, make_survey):
    setup = make_survey(per_team=1, status="draft")
    organization = setup.wave.organization
    db.session.add(Participant(organization=organization, team=setup.teams["sales"], email="new@example.org"))
    db.session.commit()
    assert invoke(runner, "invitations", "create", setup.wave.id).output == "1 new invitation(s) to wave 1.\n"
    assert invoke(runner, "invitations", "create", setup.wave.id).output == "0 new invitation(s) to wave 1.\n"


def test_close_due_closes_only_waves_past_their_date(runner, make_survey):
    due = make_survey().wave
    later = make_survey().wave
    draft = make_survey(status="draft").wave
    due.opens_at = utcnow() - timedelta(days=1)
    due.closes_at = utcnow() - timedelta(minutes=1)
    later.closes_at = utcnow() + timedelta(days=1)
    draft.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = invoke(runner, "waves", "close-due")
    assert result.output == f"Closed wave {due.id} (Wave 1).\n"
    db.session.expire_all()
    assert [db.session.get(Wave, w.id).status for w in (due, later, draft)] == ["closed", "open", "draft"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "wave.closed"))
    assert event.details == {"automatic": True}
    assert invoke(runner, "waves", "close-due").output == "No wave was due to close.\n"


def test_open_and_close_by_hand(runner, make_survey):
    wave = make_survey(status="draft").wave
    assert invoke(runner, "waves", "open", wave.id).output == "Wave 1 (Wave 1) is open.\n"
    # The release job runs at once in the tests; with nobody answering it makes none.
    closed = invoke(runner, "waves", "close", wave.id).output
    assert closed == "Wave 1 (Wave 1) is closed.\nNobody has submitted answers yet.\n"
    again = invoke(runner, "waves", "open", wave.id)
    assert again.exit_code == 1
    assert "cannot be opened again" in again.output
    assert invoke(runner, "waves", "status", 999).exit_code == 1


def test_errors_name_the_problem(runner, make_organization):
    make_organization("Acme", "acme")
    cases = [
        (["orgs", "create", "Acme", "--slug", "acme"], "The slug 'acme' is taken."),
        (["teams", "create", "--org", "nope", "X", "--function", "sales"], "No organisation with the slug"),
        (["teams", "create", "--org", "acme", "X", "--function", "sales", "--parent", "Y"], "no team called"),
        (["waves", "create", "--org", "acme", "--name", "W", "--instrument", "alignment", "--threshold", "2"],
         "cannot be below 3"),
        (["waves", "create", "--org", "acme", "--name", "W", "--instrument", "nonexistent"], "nonexistent"),
        (["waves", "create", "--org", "acme", "--name", "W", "--instrument", "alignment", "--closes", "soon"],
         "'soon' is not a date"),
        (["api-token", "create", "nobody@example.org"], "No user with the e-mail address"),
    ]  # fmt: skip
    for args, message in cases:
        result = invoke(runner, *args)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
    assert db.session.scalar(select(Wave.id)) is None
    assert [o.slug for o in db.session.scalars(select(Organization))] == ["acme"]


def test_api_token_is_shown_once_and_stored_as_a_hash(runner, make_user):
    user = make_user("reader@example.org", role="admin")
    result = runner.invoke(args=["api-token", "create", "Reader@Example.org", "--label", "dashboard"])
    assert result.exit_code == 0, result.output
    token = result.output.splitlines()[0]
    assert token.startswith("mgp_")
    stored = db.session.scalar(select(ApiToken))
    assert stored.label == "dashboard"
    assert token not in stored.token_hash
    assert user_for_api_token(token) == user
    assert stored.last_used_at is not None
    assert user_for_api_token(token + "x") is None
