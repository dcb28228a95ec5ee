"""Creating and finding users."""

from __future__ import annotations

import re

from sqlalchemy import select

from survey.extensions import db
from survey.i18n import _
from survey.models import MEMBERSHIP_ROLES, USER_ROLES, Membership, Organization, User
from survey.models.user import check_no_password
from survey.services import ServiceError, audit

#: A pragmatic e-mail check: something@domain.tld, no spaces.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 320:
        raise ServiceError(_("'{email}' is not a valid e-mail address.", email=email))
    return email


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            _(
                "The password must have at least {min_password_length} characters.",
                min_password_length=MIN_PASSWORD_LENGTH,
            )
        )


def get_user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        raise ServiceError(_("No user with the e-mail address {email}.", email=email))
    return user


def get_organization_by_slug(slug: str) -> Organization:
    organization = db.session.scalar(select(Organization).where(Organization.slug == slug))
    if organization is None:
        raise ServiceError(_("No organisation with the slug '{slug}'.", slug=slug))
    return organization


def create_user(email: str, password: str, role: str, organization: Organization | None = None) -> User:
    """Create a user with a hashed password, optionally a member of ``organization``.

    The building block (the demo and tests use it); the workspace and the command line
    call :func:`register_user`, which also applies the rules of who may be created and
    writes the audit record. Raises :class:`ServiceError` for a bad e-mail, a short
    password, an unknown role or a taken e-mail address.
    """
    email = normalise_email(email)
    if role not in USER_ROLES:
        raise ServiceError(
            _("Unknown role '{role}'; choose one of {choices}.", role=role, choices=", ".join(USER_ROLES))
        )
    check_password_strength(password)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ServiceError(_("A user with the e-mail address {email} already exists.", email=email))
    user = User(email=email, role=role)
    user.set_password(password)
    db.session.add(user)
    if organization is not None:
        add_membership(user, organization, role)
    db.session.flush()
    return user


def register_user(
    actor: User | None, email: str, password: str, role: str, organization: Organization | None = None
) -> User:
    """Create a user on behalf of ``actor`` (an admin; ``None``: the command line) and audit it.

    Consultants and managers belong to an organisation, so one must be given for them;
    admins see everything and get none (``organization`` is ignored for them).
    """
    if actor is not None and not actor.is_admin:
        raise ServiceError(_("Only admins may create users; consultants invite people to their clients."))
    if role != "admin" and organization is None:
        raise ServiceError(_("A {role} belongs to an organisation; say which one.", role=role))
    user = create_user(email, password, role, organization if role != "admin" else None)
    audit.record(actor, "user.created", organization=organization if role != "admin" else None,
                 subject=user.email, details={"role": user.role})  # fmt: skip
    return user


def add_membership(user: User, organization: Organization, role: str) -> Membership:
    """Give ``user`` a role in ``organization`` (admins are everywhere and get none)."""
    if role == "admin":
        raise ServiceError(_("Admins see every organisation; they need no membership."))
    if role not in MEMBERSHIP_ROLES:
        raise ServiceError(
            _(
                "Unknown organisation role '{role}'; choose one of {choices}.",
                role=role,
                choices=", ".join(MEMBERSHIP_ROLES),
            )
        )
    membership = Membership(user=user, organization=organization, role=role)
    db.session.add(membership)
    return membership


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or ``None`` (never says which part was wrong).

    Every outcome costs one password check, an unknown address included (against a hash
    that matches nothing), so the time taken does not tell which addresses have accounts.
    """
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        check_no_password(password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def organizations_for(user: User) -> list[Organization]:
    """The organisations ``user`` may see: all for admins, their memberships otherwise."""
    query = select(Organization).order_by(Organization.name)
    if not user.is_admin:
        query = query.join(Membership, Membership.organization_id == Organization.id).where(
            Membership.user_id == user.id
        )
    return list(db.session.scalars(query))
