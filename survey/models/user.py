"""People who sign in: admins, consultants and managers."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.organization import Organization
from survey.models.types import UTCDateTime, utcnow

#: Site-wide roles. Admins see everything; consultants and managers see their organisations.
USER_ROLES = ("admin", "consultant", "manager")
#: Roles within one organisation.
MEMBERSHIP_ROLES = ("consultant", "manager")

_hasher = PasswordHasher()


@cache
def _unmatchable_hash() -> str:
    # A hash of a random password made with the same parameters as real ones; made once
    # per process, when the first unknown address signs in.
    return _hasher.hash(secrets.token_urlsafe(32))


def check_no_password(password: str) -> bool:
    """Check ``password`` against a hash no password matches; always ``False``.

    For a sign-in with an address that has no account: it costs the time of a real
    check, so the answer's timing does not tell which addresses have accounts.
    """
    try:
        _hasher.verify(_unmatchable_hash(), password)
    except (VerificationError, InvalidHashError):
        pass
    return False


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case; the login name.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    #: Argon2id hash (argon2-cffi's encoded form); never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The language of the workspace pages for this user (a code of ``survey.i18n.LANGUAGES``);
    #: ``None`` follows the browser's Accept-Language.
    language: Mapped[str | None] = mapped_column(String(8))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")
    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (CheckConstraint(f"role IN {USER_ROLES!r}", name="role_known"),)

    #: The token of the sign-in this object was loaded for or signed in with; not a column
    #: (see :class:`UserSession`). Flask-Login keeps it in the session and remember-me cookies.
    session_token = None

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def get_id(self) -> str:
        """What Flask-Login stores in the cookies: this sign-in's token, never the bare user id.

        A forged or copied cookie thus names a sign-in, and ending the sign-in (deleting its
        :class:`UserSession` row) makes every copy of both cookies worthless.
        """
        if not self.session_token:
            raise RuntimeError("Start a sign-in (survey.services.accounts.start_session) before login_user.")
        return self.session_token

    # UserMixin compares get_id(), which is now a sign-in's token: compare the rows instead.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__  # as UserMixin has it

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"


class Membership(db.Model):
    """A user's role in one organisation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship()

    __table_args__ = (
        UniqueConstraint("user_id", "organization_id"),
        CheckConstraint(f"role IN {MEMBERSHIP_ROLES!r}", name="role_known"),
    )


class UserSession(db.Model):
    """One sign-in on one browser, ended by logging out, by a password change (the others),
    by an admin, or by time.

    The session cookie and the remember-me cookie both carry a random token; only its
    SHA-256 is stored, so a copy of the database signs nobody in. Every request looks the
    token up, so deleting the row ends the sign-in at once, on every app instance.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: SHA-256 (hex) of the token in the cookies.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: "Keep me signed in" was ticked: a remember-me cookie outlives the browser session.
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: After this the token signs nobody in, whatever the cookie's own expiry says.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User] = relationship(back_populates="sessions")
