"""Signing in and out, sign-in throttling, password changes and API tokens.

Failed sign-ins are rows in the database, not counters in memory, so the limit holds
across gunicorn workers and restarts. They are counted per address as typed, whether or
not an account has it: the answer to an unknown address and to a wrong password stays
the same, also once throttling starts.

Each sign-in is a :class:`~survey.models.user.UserSession` row whose token the cookies
carry; every request looks it up, so a sign-in ends the moment its row is deleted:
logging out ends that one, a password change all the others, an admin all of a user's.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from survey.extensions import db
from survey.i18n import _
from survey.models import ApiToken, LoginFailure, User, utcnow
from survey.models.user import UserSession
from survey.services import ServiceError, audit
from survey.services.users import authenticate, check_password_strength, normalise_email

#: Failures within :data:`FAILURE_WINDOW` after which each attempt must wait.
FAILURES_BEFORE_DELAY = 5
#: Failures older than this are forgotten.
FAILURE_WINDOW = timedelta(hours=1)
#: The wait after the last of those failures; it doubles with each further one.
FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(minutes=15)
#: Bytes of randomness in an API token and in a sign-in's token.
API_TOKEN_BYTES = 32
SESSION_TOKEN_BYTES = 32
#: How long a sign-in lasts at most: without and with "keep me signed in". The app's
#: ``SIGNIN_LIFETIME`` and ``REMEMBER_COOKIE_DURATION`` settings pass other values.
SIGNIN_LIFETIME = timedelta(hours=12)
REMEMBER_LIFETIME = timedelta(days=30)


def _key(email: str) -> str:
    return (email or "").strip().lower()[:320]


def login_delay(email: str, now: datetime | None = None) -> int:
    """Seconds to wait before ``email`` may try to sign in again (0: now).

    After ``n >= FAILURES_BEFORE_DELAY`` recent failures the wait after the last one is
    ``FIRST_DELAY * 2 ** (n - FAILURES_BEFORE_DELAY)`` (30 s, 60 s, 120 s …), at most
    ``LONGEST_DELAY``.
    """
    now = now or utcnow()
    count, last = db.session.execute(
        select(func.count(LoginFailure.id), func.max(LoginFailure.created_at)).where(
            LoginFailure.email == _key(email), LoginFailure.created_at > now - FAILURE_WINDOW
        )
    ).one()
    if count < FAILURES_BEFORE_DELAY or last is None:
        return 0
    delay = min(FIRST_DELAY * 2 ** (count - FAILURES_BEFORE_DELAY), LONGEST_DELAY)
    remaining = (last + delay - now).total_seconds()
    return max(0, math.ceil(remaining))


def record_login_failure(email: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    db.session.add(LoginFailure(email=_key(email), created_at=now))
    # Forget expired failures on the way, so the table stays small.
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_at < now - FAILURE_WINDOW))


def clear_login_failures(email: str) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == _key(email)))


# --- sign-ins


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SignInAttempt:
    """What a sign-in attempt came to: a signed-in user, a refusal, or a wait."""

    #: The user, now holding the new sign-in's token; ``None`` when refused or throttled.
    user: User | None
    #: Seconds to wait before this address may try again (0: not throttled).
    wait: int = 0


def sign_in(
    email: str,
    password: str,
    *,
    remember: bool = False,
    lifetime: timedelta = SIGNIN_LIFETIME,
    remember_lifetime: timedelta = REMEMBER_LIFETIME,
    now: datetime | None = None,
) -> SignInAttempt:
    """Check the credentials (unless the address is throttled) and start a sign-in.

    A failure is recorded for the address as typed; a success forgets its failures and
    starts a :class:`UserSession` lasting ``remember_lifetime`` with ``remember``, else
    ``lifetime``. Unknown addresses, inactive accounts and wrong passwords cost the same
    password check and get the same answer.
    """
    now = now or utcnow()
    wait = login_delay(email, now)
    if wait:
        return SignInAttempt(None, wait)
    user = authenticate(email, password)
    if user is None:
        record_login_failure(email, now)
        return SignInAttempt(None)
    clear_login_failures(email)
    user.last_login_at = now
    start_session(user, remember=remember, lifetime=remember_lifetime if remember else lifetime, now=now)
    return SignInAttempt(user)


def start_session(user: User, *, remember: bool, lifetime: timedelta, now: datetime | None = None) -> str:
    """Start a sign-in of ``user`` lasting ``lifetime``; returns its token (also put on ``user``).

    Expired sign-ins of everyone are deleted on the way, so the table stays small.
    """
    now = now or utcnow()
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    db.session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    db.session.add(
        UserSession(
            user=user,
            token_hash=_token_hash(token),
            remember=remember,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.flush()
    user.session_token = token
    return token


def user_for_session(token: str, now: datetime | None = None) -> User | None:
    """The active user whose unexpired sign-in ``token`` is, or ``None`` (Flask-Login's user loader)."""
    if not token or len(token) > 128:
        return None
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == _token_hash(token),
            UserSession.expires_at > (now or utcnow()),
            User.active.is_(True),
        )
    )
    if user is not None:
        user.session_token = token
    return user


def end_session(token: str | None) -> None:
    """End the sign-in ``token`` belongs to (logging out); an unknown token is no error."""
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))


def _end_sessions_of(user: User, keep: str | None = None) -> int:
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        query = query.where(UserSession.token_hash != _token_hash(keep))
    return db.session.execute(query.execution_options(synchronize_session=False)).rowcount or 0


def end_sessions(actor: User | None, user: User) -> int:
    """End every sign-in of ``user`` (an admin's action; ``actor=None``: the command line).

    Returns how many there were; the audit log records who did it.
    """
    if actor is not None and not actor.is_admin:
        raise ServiceError(_("Only an admin can end another user's sign-ins."))
    ended = _end_sessions_of(user)
    audit.record(actor, "user.sessions_ended", subject=user.email, details={"sessions": ended})
    return ended


def active_sessions(now: datetime | None = None) -> dict[int, int]:
    """How many unexpired sign-ins each user has (user id -> count; users without any left out)."""
    return dict(
        db.session.execute(
            select(UserSession.user_id, func.count(UserSession.id))
            .where(UserSession.expires_at > (now or utcnow()))
            .group_by(UserSession.user_id)
        ).all()
    )


class WrongPasswordError(ServiceError):
    """The current password given to :func:`change_password` is not the user's."""


def change_password(user: User, current: str, new: str) -> int:
    """Replace ``user``'s password after checking the current one, and end every other sign-in.

    The sign-in ``user`` was loaded for (``user.session_token``) stays; returns how many
    others were ended. Raises :class:`WrongPasswordError` for a wrong current password and
    :class:`ServiceError` for an unacceptable new one; nothing changes then.
    """
    if not user.check_password(current or ""):
        raise WrongPasswordError(_("The current password is not right."))
    if new == current:
        raise ServiceError(_("The new password must differ from the current one."))
    check_password_strength(new)
    user.set_password(new)
    ended = _end_sessions_of(user, keep=user.session_token)
    audit.record(user, "user.password_changed", subject=user.email, details={"other_sessions_ended": ended})
    return ended


@dataclass(frozen=True)
class IssuedApiToken:
    """A new API token: the only moment its secret is known."""

    api_token: ApiToken
    token: str


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(email: str, label: str = "") -> IssuedApiToken:
    """Create a read-only API token for the user with ``email``; only its hash is stored."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise ServiceError(_("No user with the e-mail address {email}.", email=email))
    token = "mgp_" + secrets.token_urlsafe(API_TOKEN_BYTES)
    api_token = ApiToken(user=user, token_hash=hash_api_token(token), label=(label or "").strip()[:100])
    db.session.add(api_token)
    db.session.flush()
    return IssuedApiToken(api_token, token)


def user_for_api_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or ``None``; notes when it was last used."""
    if not token or len(token) > 128:
        return None
    api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_api_token(token)))
    if api_token is None or api_token.revoked_at is not None or not api_token.user.active:
        return None
    api_token.last_used_at = utcnow()
    return api_token.user
