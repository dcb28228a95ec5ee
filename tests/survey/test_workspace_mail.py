"""Invitation and reminder e-mails against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import socket
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import EmailSend, Invitation, Participant, utcnow
from survey.services import ServiceError
from survey.services.invitations import find_invitation
from survey.services.mailing import (
    MIN_REMINDER_INTERVAL,
    MailServerError,
    MailSettings,
    retry_reminders,
    send_invitations,
    send_reminders,
    send_status,
)


class RecordingHandler:
    """Accepts every message, except for the recipients in :attr:`refuse` (550 at RCPT)."""

    def __init__(self):
        self.messages = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = message_from_bytes(envelope.content, policy=default_policy)
        for recipient in envelope.rcpt_tos:
            self.messages.append((recipient, message))
        return "250 Message accepted for delivery"

    def received(self) -> Counter:
        return Counter(recipient for recipient, _ in self.messages)

    def body_for(self, recipient: str) -> str:
        return next(m for r, m in self.messages if r == recipient).get_body(("plain",)).get_content()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="surveys@mindgap.test")
    yield handler
    controller.stop()


@pytest.fixture
def settings(app, smtp_server):
    return MailSettings.from_config(app.config)


@pytest.fixture
def wave(make_survey):
    """An open wave with 6 invited people (2 per team), one of whom prefers German."""
    setup = make_survey(per_team=2)
    german = db.session.scalar(select(Participant).where(Participant.email == "sales2@example.org"))
    german.attributes = {"language": "de"}
    db.session.commit()
    return setup.wave


def link_token(body: str) -> str:
    line = next(line for line in body.splitlines() if "/s/" in line)
    return line.rsplit("/s/", 1)[1].strip()


def test_invitations_reach_everyone_once_with_working_links(wave, settings, smtp_server):
    report = send_invitations(wave, settings, db.session.commit)
    assert sorted(report.sent) == sorted(
        f"{f}{n}@example.org" for f in ("sales", "marketing", "other") for n in (1, 2)
    )
    assert report.failed == []
    assert set(smtp_server.received().values()) == {1}
    _, message = smtp_server.messages[0]
    assert message["From"] == "surveys@mindgap.test"
    assert "Wave 1" in message["Subject"]
    # Every link in a message opens that person's invitation.
    for recipient in smtp_server.received():
        invitation = find_invitation(link_token(smtp_server.body_for(recipient)))
        assert invitation.participant.email == recipient
        assert invitation.sent_at is not None
    assert "Ihr persönlicher Link" in smtp_server.body_for("sales2@example.org")
    assert "Your personal link" in smtp_server.body_for("sales1@example.org")
    # Sending again sends nothing: everyone has had it.
    again = send_invitations(wave, settings, db.session.commit)
    assert again.sent == []
    assert again.failed == []
    assert len(smtp_server.messages) == 6


def test_failure_half_way_then_retry_sends_each_message_once(wave, settings, smtp_server):
    smtp_server.refuse = {"marketing1@example.org", "other2@example.org"}
    first = send_invitations(wave, settings, db.session.commit)
    assert len(first.sent) == 4
    first_failed = sorted(address for address, _ in first.failed)
    assert first_failed == ["marketing1@example.org", "other2@example.org"]
    assert all(error.startswith("550") for _, error in first.failed)
    status = send_status(wave)
    assert (status.count("invitation", "sent"), status.count("invitation", "failed")) == (4, 2)
    assert {address for address, _, _ in status.failures} == smtp_server.refuse

    smtp_server.refuse = set()
    retry = send_invitations(wave, settings, db.session.commit)
    assert sorted(retry.sent) == ["marketing1@example.org", "other2@example.org"]
    everyone = [f"{f}{n}@example.org" for f in ("sales", "marketing", "other") for n in (1, 2)]
    assert smtp_server.received() == Counter(everyone)
    attempts = dict(
        db.session.execute(
            select(Participant.email, EmailSend.attempts)
            .join(Invitation, Invitation.id == EmailSend.invitation_id)
            .join(Participant, Participant.id == Invitation.participant_id)
        ).all()
    )
    assert attempts == {address: 2 if address in first_failed else 1 for address in everyone}
    assert set(db.session.scalars(select(EmailSend.status))) == {"sent"}


def test_a_send_of_unknown_outcome_is_never_repeated(wave, settings, smtp_server):
    # As if the process died after recording the send but before hearing back from the server.
    invitation = db.session.scalar(select(Invitation).order_by(Invitation.id))
    db.session.add(EmailSend(invitation=invitation, kind="invitation", round=0, status="sending", attempts=1))
    db.session.commit()
    report = send_invitations(wave, settings, db.session.commit)
    assert len(report.sent) == 5
    assert report.unknown == 1
    assert invitation.participant.email not in smtp_server.received()


def test_reminders_go_only_to_those_who_have_not_submitted(wave, settings, smtp_server):
    send_invitations(wave, settings, db.session.commit)
    submitted = db.session.scalar(
        select(Invitation).join(Participant).where(Participant.email == "sales1@example.org")
    )
    submitted.used_at = utcnow()
    db.session.commit()
    old_token = link_token(smtp_server.body_for("marketing1@example.org"))
    smtp_server.messages.clear()

    smtp_server.refuse = {"other1@example.org"}
    report = send_reminders(wave, settings, db.session.commit)
    assert "sales1@example.org" not in smtp_server.received()
    assert len(report.sent) == 4
    assert [address for address, _ in report.failed] == ["other1@example.org"]
    subjects = {recipient: message["Subject"] for recipient, message in smtp_server.messages}
    assert subjects["marketing1@example.org"].startswith("Reminder: the Wave 1 survey")
    assert subjects["sales2@example.org"].startswith("Erinnerung: Umfrage Wave 1")
    # The reminder's link replaces the invitation's.
    assert find_invitation(old_token) is None
    new_token = link_token(smtp_server.body_for("marketing1@example.org"))
    assert find_invitation(new_token).participant.email == "marketing1@example.org"

    with pytest.raises(ServiceError, match="Reminders went out at"):
        send_reminders(wave, settings, db.session.commit)  # a double click starts no second round

    smtp_server.refuse = set()
    retried = retry_reminders(wave, settings, db.session.commit)
    assert retried.sent == ["other1@example.org"]
    assert smtp_server.received() == Counter({a: 1 for a in ("sales2@example.org", "marketing1@example.org",
                                                             "marketing2@example.org", "other1@example.org",
                                                             "other2@example.org")})  # fmt: skip


def test_a_new_reminder_round_after_the_interval(wave, settings, smtp_server):
    first = send_reminders(wave, settings, db.session.commit)
    later, minute = utcnow(), timedelta(minutes=1)

    second = send_reminders(wave, settings, db.session.commit, now=later + MIN_REMINDER_INTERVAL + minute)
    assert len(first.sent) == len(second.sent) == 6
    assert set(smtp_server.received().values()) == {2}
    rounds = set(db.session.scalars(select(EmailSend.round).where(EmailSend.kind == "reminder")))
    assert rounds == {1, 2}


def test_unreachable_server_sends_nothing_and_leaves_everything_to_retry(app, wave, smtp_server):
    dead = MailSettings("127.0.0.1", free_port(), False, "", "", "surveys@mindgap.test")
    with pytest.raises(MailServerError, match="Cannot reach the mail server") as caught:
        send_invitations(wave, dead, db.session.commit)
    assert caught.value.report.not_attempted == 6
    assert db.session.scalar(select(func.count(EmailSend.id))) == 0
    report = send_invitations(wave, MailSettings.from_config(app.config), db.session.commit)
    assert len(report.sent) == 6


def test_people_without_address_are_counted_not_mailed(wave, settings, smtp_server):
    person = db.session.scalar(select(Participant).where(Participant.email == "other1@example.org"))
    person.email = None
    db.session.commit()
    report = send_invitations(wave, settings, db.session.commit)
    assert (len(report.sent), report.no_address) == (5, 1)


def test_no_mail_unless_the_wave_is_open(make_survey, settings, smtp_server):
    draft = make_survey(status="draft").wave
    with pytest.raises(ServiceError, match="only while the wave is open"):
        send_invitations(draft, settings, db.session.commit)
    assert smtp_server.messages == []


def test_send_from_the_wave_page_and_retry(client, auth, make_user, wave, smtp_server):
    consultant = make_user("c@example.org", role="consultant", organization=wave.organization)
    auth.login(consultant.email)
    smtp_server.refuse = {"sales1@example.org"}
    response = client.post(f"/waves/{wave.id}/send", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "5 sent, 1 failed." in page
    assert "550 5.1.1 Mailbox unavailable" in page
    smtp_server.refuse = set()
    page = client.post(f"/waves/{wave.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "1 sent." in page
    assert set(smtp_server.received().values()) == {1}
    assert len(smtp_server.received()) == 6


def test_cli_send_and_remind(runner, wave, smtp_server):
    smtp_server.refuse = {"other2@example.org"}
    result = runner.invoke(args=["invitations", "send", str(wave.id)])
    assert result.exit_code == 1
    assert "5 sent, 1 failed." in result.output
    smtp_server.refuse = set()
    result = runner.invoke(args=["invitations", "send", str(wave.id)])
    assert result.exit_code == 0, result.output
    assert "1 sent." in result.output
    result = runner.invoke(args=["invitations", "remind", str(wave.id)])
    assert result.exit_code == 0, result.output
    assert "6 sent." in result.output
