"""The data model: round trips, and the invariants the database itself enforces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey.extensions import db
from survey.models import (
    Answer,
    Comment,
    InstrumentVersion,
    Invitation,
    Membership,
    Organization,
    PageTiming,
    Participant,
    Response,
    Team,
    User,
    Wave,
    WaveInstrument,
    WaveMember,
)


@pytest.fixture
def setting(make_team):
    """An organisation with a team, a participant, a wave and an invitation."""
    team = make_team(name="Sales North", function="sales")
    organization = team.organization
    participant = Participant(organization=organization, team=team, email="p@example.org")
    version = InstrumentVersion(
        instrument_id="alignment", version="1.0", content_hash="a" * 64, definition="id: x"
    )
    wave = Wave(organization=organization, name="Spring")
    wave.instruments.append(WaveInstrument(instrument_version=version, position=0))
    db.session.add_all([participant, wave])
    db.session.flush()
    db.session.add(WaveMember(wave_id=wave.id, participant_id=participant.id, team_id=team.id))
    invitation = Invitation(wave=wave, participant=participant, token_hash="f" * 64)
    db.session.add(invitation)
    db.session.commit()
    return {"team": team, "organization": organization, "participant": participant, "wave": wave,
            "invitation": invitation}  # fmt: skip


def rejected(*objects):
    """Add ``objects``, expect the database to refuse the commit, and roll back."""
    db.session.add_all(objects)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def new_response(setting, **fields):
    return Response(wave=setting["wave"], invitation=setting["invitation"], team=setting["team"], **fields)


def test_round_trip(setting):
    response = new_response(setting, locale="de")
    response.answers.append(Answer(item_id="lq_1", value=4))
    response.answers.append(Answer(item_id="lq_2", value=None))  # prefer not to say
    response.comments.append(Comment(subject_id="general", text="Mehr Austausch, bitte."))
    db.session.add_all([response, PageTiming(response=response, page=0, seconds=41.5, visits=1)])
    db.session.commit()
    db.session.expire_all()

    stored = db.session.scalar(select(Response))
    assert stored.locale == "de"
    assert stored.status == "in_progress"
    assert {a.item_id: a.value for a in stored.answers} == {"lq_1": 4, "lq_2": None}
    assert stored.comments[0].text == "Mehr Austausch, bitte."
    assert stored.started_at.tzinfo is UTC
    wave = db.session.get(Wave, setting["wave"].id)
    assert wave.anonymity_threshold == 5
    assert wave.mode == "confidential"
    assert wave.status == "draft"
    assert wave.instruments[0].instrument_version.key == "alignment@1.0"
    assert len(db.session.get(Team, setting["team"].id).key) == 36


def test_timestamps_must_be_aware(setting):
    wave = db.session.get(Wave, setting["wave"].id)
    wave.opens_at = datetime(2026, 1, 1)  # naive: ambiguous, refused  # noqa: DTZ001
    with pytest.raises(Exception, match="timezone-aware"):
        db.session.commit()
    db.session.rollback()


def test_second_response_for_one_invitation_is_refused(setting):
    db.session.add(new_response(setting))
    db.session.commit()
    rejected(new_response(setting))


def test_two_answers_for_one_item_are_refused(setting):
    response = new_response(setting)
    db.session.add(response)
    db.session.commit()
    rejected(Answer(response_id=response.id, item_id="lq_1", value=3),
             Answer(response_id=response.id, item_id="lq_1", value=4))  # fmt: skip


def test_answer_without_response_is_refused(setting):
    rejected(Answer(response_id=None, item_id="lq_1", value=3))
    rejected(Answer(response_id=999_999, item_id="lq_1", value=3))


def test_submitted_needs_a_submission_time(setting):
    rejected(new_response(setting, status="submitted"))
    rejected(new_response(setting, status="in_progress", submitted_at=datetime.now(UTC)))
    rejected(new_response(setting, status="finished"))


def test_wave_invariants(setting):
    organization = setting["organization"]
    rejected(Wave(organization=organization, name="Too small", anonymity_threshold=2))
    rejected(Wave(organization=organization, name="Bad mode", mode="public"))
    rejected(Wave(organization=organization, name="Bad status", status="paused"))
    now = datetime.now(UTC)
    rejected(
        Wave(organization=organization, name="Backwards", opens_at=now, closes_at=now - timedelta(days=1))
    )
    db.session.add(Wave(organization=organization, name="Smallest", anonymity_threshold=3))
    db.session.commit()


def test_team_and_organization_invariants(setting):
    organization = setting["organization"]
    rejected(Team(organization=organization, name="Ops", function="operations"))
    rejected(Team(organization=organization, name="Sales North", function="sales"))
    rejected(Organization(name="Again", slug=organization.slug))
    team = setting["team"]
    team.parent_id = team.id
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_roster_and_invitation_uniqueness(setting):
    organization, team = setting["organization"], setting["team"]
    rejected(Participant(organization=organization, team=team, email="p@example.org"))
    # Without e-mail addresses any number of roster entries may exist.
    db.session.add_all([Participant(organization=organization, team=team) for _ in range(2)])
    db.session.commit()
    rejected(Invitation(wave=setting["wave"], participant=setting["participant"], token_hash="e" * 64))
    other = Participant(organization=organization, team=team, email="q@example.org")
    rejected(other, Invitation(wave=setting["wave"], participant=other, token_hash="f" * 64))


def test_comment_length_limits(setting):
    response = new_response(setting)
    db.session.add(response)
    db.session.commit()
    rejected(Comment(response_id=response.id, subject_id="general", text="x" * 5001))
    rejected(Comment(response_id=response.id, subject_id="general", text=""))
    db.session.add(Comment(response_id=response.id, subject_id="general", text="x" * 5000))
    db.session.commit()


def test_users_and_memberships(setting):
    user = User(email="c@example.org", role="consultant")
    user.set_password("a long password")
    db.session.add(user)
    db.session.add(Membership(user=user, organization=setting["organization"], role="consultant"))
    db.session.commit()
    assert user.password_hash.startswith("$argon2id$")
    assert user.check_password("a long password")
    assert not user.check_password("a wrong password")
    rejected(Membership(user=user, organization=setting["organization"], role="manager"))
    rejected(User(email="x@example.org", role="owner", password_hash="h"))
    rejected(User(email="c@example.org", role="admin", password_hash="h"))


def test_deleting_a_response_deletes_its_answers(setting):
    response = new_response(setting)
    response.answers.append(Answer(item_id="lq_1", value=2))
    db.session.add(response)
    db.session.commit()
    db.session.delete(response)
    db.session.commit()
    assert db.session.scalars(select(Answer)).all() == []
