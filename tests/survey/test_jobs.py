"""Background jobs: the wave page only queues, a real worker sends, and kill -9 loses nothing.

The fault test runs ``mindgap worker`` as a subprocess on the run's database and a SQLite
job file, against a real SMTP server (aiosmtpd) that can hold a message at a chosen step
so that the worker is killed at a known point of the SMTP conversation.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import EmailSend, Invitation, Job, Participant, Wave, utcnow
from survey.services import ServiceError, background
from survey.services.mailing import MailSettings
from tests.conftest import TEST_SECRET_KEY
from tests.factories import AuthActions
from tests.survey.test_workspace_mail import free_port

pytestmark = pytest.mark.db


class HoldingHandler:
    """Accepts every message; can hold the n-th one at RCPT (before its content) or after DATA."""

    def __init__(self):
        self.received: Counter = Counter()
        self.rcpts = 0
        self.hold: tuple[str, int] | None = None  #: ("rcpt" | "data", n)
        self.holding = threading.Event()
        self.release = threading.Event()

    async def _wait(self, step: str, n: int) -> None:
        if self.hold == (step, n):
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.rcpts += 1
        await self._wait("rcpt", self.rcpts)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        for address in envelope.rcpt_tos:
            self.received[address] += 1  # the server has the message from here on
        await self._wait("data", self.rcpts)
        return "250 Message accepted for delivery"

    def hold_at(self, step: str, n: int) -> None:
        self.hold = (step, n)
        self.holding.clear()
        self.release.clear()


def _smtp(handler) -> Controller:
    """A started SMTP server on a free port (another test process may take the port first: retry)."""
    for _ in range(5):
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        try:
            controller.start()
        except (OSError, RuntimeError):
            continue
        return controller
    raise RuntimeError("no free port for the SMTP server")


def _worker(database_url: str, jobs_url: str, port: int, instance) -> subprocess.Popen:
    env = dict(
        os.environ,
        MINDGAP_DATABASE_URL=database_url,
        MINDGAP_JOBS_URL=jobs_url,
        MINDGAP_SECRET_KEY=TEST_SECRET_KEY + "-worker-" + "x" * 20,
        MINDGAP_INSTANCE_PATH=str(instance),
        MINDGAP_MAIL_HOST="127.0.0.1",
        MINDGAP_MAIL_PORT=str(port),
        MINDGAP_MAIL_FROM="surveys@mindgap.test",
        MINDGAP_MAIL_BATCH_SIZE="25",
        MINDGAP_JOBS_STALE_AFTER="1",
        MINDGAP_BASE_URL="http://mindgap.test",
    )
    with open(instance / "worker.log", "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "survey.cli", "worker", "--threads", "1"], env=env,
                                stdout=log, stderr=log)  # fmt: skip


def _kill(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)


def _job_status(job_id: int) -> str:
    db.session.expire_all()
    status = db.session.get(Job, job_id).status
    db.session.commit()
    return status


@pytest.mark.once  # three worker starts: too slow to run on both databases
def test_kill_9_mid_batch_then_restart_sends_everyone_exactly_one(
    database_url, other_app, make_survey, make_user, tmp_path
):
    setup = make_survey(per_team=20)  # 60 people
    wave_id = setup.wave.id
    handler = HoldingHandler()
    controller = _smtp(handler)
    jobs_url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    web = other_app(database_url, JOBS_IMMEDIATE=False, JOBS_URL=jobs_url, JOBS_WAIT_NOTICE=1)
    consultant = make_user("c@example.org", role="consultant", organization=setup.wave.organization)
    client = web.test_client()
    AuthActions(client).login(consultant.email)
    workers = []
    try:
        sent = client.post(f"/waves/{wave_id}/send", follow_redirects=True)
        assert "Sending in the background" in sent.get_data(as_text=True)
        db.session.commit()  # end this session's read snapshot
        job_id = db.session.scalar(select(Job.id).where(Job.wave_id == wave_id))
        assert _job_status(job_id) == "queued"  # the request only queued it

        # 1. Killed while the 20th message is at RCPT: the server never had it whole.
        handler.hold_at("rcpt", 20)
        workers.append(_worker(database_url, jobs_url, controller.port, tmp_path))
        assert handler.holding.wait(60), (tmp_path / "worker.log").read_text()
        _kill(workers[-1])
        handler.release.set()
        time.sleep(1.5)  # the job's heartbeat goes stale

        # The web answers meanwhile, and says the sending waits for the worker.
        page = client.get(f"/waves/{wave_id}")
        assert page.status_code == 200
        assert "Waiting for the worker" in page.get_data(as_text=True)

        # 2. Killed while the server holds the 45th message after its end: it has it.
        handler.hold_at("data", 45)
        workers.append(_worker(database_url, jobs_url, controller.port, tmp_path))
        assert handler.holding.wait(60), (tmp_path / "worker.log").read_text()
        _kill(workers[-1])
        handler.release.set()
        time.sleep(1.5)

        # 3. A third worker resumes the job and finishes it.
        workers.append(_worker(database_url, jobs_url, controller.port, tmp_path))
        deadline = time.monotonic() + 60
        while _job_status(job_id) != "done" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _job_status(job_id) == "done", (tmp_path / "worker.log").read_text()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGINT)
                worker.wait(timeout=20)
        controller.stop()

    db.session.commit()
    everyone = set(db.session.scalars(select(Participant.email)))
    assert len(everyone) == 60
    assert set(handler.received) == everyone
    assert set(handler.received.values()) == {1}
    statuses = Counter(db.session.scalars(select(EmailSend.status)))
    # The message whose reply the second worker never read stays of unknown outcome.
    assert statuses == {"sent": 59, "delivering": 1}
    assert "Waiting for the worker" not in client.get(f"/waves/{wave_id}").get_data(as_text=True)


def test_the_send_button_only_queues(other_app, database_url, make_survey, make_user, tmp_path):
    setup = make_survey(per_team=2)
    web = other_app(database_url, JOBS_IMMEDIATE=False, JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    consultant = make_user("c@example.org", role="consultant", organization=setup.wave.organization)
    client = web.test_client()
    AuthActions(client).login(consultant.email)
    page = client.post(f"/waves/{setup.wave.id}/send", follow_redirects=True).get_data(as_text=True)
    assert "Sending in the background" in page
    db.session.commit()  # end this session's read snapshot
    assert db.session.scalar(select(EmailSend.id)) is None  # nothing sent in the request
    job = db.session.scalar(select(Job))
    assert (job.status, job.params) == ("queued", {"email": "invitation", "round": 0})
    with web.app_context():
        from survey import jobs

        assert jobs.queue_depth() == 1
        assert jobs.ping()
        assert jobs.worker_seen() is None


def test_repeat_clicks_answer_with_the_job_under_way(
    other_app, database_url, make_survey, make_user, tmp_path
):
    """Send, Remind, Retry and Release clicked again while their job waits: nothing more is queued."""
    from survey import jobs

    setup = make_survey(per_team=2)
    wave_id = setup.wave.id
    web = other_app(database_url, JOBS_IMMEDIATE=False, JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    consultant = make_user("c@example.org", role="consultant", organization=setup.wave.organization)
    client = web.test_client()
    AuthActions(client).login(consultant.email)

    def click(action: str) -> str:
        return client.post(f"/waves/{wave_id}/{action}", follow_redirects=True).get_data(as_text=True)

    assert "Sending in the background" in click("send")
    assert "Sending in the background" in click("remind")
    again = click("send")
    assert "Invitations already queued (job 1): 0 sent, 0 failed; nothing new was queued." in again
    assert "Reminder round 1 already queued (job 2)" in click("remind")
    assert "Invitations already queued (job 1)" in click("retry")  # no reminder sent yet: retry = invitations
    db.session.commit()  # end this session's read snapshot
    assert [(job.id, job.params["email"]) for job in db.session.scalars(select(Job).order_by(Job.id))] == [
        (1, "invitation"),
        (2, "reminder"),
    ]
    with web.app_context():
        assert jobs.queue_depth() == 2
    # A release job waiting for a live wave: the button answers the same way.
    wave = db.session.get(Wave, wave_id)
    wave.release_policy = "live"
    db.session.commit()
    assert "Releasing the results in the background" in click("release")
    assert "The release is already being prepared (job 3)" in click("release")
    db.session.commit()
    assert db.session.scalar(select(func.count(Job.id)).where(Job.kind == "release")) == 1
    with web.app_context():
        assert jobs.queue_depth() == 3
    # Once a job has finished, the button starts a new one.
    job = db.session.get(Job, 1)
    job.status, job.finished_at = "done", utcnow()
    db.session.commit()
    assert "Sending in the background" in click("send")
    db.session.commit()
    assert db.session.scalar(select(func.count(Job.id)).where(Job.kind == "mail")) == 3


def test_a_finished_job_run_again_changes_nothing(make_survey):
    setup = make_survey(per_team=1)
    (job,) = background.request_mail(setup.wave, "invitation", None)
    job.status, job.finished_at = "done", utcnow()
    db.session.commit()
    assert background.run(job.id, None, batch=10, last_attempt=True, prebuild=None) is False
    assert db.session.scalar(select(EmailSend.id)) is None


def test_reminder_days_schedule_one_round_per_day(make_survey):
    setup = make_survey(per_team=1)
    wave = setup.wave
    wave.closes_at = utcnow() + timedelta(days=2, hours=12)
    with pytest.raises(ServiceError, match="'x'"):
        background.parse_reminder_days("3,x")
    background.set_reminder_days(wave, background.parse_reminder_days("1, 3"))
    db.session.commit()
    assert wave.reminder_days == [3, 1]
    first = background.reminders_due()  # 3 days before the close has passed
    assert [job.params for job in first] == [{"email": "reminder", "round": 1}]
    db.session.commit()
    assert background.reminders_due() == []  # the same day does not count twice
    # 1 day before: that round is still queued (nothing went out yet), so it is not doubled.
    later = background.reminders_due(now=wave.closes_at - timedelta(hours=20))
    assert [job.id for job in later] == [first[0].id]


def _file_settings(folder) -> MailSettings:
    return MailSettings(
        "localhost", 25, False, "", "", "surveys@mindgap.test", backend="file", folder=str(folder)
    )


def _recipients(folder) -> Counter:
    return Counter(message_from_bytes(path.read_bytes(), policy=default_policy)["To"].addresses[0].addr_spec
                   for path in folder.glob("*.eml"))  # fmt: skip


def test_a_message_another_run_claimed_and_left_in_sending_is_sent_before_the_job_is_done(
    make_survey, tmp_path, monkeypatch
):
    """Two runs of one job: the other claims a message first, then stops (a worker killed, a
    database error); this run skips that message. The job is not done until a next run sends it."""
    from survey.services import mailing

    setup = make_survey(per_team=1)  # 3 people
    (job,) = background.request_mail(setup.wave, "invitation", None)
    db.session.commit()
    taken = "marketing1@example.org"
    real_claim = mailing._claim

    def claimed_elsewhere(invitation, kind, round_number, reclaim=False):
        if invitation.participant.email != taken:
            return real_claim(invitation, kind, round_number, reclaim)
        real_claim(invitation, kind, round_number, reclaim)  # the other run's claim, committed
        db.session.commit()
        return None  # ... so this run lost the race for it

    monkeypatch.setattr(mailing, "_claim", claimed_elsewhere)
    settings = _file_settings(tmp_path / "mail")
    assert background.run(job.id, settings, batch=10, last_attempt=True, prebuild=None) is True
    db.session.commit()
    assert db.session.get(Job, job.id).status == "queued"  # not done: a message is left in sending
    assert set(_recipients(tmp_path / "mail")) == {"sales1@example.org", "other1@example.org"}

    monkeypatch.setattr(mailing, "_claim", real_claim)
    assert background.run(job.id, settings, batch=10, last_attempt=True, prebuild=None) is False
    db.session.commit()
    assert db.session.get(Job, job.id).status == "done"
    assert _recipients(tmp_path / "mail") == Counter(dict.fromkeys(setup.tokens, 1))  # everyone once
    assert Counter(db.session.scalars(select(EmailSend.status))) == {"sent": 3}


def test_a_job_another_live_run_holds_is_left_to_it(make_survey, tmp_path):
    """A second task for a job whose run is alive (fresh heartbeat) does nothing; once the
    heartbeat is stale (the worker died), a run takes the job over and finishes it."""
    setup = make_survey(per_team=1)
    (job,) = background.request_mail(setup.wave, "invitation", None)
    started = utcnow()
    job.status, job.started_at, job.heartbeat_at = "running", started, started
    db.session.commit()
    settings = _file_settings(tmp_path / "mail")
    assert (
        background.run(job.id, settings, batch=10, last_attempt=True, prebuild=None, stale_after=60) is False
    )
    db.session.commit()
    assert db.session.scalar(select(EmailSend.id)) is None
    assert (db.session.get(Job, job.id).status, db.session.get(Job, job.id).heartbeat_at) == (
        "running",
        started,
    )

    db.session.get(Job, job.id).heartbeat_at = started - timedelta(seconds=61)
    db.session.commit()
    assert (
        background.run(job.id, settings, batch=10, last_attempt=True, prebuild=None, stale_after=60) is False
    )
    db.session.commit()
    assert db.session.get(Job, job.id).status == "done"
    assert _recipients(tmp_path / "mail") == Counter(dict.fromkeys(setup.tokens, 1))


def test_a_job_between_batches_is_queued_and_taken_by_one_run(make_survey, tmp_path):
    setup = make_survey(per_team=1)
    (job,) = background.request_mail(setup.wave, "invitation", None)
    db.session.commit()
    settings = _file_settings(tmp_path / "mail")
    assert background.run(job.id, settings, batch=2, last_attempt=True, prebuild=None) is True
    db.session.commit()
    job = db.session.get(Job, job.id)
    assert (job.status, job.sent) == ("queued", 2)
    # A stale-heartbeat requeue left a second task beside the job's own next batch: each runs in turn.
    assert background.run(job.id, settings, batch=2, last_attempt=True, prebuild=None) is False
    assert background.run(job.id, settings, batch=2, last_attempt=True, prebuild=None) is False
    db.session.commit()
    assert (db.session.get(Job, job.id).status, db.session.get(Job, job.id).sent) == ("done", 3)
    assert _recipients(tmp_path / "mail") == Counter(dict.fromkeys(setup.tokens, 1))


def test_a_run_whose_claim_was_taken_over_does_not_finish_the_message(make_survey, tmp_path, monkeypatch):
    """A resumed run claims a message again (its attempt number goes up) after this run
    claimed and committed it: at the message's end this run must stand down, not deliver a
    second copy. The fence compares the attempt this run claimed, not the record's number
    read again after the commit (which is the other run's)."""
    from survey.services import mailing

    setup = make_survey(per_team=1)  # 3 people
    db.session.commit()
    taken = "marketing1@example.org"
    real_compose = mailing.compose

    def compose_then_taken_over(wave, participant, kind, link, settings, **options):
        message = real_compose(wave, participant, kind, link, settings, **options)
        if participant.email == taken:
            mine = select(Invitation).join(Participant).where(Invitation.wave_id == wave.id)
            invitation = db.session.scalar(mine.where(Participant.email == taken))
            assert mailing._claim(invitation, kind, 0, reclaim=True) is not None  # the other run
        return message

    monkeypatch.setattr(mailing, "compose", compose_then_taken_over)
    settings = _file_settings(tmp_path / "mail")
    report = mailing.send_invitations(setup.wave, settings, db.session.commit)
    db.session.commit()
    assert taken not in report.sent
    assert set(_recipients(tmp_path / "mail")) == {"sales1@example.org", "other1@example.org"}
    record = db.session.scalar(select(EmailSend).join(EmailSend.invitation).join(Participant)
                               .where(Participant.email == taken))  # fmt: skip
    assert (record.status, record.attempts) == ("sending", 2)  # left to the run that owns it
