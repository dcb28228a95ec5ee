"""Waves from the web workspace: create, open, close, clone, links, live board, audit log."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import AuditEvent, Invitation, Participant, Response, Wave, utcnow
from survey.services.board import wave_progress
from survey.services.invitations import find_invitation
from survey.services.waves import create_wave


@pytest.fixture
def consultant_setup(client, auth, make_user, make_survey):
    setup = make_survey(per_team=3)
    consultant = make_user("c@example.org", role="consultant", organization=setup.wave.organization)
    auth.login(consultant.email)
    return setup


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_create_wave_from_the_form(client, consultant_setup):
    organization = consultant_setup.wave.organization
    url = f"/orgs/{organization.id}/waves/new"
    form = {"name": "Spring", "instruments": ["alignment@1.0", "mindset@1.0"], "languages": ["de"],
            "anonymity_threshold": "2", "mode": "anonymous", "closes_at": "2031-03-01T17:00"}  # fmt: skip
    too_small = client.post(url, data=form)
    assert "Number must be between 3 and 1000." in too_small.get_data(as_text=True)
    created = client.post(url, data=form | {"anonymity_threshold": "4", "open_now": "y"})
    assert created.status_code == 302
    wave = db.session.scalar(select(Wave).where(Wave.name == "Spring"))
    assert (wave.status, wave.mode, wave.anonymity_threshold, wave.languages) == (
        "open",
        "anonymous",
        4,
        ["de"],
    )
    assert wave.closes_at.isoformat() == "2031-03-01T17:00:00+00:00"
    assert [link.instrument_version.key for link in wave.instruments] == ["alignment@1.0", "mindset@1.0"]
    assert audit_actions() == ["wave.created", "wave.opened"]


def test_open_close_and_clone(client, make_survey, consultant_setup):
    wave = consultant_setup.wave
    assert client.post(f"/waves/{wave.id}/close").status_code == 302
    db.session.refresh(wave)
    assert wave.status == "closed"
    reopened = client.post(f"/waves/{wave.id}/open", follow_redirects=True)
    assert "A closed wave cannot be opened again" in reopened.get_data(as_text=True)
    cloned = client.post(f"/waves/{wave.id}/clone", data={"name": "Wave 2"})
    clone = db.session.scalar(select(Wave).where(Wave.name == "Wave 2"))
    assert cloned.headers["Location"].endswith(f"/waves/{clone.id}")
    assert (clone.status, clone.previous_wave_id, clone.anonymity_threshold, clone.mode) == (
        "draft", wave.id, wave.anonymity_threshold, wave.mode,
    )  # fmt: skip
    assert [i.instrument_version_id for i in clone.instruments] == [
        i.instrument_version_id for i in wave.instruments
    ]
    assert audit_actions() == ["wave.closed", "wave.cloned"]


def test_links_csv_gives_the_same_links_each_time_and_never_reissues(client, consultant_setup):
    wave = consultant_setup.wave
    done = find_invitation(consultant_setup.token("sales", 1))
    done.used_at = utcnow()
    db.session.commit()
    response = client.post(f"/waves/{wave.id}/links.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="wave-{wave.id}-links.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 9
    by_person = {row["participant"]: row for row in rows}
    assert (by_person["sales1@example.org"]["status"], by_person["sales1@example.org"]["link"]) == (
        "submitted",
        "",
    )
    fresh = by_person["marketing2@example.org"]["link"]
    assert find_invitation(fresh.rsplit("/s/", 1)[1]).participant.email == "marketing2@example.org"
    assert by_person["marketing2@example.org"]["team"] == "Marketing team"
    # The link made when inviting is derived again, not replaced.
    assert fresh.rsplit("/s/", 1)[1] == consultant_setup.token("marketing", 2)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "links.exported"))
    assert (event.actor, event.details) == ("c@example.org", {"links": 8})
    # A second download re-issues nothing: it carries the same links, which keep working.
    again = client.post(f"/waves/{wave.id}/links.csv").get_data(as_text=True)
    second = {row["participant"]: row for row in csv.DictReader(io.StringIO(again))}
    assert {address: row["link"] for address, row in second.items()} == {
        address: row["link"] for address, row in by_person.items()
    }
    assert second["marketing2@example.org"]["status"].startswith(
        "same link as handed out in a links download on "
    )
    assert find_invitation(fresh.rsplit("/s/", 1)[1]).participant.email == "marketing2@example.org"
    assert client.get(f"/s/{fresh.rsplit('/s/', 1)[1]}").status_code == 200


def test_invite_the_roster_adds_only_new_people(client, consultant_setup):
    wave = consultant_setup.wave
    organization = wave.organization
    db.session.add(
        Participant(organization=organization, team=consultant_setup.teams["other"], email="n@example.org")
    )
    db.session.add(Participant(organization=organization, team=consultant_setup.teams["other"],
                               email="gone@example.org", active=False))  # fmt: skip
    db.session.commit()
    page = client.post(f"/waves/{wave.id}/invite", follow_redirects=True).get_data(as_text=True)
    assert "1 new invitation." in page
    assert wave_progress(wave).total.invited == 10


def add_response(wave, email: str, submitted: bool) -> None:
    invitation = db.session.scalar(select(Invitation).join(Participant).where(Participant.email == email))
    now = utcnow()
    team_id = invitation.participant.team_id
    db.session.add(Response(wave_id=wave.id, invitation_id=invitation.id, team_id=team_id,
                            status="submitted" if submitted else "in_progress",
                            submitted_at=now if submitted else None))  # fmt: skip
    db.session.commit()


def test_live_board_counts_per_team(client, consultant_setup):
    wave = consultant_setup.wave
    add_response(wave, "sales1@example.org", submitted=True)
    add_response(wave, "sales2@example.org", submitted=False)
    add_response(wave, "marketing1@example.org", submitted=True)
    board = client.get(f"/waves/{wave.id}/board.json").get_json()
    teams = {team["team"]: (team["invited"], team["started"], team["submitted"]) for team in board["teams"]}
    assert teams == {"Sales team": (3, 2, 1), "Marketing team": (3, 1, 1), "Other team": (3, 0, 0)}
    assert board["total"]["response_rate"] == round(2 / 9, 4)
    page = client.get(f"/waves/{wave.id}/board").get_data(as_text=True)
    assert "board.js" in page
    assert "<script>" not in page  # no inline script: the CSP forbids them


def test_revoked_invitations_are_not_counted(consultant_setup):
    wave = consultant_setup.wave
    find_invitation(consultant_setup.token("other", 1)).revoked_at = utcnow()
    db.session.commit()
    assert wave_progress(wave).total.invited == 8


def test_audit_log_page(client, consultant_setup):
    wave = consultant_setup.wave
    client.post(f"/waves/{wave.id}/close")
    page = client.get(f"/orgs/{wave.organization_id}/audit").get_data(as_text=True)
    assert "Wave closed" in page
    assert "c@example.org" in page


def test_manager_home_shows_rates_not_drafts(client, auth, make_user, make_survey):
    setup = make_survey(per_team=3, anonymity_threshold=3)
    organization = setup.wave.organization

    create_wave(organization, "Next (draft)", ["alignment"])
    db.session.commit()
    add_response(setup.wave, "sales1@example.org", submitted=True)
    manager = make_user("m@example.org", role="manager", organization=organization)
    auth.login(manager.email)
    page = client.get(f"/orgs/{organization.id}").get_data(as_text=True)
    assert "Wave 1" in page
    assert "Next (draft)" not in page
    # One response in the sales team: below the threshold, so its rate is not shown on its own.
    assert "Sales team" not in page
    assert "not shown separately (small groups): fewer than 3 responses" in page
    for email in ("sales2@example.org", "sales3@example.org"):
        add_response(setup.wave, email, submitted=True)
    page = client.get(f"/orgs/{organization.id}").get_data(as_text=True)
    assert "Sales team" in page  # 3 responses: at the threshold of 3
    assert "100%" in page
    assert 'id="alignment"' in page


def test_links_csv_neutralises_names_typed_by_people(client, runner, tmp_path, consultant_setup):
    wave = consultant_setup.wave
    person = db.session.scalar(select(Participant).where(Participant.email == "sales1@example.org"))
    person.display_name = '=HYPERLINK("http://evil.test","Click")'
    consultant_setup.teams["sales"].name = "@SUM(1+1)"
    db.session.commit()
    web = client.post(f"/waves/{wave.id}/links.csv").get_data(as_text=True)
    out = tmp_path / "links.csv"
    command = ["invitations", "export", str(wave.id), "--out", str(out), "--reissue"]
    assert runner.invoke(args=command).exit_code == 0
    for text in (web, out.read_text(encoding="utf-8")):
        row = next(r for r in csv.DictReader(io.StringIO(text)) if r["participant"] == "sales1@example.org")
        assert row["name"] == '\'=HYPERLINK("http://evil.test","Click")'
        assert row["team"] == "'@SUM(1+1)"
        assert row["link"].startswith("http://mindgap.test/s/")


# --- automatic reminders


@pytest.mark.parametrize(
    ("days", "closes_at", "message"),
    [
        ("0", "2031-03-01T17:00", "1 to 60"),
        ("61", "2031-03-01T17:00", "&#39;61&#39; is not one"),
        ("3, x", "2031-03-01T17:00", "&#39;x&#39; is not one"),
        ("2, 2", "2031-03-01T17:00", "2 is given twice"),
        ("1, 2, 3, 4, 5, 6", "2031-03-01T17:00", "At most 5 reminder days"),
        ("3, 1", "", "give the wave a closing time"),
    ],
)
def test_new_wave_refuses_bad_reminder_days(client, consultant_setup, days, closes_at, message):
    organization = consultant_setup.wave.organization
    form = {"name": "Spring", "instruments": ["alignment@1.0"], "anonymity_threshold": "5",
            "mode": "confidential", "closes_at": closes_at, "reminder_days": days}  # fmt: skip
    answer = client.post(f"/orgs/{organization.id}/waves/new", data=form)
    assert answer.status_code == 200  # the form again
    page = answer.get_data(as_text=True)
    assert message in page
    assert 'id="reminder_days-error"' in page
    assert db.session.scalar(select(Wave).where(Wave.name == "Spring")) is None


def test_new_wave_with_reminder_days_shows_the_next_one(client, consultant_setup):
    organization = consultant_setup.wave.organization
    form = {"name": "Spring", "instruments": ["alignment@1.0"], "anonymity_threshold": "5",
            "mode": "confidential", "closes_at": "2031-03-01T17:00", "reminder_days": " 1,3 "}  # fmt: skip
    created = client.post(f"/orgs/{organization.id}/waves/new", data=form, follow_redirects=True)
    wave = db.session.scalar(select(Wave).where(Wave.name == "Spring"))
    assert wave.reminder_days == [3, 1]
    page = created.get_data(as_text=True)
    assert "3 and 1 days before the close, to those who have not submitted." in page
    assert "Next: 26 February 2031, 17:00 UTC, once the wave is open." in page
    assert "wave.reminders_scheduled" in audit_actions()


def test_wave_page_sets_reminder_days_and_refuses_bad_ones(client, consultant_setup):
    wave = consultant_setup.wave
    url = f"/waves/{wave.id}/reminders"
    # Without a closing time: refused with the reason, nothing stored.
    page = client.post(url, data={"days": "3"})
    assert page.status_code == 400
    assert "give the wave a closing time" in page.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(Wave, wave.id).reminder_days
    wave.closes_at = utcnow() + timedelta(days=10)
    db.session.commit()
    assert client.post(url, data={"days": "3, 99"}).status_code == 400
    db.session.expire_all()
    assert not db.session.get(Wave, wave.id).reminder_days
    saved = client.post(url, data={"days": "7, 3, 1"}, follow_redirects=True).get_data(as_text=True)
    assert "Saved the automatic reminders (days before the close: 7, 3, 1)." in saved
    wave = db.session.get(Wave, wave.id)
    assert wave.reminder_days == [7, 3, 1]
    first = wave.closes_at - timedelta(days=7)
    assert f"Next: {first.day} {first:%B %Y}, {first:%H:%M} UTC." in saved
    # Emptied: no more automatic reminders.
    cleared = client.post(url, data={"days": ""}, follow_redirects=True).get_data(as_text=True)
    assert "None scheduled." in cleared
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).reminder_days == []


def test_the_command_line_reads_reminder_days_by_the_same_rules(runner, consultant_setup):
    wave = consultant_setup.wave
    wave.closes_at = utcnow() + timedelta(days=10)
    db.session.commit()
    refused = runner.invoke(args=["waves", "reminders", str(wave.id), "2,2"])
    assert refused.exit_code == 1
    assert "2 is given twice" in refused.output
    assert runner.invoke(args=["waves", "reminders", str(wave.id), "3, 1"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).reminder_days == [3, 1]
