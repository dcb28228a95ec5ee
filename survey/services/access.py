"""Who may see and change what: every workspace lookup goes through here.

Admins reach every organisation. Consultants and managers reach the organisations they
are members of, with the capabilities of their membership role. An object of an
organisation the user does not belong to is reported as missing (:class:`NotFoundError`,
answered with 404), so its existence is not revealed; a member without the capability gets
:class:`ForbiddenError` (403).
"""

from __future__ import annotations

from sqlalchemy import select

from survey.extensions import db
from survey.i18n import _
from survey.models import Membership, Organization, Participant, Team, User, Wave
from survey.services import ServiceError

#: Read reports, trends and response rates.
VIEW = "view"
#: Set up teams, rosters, waves and invitations; read audit logs; export data.
MANAGE = "manage"
CAPABILITIES = (VIEW, MANAGE)
#: What each organisation role may do. Admins may do everything everywhere.
ROLE_CAPABILITIES = {"consultant": frozenset({VIEW, MANAGE}), "manager": frozenset({VIEW})}


class NotFoundError(ServiceError):
    """The object does not exist, or belongs to an organisation the user cannot see."""


class ForbiddenError(ServiceError):
    """The user sees the organisation but may not do this there."""


def _check_capability(capability: str) -> None:
    if capability not in CAPABILITIES:
        raise ValueError(f"capability must be one of {', '.join(CAPABILITIES)}, not {capability!r}")


def organization_role(user: User, organization_id: int) -> str | None:
    """``admin`` for admins, the membership role for members, ``None`` for everyone else."""
    if user.is_admin:
        return "admin"
    return db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.organization_id == organization_id
        )
    )


def can(user: User, organization: Organization, capability: str) -> bool:
    """Whether ``user`` has ``capability`` (``view`` or ``manage``) in ``organization``."""
    _check_capability(capability)
    role = organization_role(user, organization.id)
    return role == "admin" or capability in ROLE_CAPABILITIES.get(role or "", frozenset())


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise ForbiddenError(_("Only admins may do this."))


def may_create_organizations(user: User) -> bool:
    """Admins and consultants (who take on new clients) may; managers may not."""
    return user.is_admin or user.role == "consultant"


def require_organization_creator(user: User) -> None:
    if not may_create_organizations(user):
        raise ForbiddenError(_("Only admins and consultants may create organisations."))


def organization_for(user: User, organization_id: int, capability: str = VIEW) -> Organization:
    """The organisation with ``organization_id`` if ``user`` may reach it with ``capability``."""
    _check_capability(capability)
    organization = db.session.get(Organization, organization_id)
    role = organization_role(user, organization_id) if organization is not None else None
    if organization is None or role is None:
        raise NotFoundError(_("No such organisation."))
    if role != "admin" and capability not in ROLE_CAPABILITIES.get(role, frozenset()):
        raise ForbiddenError(_("Your role in this organisation does not allow this."))
    return organization


def wave_for(user: User, wave_id: int, capability: str = VIEW) -> Wave:
    """The wave with ``wave_id`` if ``user`` may reach its organisation with ``capability``.

    Looking a wave up to ``view`` it means reading its results (reports, exports, the API),
    and a draft has none: for a draft that is :class:`NotFoundError` for everyone, admins
    included. Those who may manage the wave are told it is a draft; for everyone else, who
    never sees drafts listed, it does not exist. Setting a draft up asks for ``manage``.
    """
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        raise NotFoundError(_("No such wave."))
    try:
        organization = organization_for(user, wave.organization_id, capability)
    except NotFoundError:
        raise NotFoundError(_("No such wave.")) from None
    if capability == VIEW and wave.status == "draft":
        if can(user, organization, MANAGE):
            raise NotFoundError(
                _(
                    "The wave '{wave}' is a draft: it has no results until it is opened and people answer.",
                    wave=wave.name,
                )
            )
        raise NotFoundError(_("No such wave."))
    return wave


def team_in(organization: Organization, team_id: int) -> Team:
    """A team of ``organization`` (reached through :func:`organization_for` first)."""
    team = db.session.get(Team, team_id)
    if team is None or team.organization_id != organization.id:
        raise NotFoundError(_("No such team."))
    return team


def participant_in(organization: Organization, participant_id: int) -> Participant:
    """A roster entry of ``organization`` (reached through :func:`organization_for` first)."""
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.organization_id != organization.id:
        raise NotFoundError(_("No such person on the roster."))
    return participant
