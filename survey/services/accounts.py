"""Sign-in throttling, password changes and API tokens.

Failed sign-ins are rows in the database, not counters in memory, so the limit holds
across gunicorn workers and restarts. They are counted per address as typed, whether or
not an account has it: the answer to an unknown address and to a wrong password stays
the same, also once throttling starts.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from survey.extensions import db
from survey.models import ApiToken, LoginFailure, User, utcnow
from survey.services import ServiceError
from survey.services.users import check_password_strength, normalise_email

#: Failures within :data:`FAILURE_WINDOW` after which each attempt must wait.
FAILURES_BEFORE_DELAY = 5
#: Failures older than this are forgotten.
FAILURE_WINDOW = timedelta(hours=1)
#: The wait after the last of those failures; it doubles with each further one.
FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(minutes=15)
#: Bytes of randomness in an API token.
API_TOKEN_BYTES = 32


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


def change_password(user: User, current: str, new: str) -> None:
    """Replace ``user``'s password after checking the current one."""
    if not user.check_password(current or ""):
        raise ServiceError("The current password is not right.")
    if new == current:
        raise ServiceError("The new password must differ from the current one.")
    check_password_strength(new)
    user.set_password(new)


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
        raise ServiceError(f"No user with the e-mail address {email}.")
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
