"""Organisations and their teams."""

from __future__ import annotations

import re

from sqlalchemy import select

from survey.extensions import db
from survey.i18n import _
from survey.models import TEAM_FUNCTIONS, Membership, Organization, Team, User
from survey.services import ServiceError, access, audit

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:64].strip("-")


def create_organization(name: str, slug: str | None = None) -> Organization:
    """Create an organisation; the slug defaults to one made from the name."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("An organisation needs a name."))
    slug = (slug or slugify(name)).strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise ServiceError(
            _(
                "'{slug}' is not a valid slug: use lower-case letters, digits and hyphens (at most 64).",
                slug=slug,
            )
        )
    if db.session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        raise ServiceError(_("The slug '{slug}' is taken.", slug=slug))
    organization = Organization(name=name, slug=slug)
    db.session.add(organization)
    db.session.flush()
    return organization


def open_organization(actor: User | None, name: str, slug: str | None = None) -> Organization:
    """Take on a new client on behalf of ``actor`` (``None``: the command line), audited.

    Only admins and consultants may; a consultant becomes the new organisation's consultant,
    since whoever takes on a client runs its diagnostics.
    """
    if actor is not None:
        access.require_organization_creator(actor)
    organization = create_organization(name, slug)
    if actor is not None and not actor.is_admin:
        db.session.add(Membership(user=actor, organization=organization, role="consultant"))
    audit.record(actor, "organization.created", organization=organization, subject=organization.name)
    return organization


def create_team(organization: Organization, name: str, function: str, parent: Team | None = None) -> Team:
    """Add a team (sales, marketing or other) to ``organization``."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("A team needs a name."))
    if function not in TEAM_FUNCTIONS:
        raise ServiceError(
            _(
                "Unknown team function '{function}'; choose one of {choices}.",
                function=function,
                choices=", ".join(TEAM_FUNCTIONS),
            )
        )
    if parent is not None and parent.organization_id != organization.id:
        raise ServiceError(_("A parent team must belong to the same organisation."))
    exists = db.session.scalar(
        select(Team.id).where(Team.organization_id == organization.id, Team.name == name)
    )
    if exists is not None:
        raise ServiceError(
            _("{organization} already has a team called '{name}'.", organization=organization.name, name=name)
        )
    team = Team(organization=organization, name=name, function=function, parent=parent)
    db.session.add(team)
    db.session.flush()
    return team


def add_team(
    actor: User | None, organization: Organization, name: str, function: str, parent: Team | None = None
) -> Team:
    """:func:`create_team` on behalf of ``actor`` (``None``: the command line), audited."""
    if actor is not None and not access.can(actor, organization, access.MANAGE):
        raise access.ForbiddenError(_("Your role in this organisation does not allow this."))
    team = create_team(organization, name, function, parent=parent)
    audit.record(actor, "team.created", organization=organization, subject=team.name)
    return team
