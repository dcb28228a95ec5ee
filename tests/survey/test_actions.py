"""Action plans: creating and updating actions (web, CLI, API), reminders, and "did it work?"."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import func, select

import analysis
import instruments
from survey.extensions import db
from survey.models import Action, ActionUpdate, AuditEvent, Team, Wave
from survey.services import actions, reports
from survey.services.action_effects import _estimate, evaluate
from survey.services.demo import DEMO_ACTIONS, DEMO_PASSWORD
from survey.services.organizations import create_organization, create_team
from survey.services.releases import latest_release, release_report
from survey.services.response_import import import_responses
from survey.services.users import create_user
from survey.services.waves import close_wave, create_wave, open_wave
from tests.factories import PASSWORD
from tests.survey.test_api_contract import conforms


def _released(organization, name: str, sizes: dict, shift: dict | None = None, seed: int = 0) -> Wave:
    """A closed (released) alignment wave: ``sizes[team] = n`` simulated answers, ``shift[team]`` planted."""
    wave = open_wave(create_wave(organization, name, ["alignment"]))
    wave.opens_at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=90 * seed)
    db.session.flush()
    instrument = instruments.load("alignment")
    frames = []
    for position, (team, n) in enumerate(sizes.items()):
        effects = {"t": (shift or {}).get(team, {})}
        frame = analysis.simulate(instrument, {"t": team.function}, n, effects, seed=100 * seed + position,
                                  missing_rate=0.0, careless_rate=0.0)  # fmt: skip
        frames.append(frame.assign(team=team.id))
    import_responses(wave, pd.concat(frames, ignore_index=True))
    close_wave(wave)
    db.session.commit()
    return wave


@pytest.fixture
def acme(app):
    """Acme with four teams, a consultant and a manager, and one released wave."""
    organization = create_organization("Acme", "acme")
    teams = SimpleNamespace(
        north=create_team(organization, "North", "sales"),
        south=create_team(organization, "South", "sales"),
        brand=create_team(organization, "Brand", "marketing"),
        demand=create_team(organization, "Demand", "marketing"),
    )
    consultant = create_user("consultant@acme.test", PASSWORD, "consultant", organization)
    manager = create_user("manager@acme.test", PASSWORD, "manager", organization)
    db.session.commit()
    sizes = {teams.north: 8, teams.south: 8, teams.brand: 7, teams.demand: 7}
    wave = _released(organization, "Spring", sizes)
    return SimpleNamespace(organization=organization, teams=teams, wave=wave, sizes=sizes,
                           consultant=consultant, manager=manager)  # fmt: skip


def _login(client, email: str, password: str = PASSWORD) -> None:
    assert client.post("/auth/login", data={"email": email, "password": password}).status_code == 302


def _form(acme, **changes) -> dict:
    data = {
        "title": "Weekly pipeline review", "wave": str(acme.wave.id), "dimension": "feedback",
        "target": "teams", "teams": [str(acme.teams.north.id)], "owner": str(acme.manager.id),
        "owner_name": "", "owner_email": "", "due_on": "2026-06-30", "status": "in_progress", "notes": "",
        "source": "dimension",
    }  # fmt: skip
    data.update(changes)
    return data


def test_a_manager_adds_an_action_from_a_report_gap_and_updates_it(client, acme):
    _login(client, "manager@acme.test")
    page = client.get(f"/orgs/{acme.organization.id}/actions/new?wave={acme.wave.id}")
    assert page.status_code == 200
    assert b"Start from the report of Spring" in page.data  # the report's gaps and recommendations
    answer = client.post(f"/orgs/{acme.organization.id}/actions/new", data=_form(acme))
    assert answer.status_code == 302
    action = db.session.scalar(select(Action))
    assert (action.title, action.dimension, action.owner_id) == ("Weekly pipeline review", "feedback",
                                                                acme.manager.id)  # fmt: skip
    assert [link.team_id for link in action.teams] == [acme.teams.north.id]
    shown = client.get(answer.headers["Location"])
    assert b"Communication and feedback in North" in shown.data
    assert b"Too early to tell" in shown.data  # no later wave yet
    update = client.post(f"/orgs/{acme.organization.id}/actions/{action.id}/updates",
                         data={"text": "Two reviews held.", "status": "done"})  # fmt: skip
    assert update.status_code == 302
    db.session.refresh(action)
    assert action.status == "done"
    assert [(u.text, u.status) for u in action.updates] == [("Two reviews held.", "done")]
    audited = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.organization_id == acme.organization.id)
    )
    assert {"action.created", "action.updated"} <= set(audited)


BAD_INPUT = [
    ({"title": "   "}, b"This field is required"),
    ({"dimension": "no_such_dimension"}, b"Not a valid choice"),
    ({"target": "pair"}, b"A gap is between two teams"),
    ({"teams": []}, b"Choose at least one team"),
    ({"teams": ["999999"]}, b"Not a valid choice"),
    ({"owner": "0", "owner_name": ""}, b"Name the action"),
    ({"owner": "0", "owner_name": "Ann", "owner_email": "not an address"}, b"Invalid email"),
    ({"due_on": "2026-02-30"}, b"Not a valid date"),
    ({"wave": "999999"}, b"Not a valid choice"),
]


def test_bad_input_is_refused_and_writes_nothing(client, acme):
    _login(client, "consultant@acme.test")
    for changes, message in BAD_INPUT:
        answer = client.post(f"/orgs/{acme.organization.id}/actions/new", data=_form(acme, **changes))
        assert answer.status_code == 200, changes  # the form again, saying what is wrong
        assert message.lower() in answer.data.lower(), changes
    assert db.session.scalar(select(func.count(Action.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("action.%"))) == 0


def test_another_organisations_actions_are_not_found(client, acme, make_user):
    other = create_organization("Other", "other")
    db.session.commit()
    action = actions.create_action(acme.consultant, acme.organization, actions.ActionFields(
        "Agree the hand-over", "handover", "teams", (acme.teams.north.id,), owner_name="Ann"),
        wave=acme.wave)  # fmt: skip
    db.session.commit()
    make_user("outsider@other.test", "consultant", other)
    _login(client, "outsider@other.test")
    assert client.get(f"/orgs/{acme.organization.id}/actions").status_code == 404
    assert client.get(f"/orgs/{other.id}/actions/{action.id}").status_code == 404
    assert client.post(f"/orgs/{other.id}/actions/{action.id}/updates", data={"text": "x"}).status_code == 404
    # A team of another organisation cannot be targeted.
    foreign = create_team(other, "Theirs", "sales")
    db.session.commit()
    with pytest.raises(actions.access.NotFoundError):
        actions.create_action(acme.consultant, acme.organization, actions.ActionFields(
            "x", "handover", "teams", (foreign.id,), owner_name="Ann"), wave=acme.wave)  # fmt: skip


def test_the_list_filters_exports_and_the_home_page_puts_overdue_first(client, acme):
    today = date.today()
    make = actions.create_action
    late = make(acme.consultant, acme.organization, actions.ActionFields(
        "Late one", "handover", "teams", (acme.teams.south.id,), owner_name="Ann",
        due_on=today - timedelta(days=2), status="in_progress"), wave=acme.wave)  # fmt: skip
    soon = make(acme.consultant, acme.organization, actions.ActionFields(
        "=SUM(A1)", "feedback", "pair", (acme.teams.north.id, acme.teams.brand.id), owner_id=acme.manager.id,
        due_on=today + timedelta(days=20)), wave=acme.wave)  # fmt: skip
    make(acme.consultant, acme.organization, actions.ActionFields(
        "Finished", "trust", "teams", (acme.teams.demand.id,), owner_name="Bo", status="done"),
        wave=acme.wave)  # fmt: skip
    db.session.commit()
    assert [a.id for a in actions.actions_of(acme.organization, status="open")] == [late.id, soon.id]
    assert [a.id for a in actions.actions_of(acme.organization, overdue=True)] == [late.id]
    assert [a.id for a in actions.actions_of(acme.organization, team_id=acme.teams.brand.id)] == [soon.id]
    _login(client, "manager@acme.test")
    listing = client.get(f"/orgs/{acme.organization.id}/actions?status=open&dimension=feedback")
    assert b"=SUM(A1)" in listing.data
    assert b"Late one" not in listing.data
    exported = client.get(f"/orgs/{acme.organization.id}/actions?format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [row["title"] for row in rows] == ["Late one", "'=SUM(A1)", "Finished"]  # no formula runs
    assert rows[0]["overdue"] == "yes"
    assert rows[1]["teams"] == "North; Brand"
    home = client.get("/").get_data(as_text=True)
    assert home.index("Late one") < home.index("=SUM(A1)")
    assert "Finished" not in home


def test_reminders_go_once_before_the_due_date_and_once_when_overdue(app, acme, tmp_path):
    today = date(2026, 7, 1)
    due = actions.create_action(acme.consultant, acme.organization, actions.ActionFields(
        "Due soon", "handover", "teams", (acme.teams.north.id,), owner_id=acme.manager.id,
        due_on=today + timedelta(days=2)), wave=acme.wave)  # fmt: skip
    late = actions.create_action(acme.consultant, acme.organization, actions.ActionFields(
        "Late", "handover", "teams", (acme.teams.south.id,), owner_name="Ann", owner_email="ann@acme.test",
        due_on=today - timedelta(days=1), status="in_progress"), wave=acme.wave)  # fmt: skip
    actions.create_action(acme.consultant, acme.organization, actions.ActionFields(
        "Nobody to tell", "handover", "teams", (acme.teams.south.id,), owner_name="Bo",
        due_on=today - timedelta(days=1)), wave=acme.wave)  # fmt: skip
    db.session.commit()
    settings = actions.MailSettings("", 25, False, "", "", "mindgap@acme.test", "file", str(tmp_path))
    noon = datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert actions.send_reminders(settings, "http://mindgap.test", noon) == 2
    assert actions.send_reminders(settings, "http://mindgap.test", noon) == 0  # at most once each
    messages = sorted(path.read_text() for path in tmp_path.glob("*.eml"))
    assert len(messages) == 2
    assert any("manager@acme.test" in m and "Due on 2026-07-03" in m for m in messages)
    assert any("ann@acme.test" in m and "Overdue since 2026-06-30" in m for m in messages)
    assert all(f"/actions/{due.id}" in m or f"/actions/{late.id}" in m for m in messages)


def test_due_dates_are_days_in_the_organisations_time_zone(app, client, acme, tmp_path):
    """Overdue and reminders go by the date where the organisation is, and its dates are shown there."""
    acme.organization.time_zone = "Pacific/Auckland"  # UTC+12 in July
    action = actions.create_action(acme.consultant, acme.organization, actions.ActionFields(
        "Joint lead review", "handover", "teams", (acme.teams.north.id,), owner_id=acme.manager.id,
        due_on=date(2026, 7, 1), status="in_progress"), wave=acme.wave)  # fmt: skip
    actions.add_update(acme.manager, action, "Started late in the evening")
    action.updates[-1].created_at = datetime(2026, 6, 30, 13, 30, tzinfo=UTC)  # 1 July, 01:30 there
    db.session.commit()
    settings = actions.MailSettings("", 25, False, "", "", "mindgap@acme.test", "file", str(tmp_path))
    # 1 July 23:30 there, still 1 July 11:30 in UTC: not yet overdue.
    late_evening = datetime(2026, 7, 1, 11, 30, tzinfo=UTC)
    assert actions.today_for(acme.organization, late_evening) == date(2026, 7, 1)
    assert actions.due_reminders(late_evening) == [(action, "due")]
    # Half past midnight on 2 July there, though still 1 July in UTC: overdue.
    past_midnight = datetime(2026, 7, 1, 12, 30, tzinfo=UTC)
    assert actions.today_for(acme.organization, past_midnight) == date(2026, 7, 2)
    assert not actions.is_overdue(action, date(2026, 7, 1))
    assert actions.is_overdue(action, actions.today_for(acme.organization, past_midnight))
    assert actions.send_reminders(settings, "http://mindgap.test", past_midnight) == 1
    message = next(tmp_path.glob("*.eml")).read_text()
    assert "Overdue since 2026-07-01" in message
    assert "(Pacific/Auckland time)" in message
    # West of UTC, 2 July in UTC can still be the due date there: not overdue, a due reminder is owed.
    acme.organization.time_zone = "America/Los_Angeles"
    evening_there = datetime(2026, 7, 2, 3, tzinfo=UTC)
    assert actions.today_for(acme.organization, evening_there) == date(2026, 7, 1)
    assert not actions.is_overdue(action, actions.today_for(acme.organization, evening_there))
    assert actions.due_reminders(evening_there) == [(action, "due")]
    acme.organization.time_zone = "Pacific/Auckland"
    db.session.commit()
    # The update was written on 1 July there (30 June in UTC).
    payload = actions.actions_payload(acme.organization)
    assert payload["actions"][0]["updates"][-1]["on"] == "2026-07-01"
    _login(client, "manager@acme.test")
    page = client.get(f"/orgs/{acme.organization.id}/actions/{action.id}").get_data(as_text=True)
    assert "01:30 Pacific/Auckland" in page  # 1 July there, however the day is written
    assert "2026-07-01" in page or "1 July 2026" in page
    assert "(Pacific/Auckland time)" in page


# --- did it work?


def test_a_planted_effect_is_found_and_none_is_not(app, acme):
    teams = acme.teams
    action = actions.create_action(acme.consultant, acme.organization, actions.ActionFields(
        "Weekly pipeline review", "feedback", "teams", (teams.north.id,), owner_name="Ann",
        status="done"), wave=acme.wave)  # fmt: skip
    idle = actions.create_action(acme.consultant, acme.organization, actions.ActionFields(
        "Shared CRM", "data_systems", "teams", (teams.south.id,), owner_name="Bo", status="done"),
        wave=acme.wave)  # fmt: skip
    hidden = actions.create_action(acme.consultant, acme.organization, actions.ActionFields(
        "Small team", "trust", "teams", (teams.demand.id,), owner_name="Bo", status="done"),
        wave=acme.wave)  # fmt: skip
    planned = actions.create_action(acme.consultant, acme.organization, actions.ActionFields(
        "Not begun", "trust", "teams", (teams.south.id,), owner_name="Bo"), wave=acme.wave)  # fmt: skip
    for created in (action, idle, hidden, planned):
        created.created_at = datetime(2026, 2, 1, tzinfo=UTC)
    db.session.commit()
    sizes = {**acme.sizes, teams.north: 30, teams.south: 30, teams.demand: 3}
    later = _released(acme.organization, "Summer", sizes, {teams.north: {"feedback": 2.0}}, seed=1)
    found = {e.action_id: e for e in evaluate(later, release_report(latest_release(later)))}
    assert found[action.id].verdict == "worked"
    assert found[action.id].ci_low > 0
    assert found[action.id].p_adjusted < 0.05
    assert found[idle.id].verdict in ("no_change", "others_moved")
    assert (found[hidden.id].verdict, found[hidden.id].reason) == (
        "too_few",
        "targeted",
    )  # below the threshold
    assert (found[planned.id].verdict, found[planned.id].reason) == ("too_early", "planned")
    # Adjusted across the actions evaluated together (Holm over the two that could be).
    assert found[idle.id].p_adjusted >= found[idle.id].p
    # The trend says the same, in words, and shows no number where nothing could be measured.
    trend = reports.organization_trend(acme.organization)
    conforms("Trend", trend)
    rows = {row["action_id"]: row for row in trend["actions"]}
    assert {row["wave_id"] for row in trend["actions"]} == {later.id}
    assert {key: row["verdict"] for key, row in rows.items()} == {key: e.verdict for key, e in found.items()}
    assert rows[action.id]["verdict_text"] == "It worked"
    assert rows[action.id]["ci_low"] > 0
    assert rows[hidden.id]["verdict_text"] == "Not enough respondents to tell"
    assert rows[hidden.id]["effect"] is None
    assert rows[planned.id]["verdict_text"] == "Too early to tell"


def test_a_pair_is_the_gap_closing_against_the_other_teams_gap(app, acme):
    teams = acme.teams
    before = release_report(latest_release(acme.wave))
    closing = {teams.north: {"handover": 1.5}}
    after_wave = _released(acme.organization, "Summer", {**acme.sizes, teams.north: 12}, closing, seed=2)
    after = release_report(latest_release(after_wave))
    pair = SimpleNamespace(dimension="handover", target="pair",
                           teams=[SimpleNamespace(team_id=teams.north.id),
                                  SimpleNamespace(team_id=teams.brand.id)])  # fmt: skip
    estimate = _estimate(pair, before, after)
    rows = {
        (when, team): row
        for when, report in (("before", before), ("after", after))
        for team, row in report.means[report.means["dimension"] == "handover"].set_index("team").iterrows()
    }

    def gap(when, a, b):
        return rows[(when, a.id)]["mean"] - rows[(when, b.id)]["mean"]

    sign = 1 if gap("before", teams.north, teams.brand) >= 0 else -1
    own = -sign * (gap("after", teams.north, teams.brand) - gap("before", teams.north, teams.brand))
    other = -sign * (gap("after", teams.south, teams.demand) - gap("before", teams.south, teams.demand))
    assert estimate.compared
    assert estimate.own.estimate == pytest.approx(own)
    assert estimate.result.estimate == pytest.approx(own - other)


# --- the demo: two actions from its first wave, one that worked and one that did not


@pytest.mark.slow
def test_the_demo_report_shows_both_verdicts(demo_site):
    client = demo_site.app.test_client()
    _login(client, "consultant@demo.mindgap.test", DEMO_PASSWORD)
    page = client.get(f"/reports/waves/{demo_site.released[-1]}").get_data(as_text=True)
    section = page[page.index("Did the actions work?") :]
    worked, idle = (title for title, *_ in DEMO_ACTIONS)
    assert worked in section
    assert idle in section
    assert "It worked." in section
    assert "No change beyond chance." in section
    assert "nan" not in section.lower()
    # The trend before it lists each wave's verdicts, the earlier follow-up's too.
    trend = page[page.index('id="trend"') : page.index("Did the actions work?")]
    assert "The actions over the waves" in trend
    waves = {wave.id: wave.name for wave in _demo_waves(demo_site)}
    assert all(trend.count(title) == 2 for title in (worked, idle))
    assert all(waves[wave_id] in trend for wave_id in demo_site.released[1:])
    assert "It worked" in trend


def _demo_waves(demo_site) -> list[Wave]:
    with demo_site.app.app_context():
        waves = db.session.scalars(select(Wave).where(Wave.id.in_(demo_site.released))).all()
        return [SimpleNamespace(id=w.id, name=w.name) for w in waves]


def test_the_api_and_the_cli_list_the_demo_actions(demo_site):
    client = demo_site.app.test_client()
    answer = client.get(
        f"/api/v1/organizations/{demo_site.organization_id}/actions", headers=demo_site.headers
    )
    assert answer.status_code == 200
    payload = answer.get_json()
    conforms("ActionList", payload)
    verdicts = {row["title"]: [e["verdict"] for e in row["evaluations"]] for row in payload["actions"]}
    worked, idle = (title for title, *_ in DEMO_ACTIONS)
    assert verdicts[worked][-1] == "worked"
    assert verdicts[idle][-1] == "no_change"
    assert len(verdicts[worked]) == 2  # evaluated in both later waves with results
    runner = demo_site.app.test_cli_runner()
    listed = runner.invoke(args=["actions", "list", "demo"])
    assert listed.exit_code == 0
    assert worked in listed.output
    as_json = runner.invoke(args=["actions", "list", "demo", "--json"])
    assert json.loads(as_json.output) == payload
    trend = client.get(f"/api/v1/organizations/{demo_site.organization_id}/trend", headers=demo_site.headers)
    conforms("Trend", trend.get_json())
    in_trend = {(row["wave_id"], row["action_id"], row["verdict"]) for row in trend.get_json()["actions"]}
    assert in_trend == {(e["wave_id"], row["id"], e["verdict"]) for row in payload["actions"]
                        for e in row["evaluations"]}  # fmt: skip
    refused = runner.invoke(args=["actions", "list", "demo", "--status", "sideways"])
    assert refused.exit_code == 1
    assert "--status" in refused.output


def test_cli_adds_updates_and_exports(runner, acme):
    added = runner.invoke(args=["actions", "add", str(acme.wave.id), "Agree the hand-over", "--dimension",
                                "handover", "--team", "North", "--team", "Brand", "--pair", "--owner",
                                "manager@acme.test", "--due", "2026-09-01"])  # fmt: skip
    assert added.exit_code == 0, added.output
    action = db.session.scalar(select(Action))
    assert (action.target, action.owner_id) == ("pair", acme.manager.id)
    updated = runner.invoke(
        args=["actions", "update", str(action.id), "--note", "Agreed.", "--status", "done"]
    )
    assert updated.exit_code == 0
    assert "done" in updated.output
    assert db.session.scalar(select(ActionUpdate.author)) == "command line"
    bad = runner.invoke(args=["actions", "add", str(acme.wave.id), "x", "--dimension", "handover", "--team",
                              "Nowhere", "--owner", "Ann"])  # fmt: skip
    assert bad.exit_code == 1
    assert "No team 'Nowhere'" in bad.output
    bad_date = runner.invoke(args=["actions", "add", str(acme.wave.id), "x", "--dimension", "handover",
                                   "--team", "North", "--owner", "Ann", "--due", "soon"])  # fmt: skip
    assert bad_date.exit_code == 1
    assert "YYYY-MM-DD" in bad_date.output
    assert db.session.scalar(select(func.count(Action.id))) == 1
    exported = runner.invoke(args=["actions", "export", "acme"])
    assert "Agree the hand-over" in exported.output
    assert "North; Brand" in exported.output
    assert db.session.scalar(select(func.count(Team.id))) == 4


# --- hostile posts to the three action forms (listed in test_fuzz_forms.NOT_FUZZED)


@pytest.mark.parametrize("endpoint", ["actions.new", "actions.edit", "actions.add_update"])
def test_the_action_forms_survive_hostile_posts(client, acme, endpoint):
    from hypothesis import given
    from hypothesis import strategies as st

    from tests.survey.test_fuzz_forms import FUZZ, form_data, refused, snapshot, text_field, urlencoded

    existing = actions.create_action(acme.consultant, acme.organization, actions.ActionFields(
        "Agree the hand-over", "handover", "teams", (acme.teams.north.id,), owner_name="Ann"),
        wave=acme.wave)  # fmt: skip
    db.session.commit()
    org, action_id = acme.organization.id, existing.id
    ids = st.sampled_from([str(acme.teams.north.id), str(acme.teams.brand.id), "0", "-1", str(2**31), "x"])
    plausible = {
        "title": text_field("Weekly review"),
        "wave": st.sampled_from([str(acme.wave.id), "0", str(2**63), ""]),
        "dimension": st.sampled_from(["feedback", "handover", "meta_accuracy", ""]),
        "target": st.sampled_from(["teams", "pair", "both"]),
        "teams": ids,
        "owner": st.sampled_from([str(acme.manager.id), "0", "999999"]),
        "owner_name": text_field("Ann"),
        "owner_email": text_field("ann@acme.test"),
        "due_on": st.sampled_from(["2026-06-30", "2026-02-30", "0000-01-01", ""]),
        "status": st.sampled_from(["planned", "in_progress", "done", "dropped", "lost"]),
        "notes": st.text(max_size=40),
        "source": st.sampled_from(["gap", "recommendation", "elsewhere"]),
        "text": text_field("Two reviews held."),
    }
    if endpoint == "actions.add_update":
        path, fields = f"/orgs/{org}/actions/{action_id}/updates", ("text", "status")
    elif endpoint == "actions.edit":
        path, fields = f"/orgs/{org}/actions/{action_id}/edit", tuple(k for k in plausible if k != "text")
    else:
        path, fields = f"/orgs/{org}/actions/new", tuple(k for k in plausible if k != "text")
    _login(client, "manager@acme.test")

    @FUZZ
    @given(data=form_data({name: plausible[name] for name in fields}))
    def never_fails(data):
        before = snapshot()
        response = client.post(path, data=urlencoded(data), content_type="application/x-www-form-urlencoded")
        if refused(client, response, redirects_on_success=True):
            assert snapshot() == before, "a refused post changed stored data"

    never_fails()


def test_the_effect_is_the_difference_of_the_changes_as_shown():
    """Each change is rounded to a whole point; the effect shown is their difference, not the
    estimate rounded on its own (17.6 against -10.6 reads +18 against -11: effect +29, not +28)."""
    from types import SimpleNamespace

    from survey.services.action_effects import Evaluation
    from survey.services.action_section import sentence

    scale = (1.0, 5.0)  # 4 answer units are 100 points
    evaluation = Evaluation(
        action_id=1, verdict="worked", estimate=(17.6 + 10.6) * 0.04, ci_low=0.1, ci_high=1.9,
        own_change=17.6 * 0.04, comparison_change=-10.6 * 0.04, compared=True, scale=scale,
    )  # fmt: skip
    action = SimpleNamespace(
        target="teams", teams=[SimpleNamespace(team=SimpleNamespace(name="Sales North"))]
    )
    text = sentence("en", action, evaluation)
    assert "+18" in text
    assert "\u221211" in text
    assert "+29" in text
    assert "+28" not in text
