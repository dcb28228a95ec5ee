"""Privacy duties: erasing a participant, retention periods (the daily job), a person's data export.

Each test reads the database afterwards: what should be gone is gone, what should stay stays.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey import jobs
from survey.extensions import db
from survey.models import (
    Answer,
    AuditEvent,
    Comment,
    EmailSend,
    Invitation,
    Participant,
    Release,
    Response,
    WaveMember,
    utcnow,
)
from survey.services import ServiceError
from survey.services.invitations import hash_token
from survey.services.organizations import create_organization, create_team
from survey.services.privacy import apply_retention, erase_participant, export_person, set_retention
from survey.services.releases import latest_release, release_report
from survey.services.response_import import import_responses
from survey.services.waves import close_wave, create_wave, open_wave
from tests.survey.test_releases import simulated

pytestmark = pytest.mark.db


def released_wave(threshold: int, per_team: int = 6, name: str = "Spring"):
    """A closed, released wave of Sales and Marketing, ``per_team`` each; one sales response is
    a roster person's (Ann), with an invitation, an e-mail record and a comment."""
    organization = create_organization(f"Acme {name}", f"acme-{name.lower()}")
    sales = create_team(organization, "Sales", "sales")
    marketing = create_team(organization, "Marketing", "marketing")
    wave = open_wave(create_wave(organization, name, ["alignment"], anonymity_threshold=threshold))
    db.session.flush()
    import_responses(wave, simulated(wave, sales.id, per_team, 1))
    import_responses(wave, simulated(wave, marketing.id, per_team, 2))
    ann = Participant(organization=organization, team=sales, email=f"ann@{name.lower()}.example.org",
                      display_name="Ann", attributes={"region": "North"})  # fmt: skip
    db.session.add(ann)
    db.session.flush()
    invitation = Invitation(
        wave_id=wave.id, participant_id=ann.id, token_hash=hash_token(secrets.token_urlsafe())
    )
    db.session.add_all([invitation, WaveMember(wave_id=wave.id, participant_id=ann.id, team_id=sales.id)])
    db.session.flush()
    db.session.add(EmailSend(invitation=invitation, kind="invitation", status="sent", attempts=1))
    response = db.session.scalar(select(Response).where(Response.team_id == sales.id).order_by(Response.id))
    response.invitation_id = invitation.id
    db.session.add(Comment(response=response, subject_id="general", text="Leads reach us too late."))
    db.session.flush()
    close_wave(wave)
    db.session.commit()
    return organization, wave, ann, response.id


def test_erasing_removes_the_person_and_keeps_a_release_that_stays_above_threshold(app):
    organization, wave, ann, response_id = released_wave(threshold=5)
    release = latest_release(wave)
    before = release_report(release).alignment.headline.alignment
    result = erase_participant(None, ann)
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(Participant, ann.id) is None
    assert db.session.get(Response, response_id) is None
    assert db.session.scalar(select(func.count(Answer.id)).where(Answer.response_id == response_id)) == 0
    assert db.session.scalar(select(func.count(Comment.id)).where(Comment.response_id == response_id)) == 0
    assert (
        db.session.scalar(select(func.count(Invitation.id)).where(Invitation.participant_id == ann.id)) == 0
    )
    assert db.session.scalar(select(func.count(EmailSend.id))) == 0
    assert db.session.scalar(select(func.count(WaveMember.participant_id))) == 0
    assert db.session.scalar(select(func.count(Response.id))) == 11
    assert (result.invitations, result.emails, result.responses) == (1, 1, 1)
    assert result.kept_releases == ((wave.id, 1),)
    assert result.withdrawn_releases == ()
    # The published release stands as published (read from its stored report, in any language).
    kept = db.session.get(Release, release.id)
    assert kept.status == "published"
    assert release_report(kept).alignment.headline.alignment == before
    assert release_report(kept, "de").alignment.headline.alignment == before
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "participant.erased"))
    assert event.subject == f"participant {ann.id}"
    assert "ann@" not in json.dumps(event.details)
    assert "Ann" not in event.subject


def test_erasing_withdraws_a_release_whose_group_would_fall_below_threshold(app):
    organization, wave, ann, _ = released_wave(threshold=6)
    release = latest_release(wave)
    assert release is not None
    result = erase_participant(None, ann)
    db.session.commit()
    db.session.expire_all()
    assert result.withdrawn_releases == ((wave.id, 1),)
    withdrawn = db.session.get(Release, release.id)
    assert (withdrawn.status, withdrawn.number, withdrawn.payload) == ("withheld", None, None)
    assert "withdrawn" in withdrawn.reason
    assert latest_release(wave) is None


def test_the_erase_page_says_what_happens_and_asks_for_confirmation(app, client, make_user):
    organization, wave, ann, response_id = released_wave(threshold=6)
    make_user("c@example.org", role="consultant", organization=organization)
    client.post("/auth/login", data={"email": "c@example.org", "password": "correct horse battery"})
    path = f"/orgs/{organization.id}/roster/{ann.id}/erase"
    page = client.get(path).get_data(as_text=True)
    assert "1 response with its answers" in page
    assert "will be withdrawn" in page
    unconfirmed = client.post(path, data={})
    assert unconfirmed.status_code == 200
    assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert db.session.get(Participant, ann.id) is not None
    done = client.post(path, data={"confirm": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Participant, ann.id) is None
    assert db.session.get(Response, response_id) is None


def test_retention_deletes_raw_answers_of_old_waves_and_keeps_published_results(app):
    organization, wave, _ann, _ = released_wave(threshold=5, name="Old")
    _, recent, _, _ = released_wave(threshold=5, name="Recent")
    wave.opens_at, wave.closes_at = utcnow() - timedelta(days=60), utcnow() - timedelta(days=40)
    release = latest_release(wave)
    stored = release_report(release).alignment.headline.alignment
    with pytest.raises(ServiceError, match="30 to 3650"):
        set_retention(None, organization, 7)
    set_retention(None, organization, 30)
    recent.organization.retention_days = 30  # closed just now: not due
    db.session.commit()

    jobs._queue(app).daily()  # the scheduled job
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Response.id)).where(Response.wave_id == wave.id)) == 0
    assert db.session.scalar(select(func.count(Response.id)).where(Response.wave_id == recent.id)) == 12
    kept = latest_release(wave)
    assert kept.id == release.id
    assert release_report(kept).alignment.headline.alignment == stored
    assert release_report(kept, "de").alignment.headline.alignment == stored
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.applied"))
    assert event.details == {"responses": 12, "days": 30}
    assert apply_retention().deleted == {}  # nothing more to delete
    # A later wave still releases; the wave without raw answers is no point of its trend.
    sales, marketing = sorted(organization.teams, key=lambda team: team.function, reverse=True)
    later = open_wave(create_wave(organization, "Autumn", ["alignment"], anonymity_threshold=5))
    db.session.flush()
    import_responses(later, simulated(later, sales.id, 6, 3))
    import_responses(later, simulated(later, marketing.id, 6, 4))
    close_wave(later)
    db.session.commit()
    report = release_report(latest_release(later))
    assert list(report.trend.alignment["wave"]) == ["Autumn"]


def test_a_persons_export_holds_everything_stored_about_them(app, client, make_user):
    organization, wave, ann, _ = released_wave(threshold=5)
    make_user("c@example.org", role="consultant", organization=organization)
    data = export_person(None, ann)
    assert data["roster_entry"]["email"] == ann.email
    assert data["roster_entry"]["attributes"] == {"region": "North"}
    assert [w["team"] for w in data["waves"]] == ["Sales"]
    assert data["emails"][0]["kind"] == "invitation"
    (response,) = data["responses"]
    assert len(response["answers"]) == db.session.scalar(
        select(func.count(Answer.id)).join(Response).where(Response.invitation_id.is_not(None))
    )
    assert response["comments"][0]["text"] == "Leads reach us too late."
    text = json.dumps(data)
    invitation = db.session.scalar(select(Invitation))
    assert invitation.token_hash not in text
    client.post("/auth/login", data={"email": "c@example.org", "password": "correct horse battery"})
    download = client.post(f"/orgs/{organization.id}/roster/{ann.id}/export")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert json.loads(download.data)["roster_entry"]["name"] == "Ann"
    actions = list(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "participant.exported"))
    )
    assert actions == ["participant.exported", "participant.exported"]


def test_the_command_line_sets_retention_exports_and_erases(app, runner, tmp_path):
    organization, wave, ann, response_id = released_wave(threshold=5)
    refused = runner.invoke(args=["privacy", "retention", "--org", organization.slug, "7"])
    assert refused.exit_code == 1
    assert "30 to 3650" in refused.output
    assert runner.invoke(args=["privacy", "retention", "--org", organization.slug, "90"]).exit_code == 0
    db.session.expire_all()
    assert organization.retention_days == 90
    out = tmp_path / "ann.json"
    exported = runner.invoke(
        args=["privacy", "export", "--org", organization.slug, ann.email, "--out", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    assert json.loads(out.read_text())["roster_entry"]["email"] == ann.email
    unknown = runner.invoke(
        args=["privacy", "erase", "--org", organization.slug, "nobody@example.org", "--yes"]
    )
    assert unknown.exit_code == 1
    assert "nobody with the address" in unknown.output
    declined = runner.invoke(args=["privacy", "erase", "--org", organization.slug, ann.email], input="n\n")
    assert declined.exit_code == 1
    assert db.session.get(Participant, ann.id) is not None
    erased = runner.invoke(args=["privacy", "erase", "--org", organization.slug, ann.email, "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "1 response(s)" in erased.output
    db.session.expire_all()
    assert db.session.get(Participant, ann.id) is None
    assert db.session.get(Response, response_id) is None
    assert runner.invoke(args=["privacy", "apply-retention"]).exit_code == 0
