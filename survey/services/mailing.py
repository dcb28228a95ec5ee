"""Invitation and reminder e-mails over SMTP (or to a folder or the console, for trying Mindgap),
each message sent at most once.

Every message is recorded before it is sent: an :class:`~survey.models.EmailSend` row
goes to ``sending`` and is committed (together with the freshly issued token) before the
SMTP conversation starts, to ``delivering`` (committed) once the server has the whole
message but its end, and to ``sent`` or ``failed`` afterwards. A retry only picks up
``failed`` rows and invitations that have no row yet, so nobody receives the same message
twice. A row left in ``delivering`` (the process died as the message went out) is reported
as unknown and never retried automatically. A row left in ``sending`` never reached the
server whole (a server discards a message whose connection drops before its end), so a
job resumed after its worker died (``reclaim``) sends it; the step to ``delivering`` is a
conditional update on the claim's attempt number, so of two runs holding the same row only
the later claim can finish the message.

Every message, invitation or reminder, carries the invitation's current link, derived again
(:func:`~survey.services.invitations.current_link`) without replacing it. Only a link that
cannot be derived again (the secret key changed, or it was issued before links were derived)
is issued anew, and only when nobody has been given it yet
(:func:`~survey.services.invitations.handed_out`); otherwise the message asks the person to
use the link they were given, which keeps working. A message that failed and was the only
hand-out of its link gives the link back.

Failures are per message: an address that cannot be sent to (see
:mod:`survey.services.addresses`; an internationalised one needs a server with SMTPUTF8), a
refusal by the server, even a dropped connection (the run connects again) fail that message
alone, with the reason recorded for the wave page, and the others go on. An address that
cannot be sent to is refused before its link is reissued, so a link handed out another way
keeps working.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from survey.extensions import db
from survey.i18n import LANGUAGES, N_, _, ngettext, short_date, translate
from survey.metrics import count_email
from survey.models import EmailSend, Invitation, Participant, Team, Wave, utcnow
from survey.models.types import day_of, now_for
from survey.services import ServiceError
from survey.services.addresses import AddressError, Recipient, recipient
from survey.services.branding import sender_header
from survey.services.dates import readable_date, zone_named
from survey.services.invitations import current_link, hand_out, handed_out
from survey.services.mail_backends import BACKENDS, open_local
from survey.services.responding import expected_minutes, plan_for

#: Shortest time between two reminder rounds of one wave (a double click must not send twice).
MIN_REMINDER_INTERVAL = timedelta(hours=12)
SMTP_TIMEOUT_SECONDS = 30
#: How often one run connects again after the server dropped the connection.
MAX_RECONNECTS = 3

#: Subject and body per kind, in English; the catalogue translates them. Fields: {organization},
#: {wave}, {link}, {closes}, {minutes} (the expected time for the recipient's team, as the
#: welcome page says it).
MESSAGES: dict[str, tuple[str, str]] = {
    "invitation": (
        N_("{organization}: your invitation to the {wave} survey"),
        N_(
            "Hello,\n\n{organization} asks you to take part in the {wave} survey on how sales and "
            "marketing work together. It takes about {minutes} minutes; you can stop and come back later.\n\n"
            "Your answers are confidential: results are shown only for groups, never for one person.\n\n"
            "{link}{closes}Thank you.\n"
        ),
    ),
    "reminder": (
        N_("Reminder: the {wave} survey of {organization}"),
        N_(
            "Hello,\n\nthis is a reminder of the {wave} survey of {organization}. If you have started, "
            "the link takes you back to where you stopped.\n\n"
            "{link}{closes}Thank you.\n"
        ),
    ),
    "closes": ("", N_("The survey closes on {date}.\n\n")),
    "link": ("", N_("Your personal link (please do not forward it):\n{link}\n\n")),
    "link_given": (
        "",
        N_(
            "Please use the personal link you were given{when}; it still works. If you cannot find it, "
            "ask {organization} for a new one.\n\n"
        ),
    ),
    "when": ("", N_(" on {date}")),
}


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    starttls: bool
    username: str
    password: str
    sender: str
    #: ``smtp``, or ``file`` / ``console`` (:mod:`survey.services.mail_backends`).
    backend: str = "smtp"
    #: Where the ``file`` backend writes.
    folder: str = ""

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)}, not {self.backend!r}")

    @classmethod
    def from_config(cls, config: Mapping) -> MailSettings:
        """Read the ``MAIL_*`` settings (server, sign-in, sender, backend and its folder)."""
        return cls(
            host=str(config.get("MAIL_HOST") or "localhost"),
            port=int(config.get("MAIL_PORT") or 25),
            starttls=bool(config.get("MAIL_STARTTLS")),
            username=str(config.get("MAIL_USERNAME") or ""),
            password=str(config.get("MAIL_PASSWORD") or ""),
            sender=str(config.get("MAIL_FROM") or "mindgap@localhost"),
            backend=str(config.get("MAIL_BACKEND") or "smtp").lower(),
            folder=str(config.get("MAIL_FOLDER") or ""),
        )


@dataclass
class SendReport:
    """What one sending run did, per recipient."""

    sent: list[str] = field(default_factory=list)
    #: (address, SMTP error) of messages the server refused; a retry sends them.
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Participants without an e-mail address (hand them a link from the CSV export).
    no_address: int = 0
    #: Messages not attempted because the connection to the server failed; a retry sends them.
    not_attempted: int = 0
    #: Messages whose outcome is unknown (left in ``delivering``); never retried automatically.
    unknown: int = 0
    #: Messages still owed after a run with a ``limit``; the next run sends them.
    remaining: int = 0

    def summary(self) -> str:
        parts = [_("{count} sent", count=len(self.sent))]
        if self.failed:
            parts.append(_("{count} failed", count=len(self.failed)))
        if self.not_attempted:
            parts.append(_("{count} not attempted (server unreachable)", count=self.not_attempted))
        if self.no_address:
            parts.append(_("{count} without an e-mail address", count=self.no_address))
        if self.unknown:
            parts.append(_("{count} of unknown outcome, not retried", count=self.unknown))
        return ", ".join(parts) + "."


def language_for(wave: Wave, participant: Participant) -> str:
    """The participant's ``language`` attribute if the wave offers it, else the wave's first language."""
    offered = [code for code in (wave.languages or []) if code in LANGUAGES] or ["en"]
    wanted = str((participant.attributes or {}).get("language", "")).lower()
    return wanted if wanted in offered or (not wave.languages and wanted in LANGUAGES) else offered[0]


def compose(
    wave: Wave,
    participant: Participant,
    kind: str,
    link: str,
    settings: MailSettings,
    *,
    given_on: datetime | None = None,
) -> EmailMessage:
    """The message of ``kind`` (``invitation`` or ``reminder``) in the participant's language.

    An empty ``link`` means the person was given their link before (``given_on``, if known):
    the message asks them to use it instead of carrying one.

    Raises :class:`~survey.services.addresses.AddressError` when the participant's address
    cannot be sent to. Line breaks and control characters in names become spaces: a header
    holds one line.
    """
    language = language_for(wave, participant)
    subject, body = (translate(language, text) for text in MESSAGES[kind])

    def part(key: str, **values) -> str:
        return translate(language, MESSAGES[key][1], **values)

    zone = zone_named(wave.organization.time_zone)
    closes = readable_date(wave.closes_at, language, zone) if wave.closes_at else ""
    closes = part("closes", date=closes) if closes else ""
    organization = wave.organization.name
    if link:
        link_text = part("link", link=link)
    else:
        when = part("when", date=short_date(given_on, language, zone)) if given_on else ""
        link_text = part("link_given", when=when, organization=organization)
    fields = {"organization": organization, "wave": wave.name, "link": link_text, "closes": closes,
              "minutes": expected_minutes(plan_for(wave, participant.team.function))}  # fmt: skip
    to = recipient(participant.email or "")
    message = EmailMessage()
    message["Subject"] = _one_line(subject.format(**fields))
    message["From"] = sender_header(settings.sender, wave.organization)  # the client's sender name
    message["To"] = Address(_one_line(participant.display_name or ""), to.username, to.domain)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(body.format(**fields))
    return message


def _one_line(text: str) -> str:
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())


class _FencedSMTP(smtplib.SMTP):
    """An SMTP client that calls :attr:`before_end` after a message's content and before its end.

    A server takes responsibility for a message only at the line that ends it (RFC 5321,
    4.1.1.4); up to then a dropped connection discards it. ``before_end`` records that the
    end is about to go out, and may refuse by raising, which abandons the connection.
    """

    before_end: Callable[[], None] = staticmethod(lambda: None)

    def data(self, msg):
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", msg).encode("ascii")
        content = re.sub(rb"(?m)^\.", b"..", msg)  # dot-stuffing, RFC 5321 4.5.2
        if not content.endswith(b"\r\n"):
            content += b"\r\n"
        self.send(content)
        try:
            self.before_end()
        except BaseException:
            self.close()
            raise
        self.send(b".\r\n")
        return self.getreply()


def _open_smtp(settings: MailSettings) -> smtplib.SMTP:
    if settings.backend != "smtp":
        return open_local(settings.backend, settings.folder)  # same interface, on this machine
    smtp = _FencedSMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.ehlo_or_helo_if_needed()  # so that has_extn() knows what the server offers
    except BaseException:
        smtp.close()
        raise
    return smtp


def _pending(
    wave: Wave, kind: str, round_number: int, reclaim: bool = False
) -> tuple[list[Invitation], int, int]:
    """Invitations still owed this message, and counts of those without address / of unknown outcome.

    With ``reclaim``, messages left in ``sending`` are owed too (their run died before the end).
    """
    rows = db.session.execute(
        select(Invitation, EmailSend.status)
        .join(Participant, Participant.id == Invitation.participant_id)
        .outerjoin(
            EmailSend,
            (EmailSend.invitation_id == Invitation.id)
            & (EmailSend.kind == kind)
            & (EmailSend.round == round_number),
        )
        .where(Invitation.wave_id == wave.id, Invitation.revoked_at.is_(None), Invitation.used_at.is_(None))
        .order_by(Invitation.id)
    ).all()
    owed, no_address, unknown = [], 0, 0
    for invitation, status in rows:
        if not invitation.participant.email:
            no_address += 1
        elif status == "delivering" or (status == "sending" and not reclaim):
            unknown += 1
        elif status in (None, "failed", "sending"):
            owed.append(invitation)
    return owed, no_address, unknown


def _claim(invitation: Invitation, kind: str, round_number: int, reclaim: bool = False) -> EmailSend | None:
    """Mark the message as being sent; ``None`` if another run got there first.

    A ``failed`` row is claimed again, and with ``reclaim`` a ``sending`` one too: the attempt
    number goes up, which is what :func:`_deliver_fenced` checks before the message's end.
    """
    existing = db.session.scalar(
        select(EmailSend).where(
            EmailSend.invitation_id == invitation.id, EmailSend.kind == kind, EmailSend.round == round_number
        )
    )
    now = now_for(invitation.wave.mode)
    if existing is None:
        record = EmailSend(invitation=invitation, kind=kind, round=round_number, status="sending", attempts=1,
                           created_at=now, updated_at=now)  # fmt: skip
        try:
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:  # the unique (invitation, kind, round): another run claimed it
            return None
        return record
    # The conditional UPDATE is the arbiter between two concurrent retries.
    claimable = ("failed", "sending") if reclaim else ("failed",)
    claimed = db.session.execute(
        update(EmailSend)
        .where(
            EmailSend.id == existing.id,
            EmailSend.status.in_(claimable),
            EmailSend.attempts == existing.attempts,
        )
        .values(status="sending", attempts=EmailSend.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    db.session.refresh(existing)
    return existing


def send_round(
    wave: Wave,
    kind: str,
    round_number: int,
    settings: MailSettings,
    checkpoint: Callable[[], None],
    *,
    limit: int | None = None,
    reclaim: bool = False,
) -> SendReport:
    """Send round ``round_number`` of ``kind`` to everyone it still owes, ``limit`` at most.

    Running it again sends only what is still owed (:attr:`SendReport.remaining` says how
    many a ``limit`` left); ``reclaim`` also takes over messages a dead run left in
    ``sending``. ``checkpoint`` commits, as in :func:`send_invitations`.
    """
    if wave.status != "open":
        raise ServiceError(_("E-mails go out only while the wave is open; open it first."))
    owed, no_address, unknown = _pending(wave, kind, round_number, reclaim)
    report = SendReport(no_address=no_address, unknown=unknown)
    if limit is not None and len(owed) > limit:
        report.remaining = len(owed) - limit
        owed = owed[:limit]
    if not owed:
        return report
    try:
        smtp = _open_smtp(settings)
    except (OSError, smtplib.SMTPException) as error:
        report.not_attempted = len(owed)
        where = f"{settings.host}:{settings.port}"
        raise MailServerError(
            _("Cannot reach the mail server {where}: {error}", where=where, error=error), report
        ) from error
    reconnects = 0
    try:
        for position, invitation in enumerate(owed):
            record = _claim(invitation, kind, round_number, reclaim)
            if record is None:
                continue
            # The attempt this run claimed, kept before a commit expires ``record``: read after
            # it, ``record.attempts`` would be a later claim's number and the fence would pass.
            attempt = record.attempts
            problem = _unsendable(invitation.participant.email or "", smtp, settings)
            if problem:
                # Refused before the link is reissued: a link handed out another way keeps working.
                _fail(record, problem, report, invitation)
                checkpoint()
                continue
            if (
                current_link(invitation) is not None
                or not handed_out(invitation)
                or (record.carries_link and invitation.handed_out_via == "email")
            ):
                # The current link, given again; or a new one when it cannot be derived and nobody
                # has it yet (or only this undelivered message had it).
                link, record.carries_link = hand_out(invitation, "email"), True
            else:
                link = ""
            message = compose(wave, invitation.participant, kind, link, settings,
                              given_on=invitation.handed_out_at)  # fmt: skip
            # Record first: once committed, a crash cannot lead to this message being sent again.
            checkpoint()
            try:
                problem = _deliver_fenced(smtp, message, record.id, attempt, checkpoint)
            except (_SupersededError, _ConnectionLostError) as error:
                # Superseded: a later claim owns this message, and the connection was dropped
                # mid-message. Lost: this message failed. Either way, connect again for the rest
                # (a few times per run at most).
                if isinstance(error, _ConnectionLostError):
                    _fail(record, f"connection lost: {error}", report, invitation)
                    checkpoint()
                smtp = _reconnect(smtp, settings, again=reconnects < MAX_RECONNECTS)
                reconnects += 1
                if smtp is None:
                    report.not_attempted = len(owed) - position - 1
                    return report
                continue
            if problem:
                _fail(record, problem, report, invitation)
            else:
                now = _touch(record, invitation)
                record.status, record.sent_at, record.error = "sent", now, None
                if kind == "invitation":
                    invitation.sent_at = now
                else:
                    invitation.reminded_at = now
                report.sent.append(invitation.participant.email)
                count_email(kind, sent=True)
            checkpoint()
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    return report


class _ConnectionLostError(Exception):
    """The connection to the mail server broke while a message was being sent."""


class _SupersededError(Exception):
    """Another run claimed the message since this one did; this run must not finish it."""


def _deliver_fenced(
    smtp: smtplib.SMTP, message: EmailMessage, record_id: int, attempt: int, checkpoint: Callable[[], None]
) -> str:
    """:func:`_deliver`, with the record moved to ``delivering`` (committed) before the message's end.

    Raises :class:`_SupersededError` when the record was claimed again since ``attempt``.
    """

    def before_end() -> None:
        moved = db.session.execute(
            update(EmailSend)
            .where(EmailSend.id == record_id, EmailSend.status == "sending",
                   EmailSend.attempts == attempt)
            .values(status="delivering")
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        if moved.rowcount != 1:
            db.session.rollback()
            raise _SupersededError
        checkpoint()

    smtp.before_end = before_end
    try:
        return _deliver(smtp, message)
    finally:
        smtp.before_end = _FencedSMTP.before_end


def _unsendable(address: str, smtp: smtplib.SMTP, settings: MailSettings) -> str:
    """Why nothing can be sent to ``address`` over ``smtp`` (``""``: it can)."""
    try:
        to: Recipient = recipient(address)
    except AddressError as error:
        return str(error)
    if to.smtputf8 and not smtp.has_extn("smtputf8"):
        return _(
            "the mail server {server} does not support internationalised "
            "addresses (SMTPUTF8), which this one is, so nothing was sent to it; give this person "
            "their link from the links download, or send through a server that supports SMTPUTF8",
            server=f"{settings.host}:{settings.port}",
        )
    return ""


def _deliver(smtp: smtplib.SMTP, message: EmailMessage) -> str:
    """Send ``message``; the server's refusal as text, ``""`` when it was accepted.

    Raises :class:`_ConnectionLostError` when the connection broke (or the server closed it).
    """
    try:
        smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        return f"{code} {_text(text)}"
    except smtplib.SMTPResponseException as error:
        if error.smtp_code == 421:  # the server is closing the connection
            raise _ConnectionLostError(f"{error.smtp_code} {_text(error.smtp_error)}") from error
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    except smtplib.SMTPNotSupportedError as error:
        return _("the mail server cannot take this message: {error}", error=error)
    except UnicodeError as error:
        _reset(smtp)
        return _("the message could not be encoded for the mail server: {error}", error=error)
    except (OSError, smtplib.SMTPException) as error:
        raise _ConnectionLostError(str(error) or type(error).__name__) from error
    return ""


def _reset(smtp: smtplib.SMTP) -> None:
    try:
        smtp.rset()
    except (OSError, smtplib.SMTPException):
        pass  # a broken connection shows at the next message


def _reconnect(smtp: smtplib.SMTP, settings: MailSettings, again: bool) -> smtplib.SMTP | None:
    """Close ``smtp``; with ``again``, return a new connection (``None`` if there is none)."""
    smtp.close()
    if not again:
        return None
    try:
        return _open_smtp(settings)
    except (OSError, smtplib.SMTPException):
        return None


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _touch(record: EmailSend, invitation: Invitation) -> datetime:
    """Date a change of ``record`` (to the day in anonymous waves) and return that time."""
    record.updated_at = now_for(invitation.wave.mode)
    # Written even when unchanged (the same day): otherwise its onupdate writes the exact time.
    flag_modified(record, "updated_at")
    return record.updated_at


def _fail(record: EmailSend, error: str, report: SendReport, invitation: Invitation) -> None:
    _touch(record, invitation)
    if record.carries_link:
        # The link in this message never reached anyone: unless another message delivered it,
        # nobody has it (a link that cannot be derived again is then issued by the next one).
        record.carries_link = False
        if invitation.handed_out_via == "email" and not _delivered_link(record, invitation):
            invitation.handed_out_via = invitation.handed_out_at = None
    record.status, record.error = "failed", error[:1000]
    report.failed.append((invitation.participant.email, error))
    count_email(record.kind, sent=False)


def _delivered_link(record: EmailSend, invitation: Invitation) -> bool:
    """Whether another message of ``invitation`` carrying its current link was sent (or may have been)."""
    since = invitation.handed_out_at
    query = select(EmailSend.id).where(
        EmailSend.invitation_id == invitation.id,
        EmailSend.id != record.id,
        EmailSend.carries_link.is_(True),
        EmailSend.status.in_(("sent", "delivering")),
    )
    if since is not None:
        query = query.where(EmailSend.updated_at >= since)
    return db.session.scalar(query.limit(1)) is not None


class MailServerError(ServiceError):
    """The mail server could not be reached; nothing was sent. Carries the :class:`SendReport`."""

    def __init__(self, message: str, report: SendReport):
        super().__init__(message)
        self.report = report


def send_invitations(wave: Wave, settings: MailSettings, checkpoint: Callable[[], None]) -> SendReport:
    """E-mail the invitation to everyone invited who has an address, has not submitted, and
    has not been sent it yet. Running it again retries exactly the failed and unsent ones.

    ``checkpoint`` commits the transaction (the caller owns it); it is called before and
    after every message, which is what makes sending at most once per recipient.
    """
    return send_round(wave, "invitation", 0, settings, checkpoint)


def latest_reminder_round(wave: Wave) -> tuple[int, object]:
    """The number of the latest reminder round (0: none yet) and when it started."""
    number, started = db.session.execute(
        select(func.max(EmailSend.round), func.min(EmailSend.created_at))
        .join(Invitation, Invitation.id == EmailSend.invitation_id)
        .where(Invitation.wave_id == wave.id, EmailSend.kind == "reminder")
        .group_by(EmailSend.round)
        .order_by(EmailSend.round.desc())
        .limit(1)
    ).one_or_none() or (0, None)
    return number, started


def send_reminders(
    wave: Wave, settings: MailSettings, checkpoint: Callable[[], None], *, now=None
) -> SendReport:
    """Start a new reminder round: one reminder to everyone invited who has not submitted.

    Refused within :data:`MIN_REMINDER_INTERVAL` of the previous round; use
    :func:`retry_reminders` to resend that round's failures instead.
    """
    return send_round(wave, "reminder", next_reminder_round(wave, now=now), settings, checkpoint)


def next_reminder_round(wave: Wave, *, now=None) -> int:
    """The number a new reminder round of ``wave`` gets; :class:`ServiceError` if it is too soon."""
    now = now or utcnow()
    number, started = latest_reminder_round(wave)
    if wave.mode == "anonymous" and started is not None and day_of(now) <= started:
        # Anonymous waves keep only the day of a round (see now_for): one round a day.
        raise ServiceError(
            _(
                "Reminders went out today; in an anonymous wave the next round is possible tomorrow "
                "(UTC). Failed ones can be retried now."
            )
        )
    if started is not None and now - started < MIN_REMINDER_INTERVAL:
        raise ServiceError(
            ngettext(
                "Reminders went out at {time} UTC; a new round is possible {count} hour after that; "
                "failed ones can be retried now.",
                "Reminders went out at {time} UTC; a new round is possible {count} hours after that; "
                "failed ones can be retried now.",
                round(MIN_REMINDER_INTERVAL.total_seconds() / 3600),
                time=f"{started:%Y-%m-%d %H:%M}",
            )
        )
    return number + 1


def retry_reminders(wave: Wave, settings: MailSettings, checkpoint: Callable[[], None]) -> SendReport:
    """Resend the latest reminder round to those it failed for or did not reach."""
    number, _started = latest_reminder_round(wave)
    if number == 0:
        raise ServiceError(_("No reminders have been sent for this wave yet."))
    return send_round(wave, "reminder", number, settings, checkpoint)


@dataclass(frozen=True)
class SendStatus:
    """How many messages of each kind and status a wave has (for the wave page)."""

    counts: dict[tuple[str, str], int]
    failures: list[tuple[str, str, str]]  #: (address, kind, error)
    #: Where messages go when they stay on this machine (:func:`delivery_notice`); "" for SMTP.
    delivery: str = ""

    def count(self, kind: str, status: str) -> int:
        return self.counts.get((kind, status), 0)


def delivery_notice(settings: MailSettings) -> str:
    """The sentence that tells a user of a development mail backend where the messages are.

    ``""`` for SMTP (messages leave for the server). The ``file`` backend's folder is shown
    relative to the working directory when it lies inside it (``instance/mail/`` under
    ``make run``), else in full.
    """
    if settings.backend == "file":
        folder = Path(settings.folder).absolute()
        try:
            shown = folder.relative_to(Path.cwd())
        except ValueError:
            shown = folder
        return _(
            "Invitations and reminders are written to {folder} as .eml files "
            "(development mail backend): no e-mail leaves this machine.",
            folder=f"{shown}{os.sep}",
        )
    if settings.backend == "console":
        return _(
            "Invitations and reminders are printed on the console of the process that sends "
            "them, the worker (development mail backend): no e-mail leaves this machine."
        )
    return ""


def send_status(wave: Wave, settings: MailSettings | None = None) -> SendStatus:
    """The wave's messages by kind and status, what failed, and where messages go.

    ``settings`` defaults to the current app's ``MAIL_*`` configuration.
    """
    if settings is None:
        settings = MailSettings.from_config(current_app.config)
    counts = {
        (kind, status): number
        for kind, status, number in db.session.execute(
            select(EmailSend.kind, EmailSend.status, func.count())
            .join(Invitation, Invitation.id == EmailSend.invitation_id)
            .where(Invitation.wave_id == wave.id)
            .group_by(EmailSend.kind, EmailSend.status)
        )
    }
    failures = [
        (email or "", kind, error or "")
        for email, kind, error in db.session.execute(
            select(Participant.email, EmailSend.kind, EmailSend.error)
            .join(Invitation, Invitation.id == EmailSend.invitation_id)
            .join(Participant, Participant.id == Invitation.participant_id)
            .where(Invitation.wave_id == wave.id, EmailSend.status == "failed")
            .order_by(Participant.email)
        )
    ]
    return SendStatus(counts, failures, delivery_notice(settings))


def send_one(
    message: EmailMessage,
    settings: MailSettings,
    refused: str = N_("The mail server did not take the message: {problem}"),
) -> None:
    """Send one message that belongs to no invitation (an account link, a test), through SMTP.

    Raises :class:`ServiceError` with the reason when the server cannot be reached, or with
    ``refused`` (a catalogue message with a ``{problem}`` field, for the server's answer) when it
    does not take the message.
    """
    try:
        smtp = _open_smtp(settings)
    except (OSError, smtplib.SMTPException) as error:
        where = f"{settings.host}:{settings.port}"
        raise ServiceError(
            _("Cannot reach the mail server {where}: {error}", where=where, error=error)
        ) from error
    try:
        problem = _deliver(smtp, message)
    except _ConnectionLostError as error:
        problem = _("connection lost: {error}", error=error)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    if problem:
        raise ServiceError(_(refused, problem=problem))


def send_test_message(wave: Wave, actor, kind: str, language: str, link: str, settings: MailSettings) -> str:
    """Send the wave's ``kind`` message in ``language`` to ``actor`` (its link: ``link``); audited.

    The message is the one respondents get, composed and sent as theirs are, with "[Test]"
    before the subject; nothing is recorded for any invitation. Returns the address it went to;
    raises :class:`ServiceError` when it could not be sent.
    """
    from survey.services import audit

    if kind not in ("invitation", "reminder"):
        raise ServiceError(_("Choose the invitation or the reminder."))
    if language not in LANGUAGES:
        raise ServiceError(_("There is no e-mail text in that language."))
    # A respondent of a sales team as far as the message goes (its length estimate, say); never stored.
    stand_in = Participant(email=actor.email, display_name="", attributes={"language": language},
                           team=Team(name="", function="sales"))  # fmt: skip
    try:
        message = compose(wave, stand_in, kind, link, settings)
    except AddressError as error:
        raise ServiceError(_("Your address cannot be sent to: {error}", error=error)) from error
    subject = message["Subject"]
    del message["Subject"]
    message["Subject"] = f"[Test] {subject}"
    send_one(message, settings, refused=N_("The mail server refused the test message: {problem}"))
    audit.record(actor, "wave.test_email", organization=wave.organization,
                 subject=f'wave {wave.id} "{wave.name}"', details={"kind": kind, "language": language},
                 wave=wave)  # fmt: skip
    return actor.email
