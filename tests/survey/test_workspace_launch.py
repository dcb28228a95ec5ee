"""Launching a wave safely: the form, time zones, checklist, preview, test e-mail, links on request,
confirmed closing, reopening, and the live board."""

from __future__ import annotations

import base64
import csv
import email
import hashlib
import hmac
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, Invitation, Job, Participant, Release, Response, Wave, utcnow
from survey.services import ServiceError
from survey.services.board import live_board
from survey.services.invitations import (
    current_link,
    current_token,
    derive_token,
    export_links,
    find_invitation,
    hash_token,
    links_csv,
    new_token,
    reissue_link,
)
from survey.services.launch import launch_checklist, to_utc
from survey.services.mailing import MailSettings, send_invitations, send_reminders
from survey.services.organizations import create_team
from survey.services.waves import reopen_wave

pytestmark = pytest.mark.db


@pytest.fixture
def setup(client, auth, make_user, make_survey):
    setup = make_survey(per_team=3)
    consultant = make_user("c@example.org", role="consultant", organization=setup.wave.organization)
    auth.login(consultant.email)
    return setup


@pytest.fixture
def mail_folder(app, tmp_path) -> Path:
    app.config.update(MAIL_BACKEND="file", MAIL_FOLDER=str(tmp_path))
    return tmp_path


def messages(folder: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def body(message) -> str:
    return message.get_payload(decode=True).decode("utf-8") if not message.is_multipart() else ""


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- the new-wave form


def test_the_form_orders_instruments_names_languages_and_reads_the_time_zone(client, setup):
    organization = setup.wave.organization
    organization.time_zone = "Europe/Berlin"
    db.session.commit()
    url = f"/orgs/{organization.id}/waves/new"
    page = client.get(url).get_data(as_text=True)
    assert 'type="checkbox"' in page
    assert "<select multiple" not in page
    assert ">Deutsch<" in page
    assert ">English<" in page
    assert "Opens (Europe/Berlin time, optional)" in page
    choices = [line for line in page.splitlines() if 'name="instruments"' in line]
    keys = [line.split('value="', 1)[1].split('"', 1)[0] for line in choices]
    alignment, mindset = keys.index("alignment@1.0"), keys.index("mindset@1.0")
    form = {
        "name": "Spring",
        "instruments": ["alignment@1.0", "mindset@1.0"],
        "languages": ["de"],
        "anonymity_threshold": "4",
        "mode": "confidential",
        "release_policy": "at_close",
        "closes_at": "2031-03-01T17:00",
        f"positions-{alignment}": "2",
        f"positions-{mindset}": "1",
    }
    assert client.post(url, data=form).status_code == 302
    wave = db.session.scalar(select(Wave).where(Wave.name == "Spring"))
    assert [link.instrument_version.key for link in wave.instruments] == ["mindset@1.0", "alignment@1.0"]
    assert wave.closes_at == datetime(2031, 3, 1, 16, 0, tzinfo=UTC)  # 17:00 in Berlin is 16:00 UTC
    wave_page = client.get(f"/waves/{wave.id}").get_data(as_text=True)
    assert "1 March 2031, 17:00 Europe/Berlin" in wave_page
    assert "· language Deutsch" in wave_page


def test_a_time_the_clocks_skip_is_refused_and_nothing_is_created(client, setup):
    organization = setup.wave.organization
    organization.time_zone = "Europe/Berlin"
    db.session.commit()
    form = {
        "name": "Gap",
        "instruments": ["alignment@1.0"],
        "anonymity_threshold": "4",
        "mode": "confidential",
        "release_policy": "at_close",
        "closes_at": "2031-03-30T02:30",
    }
    page = client.post(f"/orgs/{organization.id}/waves/new", data=form).get_data(as_text=True)
    assert "does not exist in Europe/Berlin" in page
    assert db.session.scalar(select(Wave).where(Wave.name == "Gap")) is None
    with pytest.raises(ServiceError, match="happens twice"):
        to_utc(datetime(2031, 10, 26, 2, 30), __import__("zoneinfo").ZoneInfo("Europe/Berlin"))


def test_the_time_zone_is_chosen_from_iana_names_and_audited(client, setup):
    organization = setup.wave.organization
    url = f"/orgs/{organization.id}/time-zone"
    assert "America/New York" in client.get(url).get_data(as_text=True)
    refused = client.post(url, data={"time_zone": "Mars/Olympus"})
    assert refused.status_code == 200
    assert "Not a valid choice" in refused.get_data(as_text=True)
    db.session.refresh(organization)
    assert organization.time_zone == "UTC"
    assert client.post(url, data={"time_zone": "America/New_York"}).status_code == 302
    db.session.refresh(organization)
    assert organization.time_zone == "America/New_York"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organization.time_zone_changed"))
    assert event.details == {"from": "UTC", "to": "America/New_York"}


# --- checklist, preview, test e-mail


def test_the_checklist_warns_per_team_below_the_threshold_and_for_languages(setup, make_survey):
    wave = setup.wave
    organization = wave.organization
    small = create_team(organization, "Field marketing", "marketing")
    db.session.add(
        Participant(
            organization=organization, team=small, email="f1@example.org", attributes={"language": "it"}
        )
    )
    wave.anonymity_threshold = 3
    db.session.commit()
    texts = [(check.level, check.text) for check in launch_checklist(wave)]
    warnings = [text for level, text in texts if level == "warning"]
    assert any(text.startswith("Team Field marketing has 1 person") for text in warnings)
    assert not any("Sales team has" in text for text in warnings)  # 3 people: at the threshold
    assert any("“it”" in text for text in warnings)  # a language the product does not ship
    assert any(level == "ok" and "English" in text for level, text in texts)
    assert any("1 active person on the roster is not invited yet" in text for text in warnings)


def test_the_preview_shows_the_respondents_page_and_stores_nothing(client, setup):
    wave = setup.wave
    before = db.session.scalar(select(func.count()).select_from(Response))
    page = client.get(f"/waves/{wave.id}/preview?lang=de&function=sales&page=1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "Preview</strong> of page 1" in text
    assert "in Deutsch" in text
    assert 'class="survey-page"' in text
    assert '<html lang="de">' in text
    plan = setup.plan("sales")
    assert plan.pages[0].items[0].text["de"][:30] in text
    moved = client.post(
        f"/waves/{wave.id}/preview?lang=de&function=sales&page=1", data={"action": "next", "item-x": "3"}
    )
    assert moved.headers["Location"].endswith(f"/waves/{wave.id}/preview?lang=de&function=sales&page=2")
    assert db.session.scalar(select(func.count()).select_from(Response)) == before
    assert client.get(f"/waves/{wave.id}/preview?lang=xx").status_code == 404
    welcome = client.get(f"/waves/{wave.id}/preview?lang=de").get_data(as_text=True)
    assert "Preview</strong> of the welcome page" in welcome
    assert f'action="/waves/{wave.id}/preview?lang=de&amp;function=sales&amp;page=0"' in welcome
    assert "/s/preview" not in welcome
    started = client.post(f"/waves/{wave.id}/preview?lang=de&function=sales&page=0", data={"language": "en"})
    assert started.headers["Location"].endswith(f"/waves/{wave.id}/preview?lang=en&function=sales&page=1")
    assert client.get(f"/waves/{wave.id}/preview?lang=de&page=999").status_code == 404
    assert client.get(f"/waves/{wave.id}/preview?page=%C2%B2").status_code == 404


def test_a_test_email_goes_to_oneself_through_the_mail_settings(client, setup, mail_folder):
    wave = setup.wave
    answer = client.post(
        f"/waves/{wave.id}/test-email", data={"kind": "invitation", "language": "de"}, follow_redirects=True
    )
    assert "Sent a test invitation in Deutsch to c@example.org" in answer.get_data(as_text=True)
    (message,) = messages(mail_folder)
    assert message["To"] == "c@example.org"
    assert message["Subject"].startswith("[Test] ")
    assert f"/waves/{wave.id}/preview?lang=de&function=sales&page=1" in body(message)
    assert (
        db.session.scalar(select(func.count()).select_from(Invitation).where(Invitation.sent_at.is_not(None)))
        == 0
    )
    assert "wave.test_email" in actions()
    refused = client.post(
        f"/waves/{wave.id}/test-email", data={"kind": "spam", "language": "de"}, follow_redirects=True
    )
    assert "Choose the invitation or the reminder." in refused.get_data(as_text=True)
    assert len(messages(mail_folder)) == 1


# --- links given again (derived, never stored), re-issued only on request


def link_token(text: str) -> str:
    return text.split("/s/", 1)[1].split()[0]


def download(client, wave) -> dict[str, dict[str, str]]:
    """The links CSV downloaded from the wave page, by participant."""
    text = client.post(f"/waves/{wave.id}/links.csv").get_data(as_text=True)
    return {row["participant"]: row for row in csv.DictReader(io.StringIO(text))}


def test_email_after_a_download_carries_the_downloaded_link(app, client, setup, mail_folder):
    wave = setup.wave
    rows = list(
        csv.DictReader(io.StringIO(client.post(f"/waves/{wave.id}/links.csv").get_data(as_text=True)))
    )
    downloaded = {row["participant"]: row["link"].rsplit("/s/", 1)[1] for row in rows}
    report = send_invitations(wave, MailSettings.from_config(app.config), db.session.commit)
    assert len(report.sent) == 9
    mailed = {message["To"]: link_token(body(message)) for message in messages(mail_folder)}
    assert mailed == downloaded  # the same link again, not a re-issued one
    for address, token in downloaded.items():
        assert find_invitation(token).participant.email == address
    sales1 = hash_token(mailed["sales1@example.org"])
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == sales1))
    assert invitation.handed_out_via == "download"  # first handed out in the download


def test_email_and_reminders_carry_the_same_working_link(app, client, setup, mail_folder):
    wave = setup.wave
    settings = MailSettings.from_config(app.config)
    send_invitations(wave, settings, db.session.commit)
    invitation = [m for m in messages(mail_folder) if m["To"] == "sales1@example.org"][0]
    token = link_token(body(invitation))
    for path in mail_folder.glob("*.eml"):
        path.unlink()
    send_reminders(wave, settings, db.session.commit)
    reminder = [m for m in messages(mail_folder) if m["To"] == "sales1@example.org"][0]
    assert "Your personal link" in body(reminder)
    assert "you were given" not in body(reminder)
    assert link_token(body(reminder)) == token
    assert find_invitation(token).participant.email == "sales1@example.org"
    assert client.get(f"/s/{token}").status_code == 200


def test_links_cannot_be_derived_without_the_key_and_are_as_long_as_random_ones(app, setup):
    invitation = db.session.scalar(select(Invitation).order_by(Invitation.id).limit(1))
    token = current_token(invitation)
    assert token is not None
    assert len(token) == len(new_token()) == 43
    assert hash_token(token) == invitation.token_hash
    assert invitation.link_nonce  # what a database dump holds: id, nonce and hash, not the token
    assert derive_token(invitation.id, invitation.link_nonce, "another-secret-key") != token
    assert derive_token(invitation.id, invitation.link_nonce, app.config["SECRET_KEY"]) == token
    # Not a plain HMAC under the secret key itself: the links' key is derived for links alone.
    plain = hmac.new(app.config["SECRET_KEY"].encode(), f"{invitation.id}:{invitation.link_nonce}".encode(),
                     hashlib.sha256).digest()  # fmt: skip
    assert base64.urlsafe_b64encode(plain).rstrip(b"=").decode() != token
    # Bound to the invitation: another id with the same nonce gives another token.
    assert derive_token(invitation.id + 1, invitation.link_nonce) != token


def test_after_a_secret_key_change_links_handed_out_are_not_given_again(app, client, setup, mail_folder):
    wave = setup.wave
    first = download(client, wave)
    app.config["SECRET_KEY"] = "a-new-secret-key"
    person = db.session.scalar(select(Participant).where(Participant.email == "sales1@example.org"))
    invitation = db.session.scalar(select(Invitation).where(Invitation.participant_id == person.id))
    assert current_link(invitation) is None
    again = {row["participant"]: row for row in csv.DictReader(io.StringIO(links_csv(export_links(wave))))}
    row = again["sales1@example.org"]
    assert row["link"] == ""
    assert row["status"].startswith("handed out in a links download on ")
    assert row["status"].endswith("re-issue it to get a new link")
    report = send_reminders_after_invitations(app, wave)
    assert report.sent
    reminder = [m for m in messages(mail_folder) if m["To"] == "sales1@example.org"][-1]
    assert "/s/" not in body(reminder)
    assert "Please use the personal link you were given on" in body(reminder)
    # The downloaded link still works (its hash is unchanged); re-issuing gives a derivable one.
    old_token = first["sales1@example.org"]["link"].rsplit("/s/", 1)[1]
    assert find_invitation(old_token) == invitation
    issued = reissue_link(invitation)
    assert current_link(invitation) == issued.link
    assert find_invitation(old_token) is None


def send_reminders_after_invitations(app, wave):
    settings = MailSettings.from_config(app.config)
    send_invitations(wave, settings, db.session.commit)
    return send_reminders(wave, settings, db.session.commit)


def test_a_link_issued_before_links_were_derived_is_issued_once_then_given_again(app, client, setup):
    wave = setup.wave
    person = db.session.scalar(select(Participant).where(Participant.email == "marketing1@example.org"))
    invitation = db.session.scalar(select(Invitation).where(Invitation.participant_id == person.id))
    invitation.link_nonce = None  # as every invitation made before the migration
    db.session.commit()
    assert current_link(invitation) is None
    first = download(client, wave)
    assert first["marketing1@example.org"]["status"] == "new link"  # nobody had it: issued now
    second = download(client, wave)
    assert second["marketing1@example.org"]["link"] == first["marketing1@example.org"]["link"]
    assert second["marketing1@example.org"]["status"].startswith("same link as handed out in a links")
    # Handed out and not derivable: listed without a link, the re-issue path stays.
    invitation.link_nonce = None
    db.session.commit()
    third = download(client, wave)
    assert third["marketing1@example.org"]["link"] == ""
    assert third["marketing1@example.org"]["status"].endswith("re-issue it to get a new link")
    page = client.get(f"/waves/{wave.id}/links").get_data(as_text=True)
    assert "1 link handed out before cannot be given again" in page
    assert "it cannot be given again, re-issue it" in page


def test_reissuing_one_link_asks_first_then_shows_the_new_link_once(client, setup):
    wave = setup.wave
    person = db.session.scalar(select(Participant).where(Participant.email == "sales2@example.org"))
    client.post(f"/waves/{wave.id}/links.csv")  # hands everyone's link out
    old = db.session.scalar(select(Invitation.token_hash).where(Invitation.participant_id == person.id))
    url = f"/waves/{wave.id}/people/{person.id}/reissue"
    confirm = client.get(url).get_data(as_text=True)
    assert "stops working at once" in confirm
    assert "Re-issue this link" in confirm
    assert (
        db.session.scalar(select(Invitation.token_hash).where(Invitation.participant_id == person.id)) == old
    )
    shown = client.post(url)
    assert shown.headers["Cache-Control"] == "no-store"
    link = shown.get_data(as_text=True).split('id="new-link">', 1)[1].split("<", 1)[0]
    assert find_invitation(link.rsplit("/s/", 1)[1]).participant_id == person.id
    invitation = db.session.scalar(select(Invitation).where(Invitation.participant_id == person.id))
    assert invitation.token_hash != old
    assert invitation.handed_out_via == "page"
    assert client.get("/s/" + link.rsplit("/s/", 1)[1]).status_code == 200
    assert current_link(invitation) == link  # the new link is the one given again from now on
    assert "link.reissued" in actions()
    links_page = client.get(f"/waves/{wave.id}/links").get_data(as_text=True)
    assert "link handed out on the wave page on" in links_page


def test_reissuing_everyone_asks_first_then_downloads_new_links(client, setup):
    wave = setup.wave
    first = client.post(f"/waves/{wave.id}/links.csv").get_data(as_text=True)
    old = {row["participant"]: row["link"] for row in csv.DictReader(io.StringIO(first))}
    confirm = client.get(f"/waves/{wave.id}/links/reissue").get_data(as_text=True)
    assert "9 links handed out before" in confirm
    assert find_invitation(old["sales1@example.org"].rsplit("/s/", 1)[1]) is not None
    fresh = client.post(f"/waves/{wave.id}/links/reissue")
    assert fresh.mimetype == "text/csv"
    rows = {row["participant"]: row for row in csv.DictReader(io.StringIO(fresh.get_data(as_text=True)))}
    assert rows["sales1@example.org"]["status"] == "new link (replaces the earlier one)"
    assert find_invitation(old["sales1@example.org"].rsplit("/s/", 1)[1]) is None
    assert client.get("/s/" + old["sales1@example.org"].rsplit("/s/", 1)[1]).status_code == 404
    again = download(client, wave)
    # The new link, given again.
    assert again["sales1@example.org"]["link"] == rows["sales1@example.org"]["link"]
    assert find_invitation(rows["sales1@example.org"]["link"].rsplit("/s/", 1)[1]) is not None
    assert actions().count("links.reissued") == 1


# --- closing with confirmation, reopening


def test_closing_asks_first_and_can_leave_the_release_for_later(client, setup):
    wave = setup.wave
    confirm = client.get(f"/waves/{wave.id}/close/confirm").get_data(as_text=True)
    assert "Every invitation link stops working at once" in confirm
    db.session.refresh(wave)
    assert wave.status == "open"
    client.post(f"/waves/{wave.id}/close", data={"release": "later"})
    db.session.refresh(wave)
    assert wave.status == "closed"
    assert db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "release")) == 0
    page = client.get(f"/waves/{wave.id}").get_data(as_text=True)
    assert 'id="reopen"' in page
    closes = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/waves/{wave.id}/reopen", data={"closes_at": closes}).status_code == 302
    db.session.refresh(wave)
    assert wave.status == "open"
    assert wave.closes_at > utcnow()
    assert actions()[-1] == "wave.reopened"
    assert find_invitation(setup.token("sales", 1)) is not None


def test_a_wave_with_published_results_cannot_be_reopened(client, setup):
    wave = setup.wave
    client.post(f"/waves/{wave.id}/close", data={"release": "later"})
    db.session.add(
        Release(
            wave_id=wave.id,
            number=1,
            status="published",
            n_responses=6,
            threshold=3,
            comment_threshold=5,
            snapshot={},
            made_by="c@example.org",
        )
    )
    db.session.commit()
    with pytest.raises(ServiceError, match="results are published"):
        reopen_wave(wave, None, None)
    db.session.rollback()
    answer = client.post(f"/waves/{wave.id}/reopen", data={}, follow_redirects=True).get_data(as_text=True)
    assert "cannot be reopened" in answer
    db.session.refresh(wave)
    assert wave.status == "closed"
    assert "wave.reopened" not in actions()


def test_reopening_needs_a_future_closing_time(setup):
    wave = setup.wave
    wave.status = "closed"
    db.session.commit()
    with pytest.raises(ServiceError, match="in the future"):
        reopen_wave(wave, None, utcnow() - timedelta(hours=1))
    db.session.rollback()
    assert db.session.get(Wave, wave.id).status == "closed"


# --- the live board


def submit(wave, email_address: str, when: datetime) -> None:
    invitation = db.session.scalar(
        select(Invitation).join(Participant).where(Participant.email == email_address)
    )
    person = invitation.participant
    db.session.add(
        Response(
            wave_id=wave.id,
            invitation_id=invitation.id,
            team_id=person.team_id,
            status="submitted",
            started_at=when,
            updated_at=when,
            submitted_at=when,
        )
    )
    invitation.used_at = when


def test_the_board_rolls_up_parent_teams_and_projects_the_final_rate(client, setup):
    wave = setup.wave
    now = utcnow()
    wave.opens_at, wave.closes_at = now - timedelta(days=4), now + timedelta(days=4)
    parent = create_team(wave.organization, "Go to market", "other")
    setup.teams["sales"].parent = parent
    setup.teams["marketing"].parent = parent
    for address, hours in (
        ("sales1@example.org", 90),
        ("sales2@example.org", 30),
        ("marketing1@example.org", 10),
    ):
        submit(wave, address, now - timedelta(hours=hours))
    db.session.commit()
    board = live_board(wave, now=now)
    rows = {row.progress.team: row for row in board.rows}
    assert (rows["Go to market"].progress.invited, rows["Go to market"].progress.submitted) == (6, 3)
    assert rows["Go to market"].sub_teams == 2
    assert rows["Sales team"].depth == 1
    assert [row.progress.team for row in board.rows][:3] == ["Go to market", "Marketing team", "Sales team"]
    assert board.projection is not None
    assert board.projection.rate_now == pytest.approx(3 / 9)
    assert 3 / 9 < board.projection.projected < 1
    page = client.get(f"/waves/{wave.id}/board").get_data(as_text=True)
    assert '<meta http-equiv="refresh"' in page
    assert "Projected at the close: about" in page
    assert "with 2 teams below" in page
    assert "33%" in page
    assert 'name="back" value="board"' in page
    assert "Open for 4 days" in page


def test_the_boards_reminder_button_goes_through_the_queue_and_back_to_the_board(client, setup, mail_folder):
    wave = setup.wave
    answer = client.post(f"/waves/{wave.id}/remind", data={"back": "board"})
    assert answer.headers["Location"].endswith(f"/waves/{wave.id}/board")
    job = db.session.scalar(select(Job).where(Job.kind == "mail"))
    assert job.params["email"] == "reminder"
    assert len(messages(mail_folder)) == 9


def test_a_closed_waves_board_links_to_its_published_results(client, setup):
    wave = setup.wave
    for n in (1, 2, 3):
        submit(wave, f"sales{n}@example.org", utcnow())
        submit(wave, f"marketing{n}@example.org", utcnow())
    db.session.commit()
    client.post(f"/waves/{wave.id}/close")
    page = client.get(f"/waves/{wave.id}/board").get_data(as_text=True)
    published = db.session.scalar(
        select(Release).where(Release.wave_id == wave.id, Release.status == "published")
    )
    assert ('id="results-link"' in page) == (published is not None)
    assert '<meta http-equiv="refresh"' not in page
