"""Results releases: every output reads an immutable release, and no release exposes a small group.

Each attack found from outside is a named regression test here; the property-based
adversary that combines them is in ``test_adversary.py``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import select

import analysis
import instruments
from survey.extensions import db
from survey.i18n import stored_text
from survey.models import Release, Wave
from survey.services import ServiceError
from survey.services.accounts import create_api_token
from survey.services.organizations import create_organization, create_team
from survey.services.releases import change_threshold, latest_release, publish
from survey.services.response_import import import_responses
from survey.services.users import create_user
from survey.services.waves import clone_wave, close_wave, create_wave, open_wave

pytestmark = pytest.mark.db

PASSWORD = "a long enough password"


def simulated(wave: Wave, team_id: int, n: int, seed: int) -> pd.DataFrame:
    """``n`` complete, careful answers to the wave's alignment instrument from one team."""
    instrument = instruments.load("alignment")
    frame = analysis.simulate(instrument, {"t": "sales"}, n, seed=seed, missing_rate=0.0, careless_rate=0.0)
    frame["team"] = team_id
    return frame


@pytest.fixture
def org(app):
    """An organisation: Sales (North, South) and Marketing; a manager with an API token."""
    organization = create_organization("Acme", "acme")
    sales = create_team(organization, "Sales", "sales")
    north = create_team(organization, "Sales North", "sales", parent=sales)
    south = create_team(organization, "Sales South", "sales", parent=sales)
    marketing = create_team(organization, "Marketing", "marketing")
    create_user("manager@acme.test", PASSWORD, "manager", organization)
    create_user("consultant@acme.test", PASSWORD, "consultant", organization)
    db.session.flush()
    token = create_api_token("manager@acme.test").token
    db.session.commit()
    return SimpleNamespace(
        organization=organization, sales=sales, north=north, south=south, marketing=marketing,
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip


def new_wave(org, name="Spring", **options) -> Wave:
    wave = open_wave(create_wave(org.organization, name, ["alignment"], **options))
    db.session.commit()
    return wave


def submit(wave, team, n, seed):
    import_responses(wave, simulated(wave, team.id, n, seed))
    db.session.commit()


def api_report(client, org, wave):
    return client.get(f"/api/v1/waves/{wave.id}/report", headers=org.headers)


def sign_in(client, email="consultant@acme.test"):
    assert client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302


# --- live results


def test_an_open_wave_released_at_close_shows_no_result_until_it_closes(client, org):
    wave = new_wave(org)
    submit(wave, org.north, 8, 1)
    submit(wave, org.marketing, 8, 2)
    answer = api_report(client, org, wave)
    assert answer.status_code == 404
    assert "released when it closes" in answer.get_json()["message"]
    sign_in(client)
    page = client.get(f"/reports/waves/{wave.id}")
    assert page.status_code == 404
    assert "released when it closes" in page.get_data(as_text=True)
    assert client.get(f"/reports/waves/{wave.id}/responses.csv").status_code == 404

    close_wave(wave)
    db.session.commit()
    answer = api_report(client, org, wave)
    assert answer.status_code == 200
    assert answer.get_json()["release"]["number"] == 1


def test_two_api_reports_around_one_submission_give_back_nothing(client, org):
    """The attack: n_after * mean_after - n_before * mean_before, per item, for one new person."""
    wave = new_wave(org, release_policy="live")
    submit(wave, org.north, 8, 1)
    submit(wave, org.south, 6, 2)
    submit(wave, org.marketing, 9, 3)
    before = api_report(client, org, wave)
    assert before.status_code == 200
    submit(wave, org.marketing, 1, 4)  # one person submits
    after = api_report(client, org, wave)
    assert after.data == before.data  # nothing to subtract
    assert latest_release(wave).number == 1

    sign_in(client)
    raw = [client.get(f"/reports/waves/{wave.id}/responses.csv").data for _ in range(2)]
    assert sorted(raw[0].splitlines()) == sorted(raw[1].splitlines())
    rows = list(csv.DictReader(io.StringIO(raw[0].decode("utf-8-sig"))))
    assert len(rows) == 23  # the release's respondents, not the 24 who have submitted now


def test_a_live_release_steps_forward_once_every_shown_group_has_grown_enough(client, org):
    wave = new_wave(org, release_policy="live")
    for team, seed in ((org.north, 1), (org.south, 2), (org.marketing, 3)):
        submit(wave, team, 6, seed)
    first = api_report(client, org, wave).get_json()
    assert first["release"]["number"] == 1
    submit(wave, org.north, 3, 4)
    submit(wave, org.marketing, 3, 5)  # 6 new in all, but each shown group grew by only 3
    second = api_report(client, org, wave).get_json()
    assert second["release"]["number"] == 1
    withheld = db.session.scalar(
        select(Release).where(Release.wave_id == wave.id, Release.status == "withheld")
    )
    assert "fewer than 5 people" in stored_text(withheld.reason, "en")
    # Written once by whoever made the attempt, read in each reader's language.
    assert "weniger als 5 Personen" in stored_text(withheld.reason, "de")
    assert "moins de 5 personnes" in stored_text(withheld.reason, "fr")
    submit(wave, org.north, 2, 6)
    submit(wave, org.marketing, 2, 7)
    submit(wave, org.south, 5, 8)
    third = api_report(client, org, wave).get_json()
    assert third["release"]["number"] == 2
    assert third["overview"]["n_submitted"] == 33


# --- team changes and renames


def test_moving_a_small_team_out_and_back_exposes_nothing(client, org):
    """The attack: compare exports of a closed wave built before and after a team moved."""
    wave = new_wave(org)
    submit(wave, org.north, 9, 1)
    submit(wave, org.south, 3, 2)  # below the threshold: hidden inside Sales
    submit(wave, org.marketing, 8, 3)
    close_wave(wave)
    db.session.commit()
    sign_in(client)
    before = client.get(f"/reports/waves/{wave.id}/results.csv").data

    org.south.parent = None  # Sales South becomes a top-level team
    db.session.commit()
    assert client.get(f"/reports/waves/{wave.id}/results.csv").data == before
    attempt = publish(wave)
    db.session.commit()
    assert attempt.status == "withheld"
    assert "Sales in release 1" in attempt.reason
    assert "fewer than 5 people" in attempt.reason
    assert client.get(f"/reports/waves/{wave.id}/results.csv").data == before

    org.south.parent = org.sales  # and back again
    db.session.commit()
    again = publish(wave)
    db.session.commit()
    assert again.status == "published"
    assert again.number == 2
    # The same tree as release 1: the same figures, nothing new to subtract.
    assert client.get(f"/reports/waves/{wave.id}/results.csv").data == before


def analysis_report(wave, number):
    from survey.services.releases import release_report

    release = db.session.scalar(select(Release).where(Release.wave_id == wave.id, Release.number == number))
    return release_report(release)


def test_a_rename_reaches_only_a_new_release(client, org):
    wave = new_wave(org)
    submit(wave, org.north, 9, 1)
    submit(wave, org.marketing, 8, 3)
    close_wave(wave)
    db.session.commit()
    sign_in(client)
    url = f"/reports/waves/{wave.id}"
    assert "Sales North" in client.get(url).get_data(as_text=True)
    org.north.name = "Field Sales"
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Field Sales" not in page
    assert "Sales North" in page
    assert publish(wave).status == "published"
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Field Sales" in page
    assert "Sales North" not in page


def test_a_release_never_changes(org):
    wave = new_wave(org)
    submit(wave, org.north, 9, 1)
    submit(wave, org.marketing, 8, 3)
    close_wave(wave)
    db.session.commit()
    release = latest_release(wave)
    frozen = (release.payload, json.dumps(release.snapshot, sort_keys=True), json.dumps(release.groups))
    org.north.name, org.north.parent = "Renamed", None
    change_threshold(wave, 7)
    submit(wave, org.north, 2, 9)
    db.session.commit()
    db.session.expire_all()
    release = db.session.get(Release, release.id)
    now = (release.payload, json.dumps(release.snapshot, sort_keys=True), json.dumps(release.groups))
    assert now == frozen


# --- thresholds


def test_a_lower_threshold_in_a_later_wave_never_reaches_back(client, org):
    """The attack: a new wave with threshold 3 showed a 3-person team's earlier means."""
    may = new_wave(org, "May")
    submit(may, org.north, 9, 1)
    submit(may, org.south, 3, 2)
    submit(may, org.marketing, 8, 3)
    close_wave(may)
    db.session.commit()
    assert org.south.id not in analysis_report(may, 1).suppression.shown

    june = new_wave(org, "June", anonymity_threshold=3)
    submit(june, org.north, 9, 4)
    submit(june, org.south, 3, 5)
    submit(june, org.marketing, 8, 6)
    close_wave(june)
    db.session.commit()
    report = analysis_report(june, 1)
    assert org.south.id in report.suppression.shown  # shown in June, at June's threshold
    sign_in(client)
    page = client.get(f"/reports/waves/{june.id}/teams/{org.south.id}").get_data(as_text=True)
    assert "Sales South" in page
    from survey.services import reports

    team = reports.team_report(latest_release(june), org.south.id, report)
    assert set(team.trend["wave"]) == {"June"}  # no May point: May showed no figure for the team


def test_a_threshold_is_never_lowered_below_a_release(org):
    wave = new_wave(org)
    submit(wave, org.north, 9, 1)
    close_wave(wave)
    db.session.commit()
    with pytest.raises(ServiceError, match="cannot be lowered below that"):
        change_threshold(wave, 4)
    change_threshold(wave, 6)
    assert wave.anonymity_threshold == 6


def test_the_threshold_cli_says_why_it_refuses(runner, org):
    wave = new_wave(org)
    submit(wave, org.north, 9, 1)
    close_wave(wave)
    db.session.commit()
    result = runner.invoke(args=["waves", "threshold", str(wave.id), "3"])
    assert result.exit_code != 0
    assert "cannot be lowered" in result.output


# --- comments


def test_comments_are_released_only_once_the_wave_has_closed(org):
    wave = new_wave(org, release_policy="live")
    submit(wave, org.north, 12, 1)
    assert publish(wave).snapshot["comments"] is False
    close_wave(wave)
    db.session.commit()
    assert latest_release(wave).snapshot["comments"] is True


# --- wave names


def test_wave_names_are_unique_within_an_organisation(org, client, runner):
    new_wave(org, "Spring")
    with pytest.raises(ServiceError, match="already has a wave called 'Spring'"):
        create_wave(org.organization, " spring ", ["alignment"])
    db.session.rollback()
    with pytest.raises(ServiceError, match="already has a wave called"):
        clone_wave(db.session.scalar(select(Wave)), "Spring")
    db.session.rollback()
    result = runner.invoke(
        args=["waves", "create", "--org", "acme", "--name", "Spring", "--instrument", "alignment"]
    )
    assert result.exit_code != 0
    assert "already has a wave called" in result.output
    sign_in(client)
    page = client.post(
        f"/orgs/{org.organization.id}/waves/new",
        data={"name": "Spring", "instruments": ["alignment@1.0"], "anonymity_threshold": 5,
              "mode": "confidential", "release_policy": "at_close"},
    )  # fmt: skip
    assert page.status_code == 200
    assert "already has a wave called" in page.get_data(as_text=True)
    assert len(db.session.scalars(select(Wave)).all()) == 1


@pytest.mark.parametrize("name", ["Ⱦ", "Straße", "İstanbul"])
def test_a_name_taken_in_letters_python_folds_differently_is_refused_not_500(org, client, name):
    """Found by fuzzing the clone form: str.lower and SQLite's lower() disagree on "Ⱦ", so the
    check missed the taken name and the unique constraint answered 500."""
    wave = new_wave(org, name)
    sign_in(client)
    page = client.post(f"/waves/{wave.id}/clone", data={"name": name})
    assert page.status_code == 302
    with client.session_transaction() as session:
        assert any("already has a wave called" in message for _, message in session["_flashes"])
    assert db.session.scalars(select(Wave.name)).all() == [name]


def test_two_waves_of_the_same_organisation_no_longer_break_its_pages(client, org):
    """The bug: two waves with one name made every later report and the trend answer 500."""
    first = new_wave(org, "Round")
    submit(first, org.north, 9, 1)
    close_wave(first)
    second = new_wave(org, "Round (2)")
    submit(second, org.north, 9, 2)
    close_wave(second)
    db.session.commit()
    sign_in(client)
    assert client.get(f"/reports/waves/{second.id}").status_code == 200
    assert client.get(f"/orgs/{org.organization.id}").status_code == 200
    trend = client.get(f"/api/v1/organizations/{org.organization.id}/trend", headers=org.headers)
    assert trend.status_code == 200
    assert trend.get_json()["waves"] == ["Round", "Round (2)"]


# --- the wave page


def test_the_wave_page_releases_and_says_why_a_release_was_withheld(client, org):
    wave = new_wave(org, release_policy="live")
    submit(wave, org.north, 6, 1)
    submit(wave, org.marketing, 6, 2)
    sign_in(client)
    page = client.post(f"/waves/{wave.id}/release", follow_redirects=True).get_data(as_text=True)
    assert "Results released (release 1)." in page
    submit(wave, org.north, 2, 3)
    page = client.post(f"/waves/{wave.id}/release", follow_redirects=True).get_data(as_text=True)
    assert "Not published: someone holding the results already released" in page
    assert "Sales North in release 1" in page
    assert latest_release(wave).number == 1
    lowered = client.post(f"/waves/{wave.id}/threshold", data={"threshold": 3}, follow_redirects=True)
    assert "cannot be lowered below that" in lowered.get_data(as_text=True)
    raised = client.post(f"/waves/{wave.id}/threshold", data={"threshold": 6}, follow_redirects=True)
    assert "Saved the anonymity threshold." in raised.get_data(as_text=True)
    assert db.session.get(Wave, wave.id).anonymity_threshold == 6


def test_an_at_close_wave_cannot_be_released_while_open(org, runner):
    wave = new_wave(org)
    submit(wave, org.north, 9, 1)
    with pytest.raises(ServiceError, match="released when it closes"):
        publish(wave)
    db.session.rollback()
    result = runner.invoke(args=["releases", "create", str(wave.id)])
    assert result.exit_code != 0
    assert "released when it closes" in result.output
    close_wave(wave)
    db.session.commit()
    listed = runner.invoke(args=["releases", "list", str(wave.id), "--json"])
    assert json.loads(listed.output)[0]["number"] == 1


# --- closing queues the release as a job


def test_closing_queues_the_release_and_the_job_makes_it_once(org, other_app, database_url, tmp_path):
    from survey import jobs
    from survey.models import Job
    from survey.services import background

    wave = new_wave(org)
    submit(wave, org.north, 8, 1)
    submit(wave, org.marketing, 8, 2)
    web = other_app(database_url, JOBS_IMMEDIATE=False, JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    client = web.test_client()
    sign_in(client)
    page = client.post(f"/waves/{wave.id}/close", follow_redirects=True).get_data(as_text=True)
    assert "The wave is closed" in page
    assert "The release of the results is being prepared" in page
    assert "Waiting for the worker" in page  # no worker has shown a sign of life
    db.session.commit()  # end this session's read snapshot
    assert db.session.get(Wave, wave.id).status == "closed"
    assert db.session.scalars(select(Release)).all() == []  # nothing computed in the request
    # Reading the report neither computes it: it says the release is on its way.
    report = client.get(f"/reports/waves/{wave.id}")
    assert report.status_code == 404
    assert "being prepared" in report.get_data(as_text=True)
    # Closing again, or the release button, queues nothing more.
    closed_again = client.post(f"/waves/{wave.id}/close", follow_redirects=True).get_data(as_text=True)
    assert "closed already" in closed_again
    again = client.post(f"/waves/{wave.id}/release", follow_redirects=True).get_data(as_text=True)
    assert "already being prepared" in again
    db.session.commit()
    (job,) = db.session.scalars(select(Job)).all()
    assert (job.kind, job.status, job.params) == ("release", "queued", {"made_by": "wave closed"})
    with web.app_context():
        assert jobs.queue_depth() == 1

    built = []
    background.run(job.id, None, batch=10, last_attempt=True, prebuild=lambda w, r: built.append(r.number))
    db.session.commit()  # as the worker does after each run
    # A worker killed after the release was committed, before the job was marked done: once its
    # heartbeat is stale, the job runs again.
    job = db.session.get(Job, job.id)
    job.status, job.finished_at = "running", None
    job.heartbeat_at = job.heartbeat_at - timedelta(minutes=5)
    db.session.commit()
    background.run(job.id, None, batch=10, last_attempt=True, prebuild=lambda w, r: built.append(r.number))
    db.session.commit()
    db.session.expire_all()
    assert [(r.number, r.status, r.made_by) for r in db.session.scalars(select(Release))] == [
        (1, "published", "wave closed")
    ]
    assert built == [1, 1]  # the files are built again, the release is not
    assert db.session.get(Job, job.id).status == "done"
    page = client.get(f"/waves/{wave.id}").get_data(as_text=True)
    assert "being prepared" not in page
    assert "Open the report" in page
