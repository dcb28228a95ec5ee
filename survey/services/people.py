"""People of a client: inviting its managers, adding existing users, and "forgot password".

A person gets into the workspace through a one-time link to set a password
(:class:`~survey.models.AccountToken`): the link carries a random token, the database only
its SHA-256; it expires (:data:`INVITE_LIFETIME`, :data:`RESET_LIFETIME`) and works once.
Issuing a new link of the same purpose ends the earlier ones, and setting the password ends
every sign-in of the account.

Nothing here tells who has an account. Adding a person to an organisation reads the same
whether they had an account (a membership is added and they are told by e-mail) or not (an
account is made and the link sent); a password-reset request gets the same answer for any
address, and at most :data:`RESETS_PER_HOUR` messages go to one account in an hour.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import delete, func, select, update

from survey.extensions import db
from survey.i18n import N_, _, translate, translate_plural
from survey.models import MEMBERSHIP_ROLES, AccountToken, Membership, Organization, User, utcnow
from survey.models.user import UserSession
from survey.services import ServiceError, access, audit
from survey.services.addresses import AddressError, recipient
from survey.services.branding import sender_header
from survey.services.mailing import MailSettings
from survey.services.users import check_password_strength, normalise_email

#: How long an invitation link and a password-reset link work.
INVITE_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=1)
#: Most reset messages one account receives in an hour (more requests are answered the same, unsent).
RESETS_PER_HOUR = 3
TOKEN_BYTES = 32

#: Subject and body of each account message (catalogue messages, translated into the recipient's
#: language when composed). Fields: {organization}, {link}, {days}, {hours}, {role}.
ACCOUNT_MESSAGES = {
    "invite": (
        N_("{organization}: you are invited to the Mindgap workspace"),
        N_(
            "Hello,\n\nyou are invited to the Mindgap workspace of {organization} as a {role}: you will see "
            "its survey results and how they change from one round to the next.\n\n"
            "Set your password with this link (it works once, for {days} days):\n{link}\n\n"
            "If you did not expect this message, ignore it; nothing happens without the link.\n"
        ),
    ),
    "added": (
        N_("{organization}: you have access in Mindgap"),
        N_(
            "Hello,\n\nyou now have access to {organization} in the Mindgap workspace, as a {role}. Sign in "
            "as usual:\n{link}\n"
        ),
    ),
    "reset": (
        N_("Your Mindgap password"),
        N_(
            "Hello,\n\nsomeone asked to set a new password for the Mindgap account of this address. "
            "If it was you, use this link (it works once, for {hours}):\n{link}\n\n"
            "If it was not you, ignore this message: your password stays as it is.\n"
        ),
    ),
}
#: The roles as the account messages name them.
ROLE_NAMES = {"consultant": N_("consultant"), "manager": N_("manager"), "admin": N_("admin")}


def language_of(user: User | None) -> str:
    """The language ``user`` reads their account messages in (English until they choose one)."""
    return getattr(user, "language", None) or "en"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _link(path: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}{path}"


def set_password_link(token: str) -> str:
    return _link(f"/auth/set-password/{token}")


@dataclass(frozen=True)
class Outgoing:
    """A message to send once the transaction that made its link is committed."""

    to: str
    kind: str
    fields: dict
    #: The recipient's language (:func:`language_of`).
    language: str = "en"

    def compose(self, settings: MailSettings, organization: Organization | None = None) -> EmailMessage:
        """The message, from ``organization``'s sender name when it has one."""
        subject, body = ACCOUNT_MESSAGES[self.kind]
        fields = dict(self.fields)
        if "role" in fields:
            fields["role"] = translate(self.language, ROLE_NAMES.get(fields["role"], fields["role"]))
        to = recipient(self.to)
        message = EmailMessage()
        message["Subject"] = " ".join(translate(self.language, subject, **fields).split())
        message["From"] = sender_header(settings.sender, organization)
        message["To"] = Address("", to.username, to.domain)
        message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
        message.set_content(translate(self.language, body, **fields))
        return message


def _issue(user: User, purpose: str, lifetime: timedelta, actor: User | None, now: datetime) -> str:
    """A new link of ``purpose`` for ``user``; earlier unused ones of that purpose stop working."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None)
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        AccountToken(
            user=user,
            purpose=purpose,
            token_hash=token_hash(token),
            created_by_id=actor.id if actor is not None else None,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.flush()
    return token


def _never_signed_in(user: User) -> bool:
    """Invited but has not used the invitation yet (no sign-in, an invitation on record)."""
    if user.last_login_at is not None:
        return False
    return bool(
        db.session.scalar(
            select(func.count(AccountToken.id)).where(
                AccountToken.user_id == user.id, AccountToken.purpose == "invite"
            )
        )
    )


def add_person(
    actor: User, organization: Organization, email: str, role: str = "manager", *, now: datetime | None = None
) -> Outgoing:
    """Give the person with ``email`` the ``role`` in ``organization`` and say what to send them.

    Someone without an account gets one, with no usable password, and an invitation link to
    set it; someone with an account gets the membership and a notice (they keep their
    password). Inviting again someone who has not used their invitation sends a new link.
    ``actor`` must manage ``organization``; admins need no membership and are left as they
    are. Audited as ``member.invited`` or ``member.added``.
    """
    if not access.can(actor, organization, access.MANAGE):
        raise access.ForbiddenError(_("Only those who manage this organisation may add people to it."))
    if role not in MEMBERSHIP_ROLES:
        raise ServiceError(_("Choose a role: {choices}.", choices=" or ".join(MEMBERSHIP_ROLES)))
    email = normalise_email(email)
    try:
        recipient(email)
    except AddressError as error:
        raise ServiceError(
            _("No e-mail can be sent to {email}: {error}", email=email, error=error)
        ) from error
    now = now or utcnow()
    user = db.session.scalar(select(User).where(User.email == email))
    fields = {
        "organization": organization.name,
        "role": role,
        "days": INVITE_LIFETIME.days,
    }
    if user is None:
        user = User(email=email, role=role)
        user.set_password(secrets.token_urlsafe(TOKEN_BYTES))  # nobody knows it: the link sets one
        db.session.add(user)
        db.session.add(Membership(user=user, organization=organization, role=role))
        db.session.flush()
        token = _issue(user, "invite", INVITE_LIFETIME, actor, now)
        audit.record(
            actor, "member.invited", organization=organization, subject=email, details={"role": role}
        )
        return Outgoing(email, "invite", {**fields, "link": set_password_link(token)}, language_of(user))
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.organization_id == organization.id)
    )
    if membership is not None and _never_signed_in(user):
        membership.role = role
        token = _issue(user, "invite", INVITE_LIFETIME, actor, now)
        audit.record(actor, "member.invited", organization=organization, subject=email,
                     details={"role": role, "again": True})  # fmt: skip
        return Outgoing(email, "invite", {**fields, "link": set_password_link(token)}, language_of(user))
    if membership is not None:
        raise ServiceError(
            _(
                "{email} already has access to {organization} (as {role}).",
                email=email,
                organization=organization.name,
                role=membership.role,
            )
        )
    if not user.is_admin:
        db.session.add(Membership(user=user, organization=organization, role=role))
    audit.record(actor, "member.added", organization=organization, subject=email, details={"role": role})
    return Outgoing(email, "added", {**fields, "link": _link("/auth/login")}, language_of(user))


def members_of(organization: Organization) -> list[tuple[User, str, bool]]:
    """Who has access to ``organization``: (user, role, invitation not used yet), by address."""
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization.id)
        .order_by(User.email)
    ).all()
    return [(user, role, _never_signed_in(user)) for user, role in rows]


def request_password_reset(email: str, *, now: datetime | None = None) -> Outgoing | None:
    """The reset message to send for ``email``, or ``None`` (no active account, or too many lately).

    The caller answers the same either way, so the answer does not tell who has an account.
    """
    now = now or utcnow()
    key = (email or "").strip().lower()[:320]
    user = db.session.scalar(select(User).where(User.email == key))
    if user is None or not user.active:
        return None
    recent = db.session.scalar(
        select(func.count(AccountToken.id)).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == "reset",
            AccountToken.created_at > now - timedelta(hours=1),
        )
    )
    if recent >= RESETS_PER_HOUR:
        return None
    token = _issue(user, "reset", RESET_LIFETIME, None, now)
    audit.record(user, "user.password_reset_requested", subject=user.email)
    hours = max(1, int(RESET_LIFETIME.total_seconds() // 3600))
    language = language_of(user)
    lasts = (
        translate(language, "one hour")
        if hours == 1
        else translate_plural(language, "{count} hour", "{count} hours", hours)
    )
    return Outgoing(user.email, "reset", {"link": set_password_link(token), "hours": lasts}, language)


def valid_link(token: str, *, now: datetime | None = None) -> AccountToken | None:
    """The unused, unexpired link ``token`` is, of an active account; ``None`` otherwise."""
    if not token or len(token) > 128:
        return None
    link = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == token_hash(token)))
    if (
        link is None
        or link.used_at is not None
        or link.expires_at <= (now or utcnow())
        or not link.user.active
    ):
        return None
    return link


class LinkUnusableError(ServiceError):
    """The link is unknown, expired, used or replaced."""


def set_password_with_link(token: str, password: str, *, now: datetime | None = None) -> User:
    """Set the password of the link's account, end the link and every sign-in of the account.

    Raises :class:`LinkUnusableError` for a link that does not work (one message for every
    reason) and :class:`ServiceError` for an unacceptable password; nothing changes then.
    """
    now = now or utcnow()
    link = valid_link(token, now=now)
    if link is None:
        raise LinkUnusableError(_("This link does not work any more: it was used, replaced or has expired."))
    check_password_strength(password)
    # The conditional update decides between two uses of the same link at the same moment.
    claimed = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == link.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise LinkUnusableError(_("This link does not work any more: it was used, replaced or has expired."))
    user = link.user
    user.set_password(password)
    user.last_login_at = now  # the caller signs them in
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    ended = (
        db.session.execute(
            delete(UserSession)
            .where(UserSession.user_id == user.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    action = "user.password_set" if link.purpose == "invite" else "user.password_reset"
    audit.record(user, action, subject=user.email, details={"sessions_ended": ended})
    return user
