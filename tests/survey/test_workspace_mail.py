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
    """A server like most today: it offers SMTPUTF8 (aiosmtpd does unless told not to)."""
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


def test_a_refused_message_gives_its_link_back_so_the_next_one_carries_a_link(wave, settings, smtp_server):
    smtp_server.refuse = {"sales1@example.org"}
    send_invitations(wave, settings, db.session.commit)
    refused = db.session.scalar(
        select(Invitation).join(Participant).where(Participant.email == "sales1@example.org")
    )
    record = db.session.scalar(select(EmailSend).where(EmailSend.invitation_id == refused.id))
    assert (refused.handed_out_via, record.status, record.carries_link) == (None, "failed", False)
    smtp_server.refuse = set()
    send_invitations(wave, settings, db.session.commit)  # the retry
    token = link_token(smtp_server.body_for("sales1@example.org"))
    assert find_invitation(token).participant.email == "sales1@example.org"
    db.session.refresh(refused)
    assert refused.handed_out_via == "email"


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
    # The reminder re-issues nothing: it carries the invitation's link again, which keeps working.
    assert find_invitation(old_token).participant.email == "marketing1@example.org"
    reminder = smtp_server.body_for("marketing1@example.org")
    assert link_token(reminder) == old_token
    assert "you were given" not in reminder
    assert "Ihr persönlicher Link" in smtp_server.body_for("sales2@example.org")
    # The refused reminder takes nothing back: the invitation e-mail delivered the same link.
    refused = db.session.scalar(
        select(Invitation).join(Participant).where(Participant.email == "other1@example.org")
    )
    assert refused.handed_out_via == "email"

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


# --- addresses that are unusual, and failures that concern one message


@pytest.fixture
def ascii_server(app):
    """A server without SMTPUTF8: it takes no internationalised address (smtp_server does)."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=False)
    controller.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="surveys@mindgap.test")
    yield handler
    controller.stop()


def participant(email: str) -> Participant:
    return db.session.scalar(select(Participant).where(Participant.email == email))


def change(address: str, **values) -> None:
    person = participant(address)
    for name, value in values.items():
        setattr(person, name, value)
    db.session.commit()


def test_an_internationalised_address_goes_out_where_the_server_supports_smtputf8(
    wave, settings, smtp_server
):
    change("sales1@example.org", email="jürgen.mueller@example.org", display_name="Jürgen Müller")
    report = send_invitations(wave, settings, db.session.commit)
    assert (len(report.sent), report.failed) == (6, [])
    assert smtp_server.received()["jürgen.mueller@example.org"] == 1
    message = next(m for r, m in smtp_server.messages if r == "jürgen.mueller@example.org")
    assert message["To"] == "Jürgen Müller <jürgen.mueller@example.org>"
    token = link_token(smtp_server.body_for("jürgen.mueller@example.org"))
    assert find_invitation(token).participant.email == "jürgen.mueller@example.org"


def test_without_smtputf8_that_address_fails_clearly_and_the_others_go(app, wave, ascii_server):
    settings = MailSettings.from_config(app.config)
    change("sales1@example.org", email="jürgen.mueller@example.org")
    invitation = db.session.scalar(
        select(Invitation).join(Participant).where(Participant.email == "jürgen.mueller@example.org")
    )
    link_before = invitation.token_hash
    report = send_invitations(wave, settings, db.session.commit)
    assert len(report.sent) == 5
    [(address, reason)] = report.failed
    assert address == "jürgen.mueller@example.org"
    assert "does not support internationalised addresses (SMTPUTF8)" in reason
    assert "links download" in reason
    assert "jürgen.mueller@example.org" not in ascii_server.received()
    # Nothing went out, so the link handed out some other way still works.
    assert invitation.token_hash == link_before
    # A retry tries that one again, and only that one.
    again = send_invitations(wave, settings, db.session.commit)
    assert (again.sent, [a for a, _ in again.failed]) == ([], ["jürgen.mueller@example.org"])
    assert len(ascii_server.messages) == 5


def test_an_internationalised_domain_goes_out_in_ascii_to_any_server(app, wave, ascii_server):
    change("sales1@example.org", email="anna@bücher.example.org")
    report = send_invitations(wave, MailSettings.from_config(app.config), db.session.commit)
    assert (len(report.sent), report.failed) == (6, [])
    assert ascii_server.received()["anna@xn--bcher-kva.example.org"] == 1


def test_line_breaks_in_names_stay_out_of_the_headers(wave, settings, smtp_server):
    change("sales1@example.org", display_name="Jane\nDoe\r\nBcc: victim@example.org")
    wave.name = "Wave\n1"
    db.session.commit()
    report = send_invitations(wave, settings, db.session.commit)
    assert (len(report.sent), report.failed) == (6, [])
    message = next(m for r, m in smtp_server.messages if r == "sales1@example.org")
    assert message["To"] == '"Jane Doe Bcc: victim@example.org" <sales1@example.org>'
    assert message["Bcc"] is None
    assert "Wave 1" in message["Subject"]
    assert "victim@example.org" not in smtp_server.received()


def test_an_address_with_a_comma_is_refused_not_split(wave, settings, smtp_server):
    """Stored before addresses were checked at import: it must not reach doe@example.org."""
    change("sales1@example.org", email="jane,doe@example.org")
    report = send_invitations(wave, settings, db.session.commit)
    assert len(report.sent) == 5
    [(address, reason)] = report.failed
    assert address == "jane,doe@example.org"
    assert reason.startswith("not a valid e-mail address (")
    assert "correct it on the roster" in reason
    assert "doe@example.org" not in smtp_server.received()
    assert {address for address, _, _ in send_status(wave).failures} == {"jane,doe@example.org"}


class DroppingHandler(RecordingHandler):
    """Closes the conversation (421) at the message for the recipients in :attr:`drop`."""

    def __init__(self):
        super().__init__()
        self.drop: set[str] = set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.drop & set(envelope.rcpt_tos):
            return "421 4.3.0 Closing connection"
        return await super().handle_DATA(server, session, envelope)


def test_a_dropped_connection_fails_one_message_and_the_run_goes_on(app, wave):
    handler = DroppingHandler()
    handler.drop = {"marketing1@example.org"}
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = MailSettings("127.0.0.1", controller.port, False, "", "", "surveys@mindgap.test")
        report = send_invitations(wave, settings, db.session.commit)
    finally:
        controller.stop()
    assert (len(report.sent), report.not_attempted) == (5, 0)
    [(address, reason)] = report.failed
    assert (address, reason) == ("marketing1@example.org", "connection lost: 421 4.3.0 Closing connection")


def test_the_wave_page_lists_what_failed_and_why(client, auth, make_user, wave, ascii_server):
    change("sales1@example.org", email="jürgen.mueller@example.org")
    change("sales2@example.org", email="jane,doe@example.org")
    consultant = make_user("c@example.org", role="consultant", organization=wave.organization)
    auth.login(consultant.email)
    response = client.post(f"/waves/{wave.id}/send", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "4 sent, 2 failed." in page
    assert "jürgen.mueller@example.org" in page
    assert "does not support internationalised addresses (SMTPUTF8)" in page
    assert "jane,doe@example.org" in page
    assert "correct it on the roster" in page
    retried = client.post(f"/waves/{wave.id}/retry", follow_redirects=True)
    assert retried.status_code == 200
    assert "0 sent, 2 failed." in retried.get_data(as_text=True)
    assert len(ascii_server.messages) == 4


def test_cli_names_each_failure(runner, wave, ascii_server):
    change("sales1@example.org", email="jürgen.mueller@example.org")
    result = runner.invoke(args=["invitations", "send", str(wave.id)])
    assert result.exit_code == 1
    assert "5 sent, 1 failed." in result.output
    assert "failed: jürgen.mueller@example.org: the mail server" in result.output
