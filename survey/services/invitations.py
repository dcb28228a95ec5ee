"""Invitation links: random tokens of which only a hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from survey.extensions import db
from survey.models import Invitation, Participant, Wave, WaveMember

#: 32 random bytes: 256 bits, far beyond guessing.
TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def invitation_link(token: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/s/{token}"


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation with its token: the only moment the token is known."""

    invitation: Invitation
    token: str

    @property
    def link(self) -> str:
        return invitation_link(self.token)


def invite(wave: Wave, participants: Iterable[Participant]) -> list[IssuedInvitation]:
    """Invite ``participants`` to ``wave``, recording the team each belongs to now.

    Participants already invited are skipped (their token cannot be shown again; revoke
    and re-invite to hand out a new link).
    """
    invited = set(db.session.scalars(select(Invitation.participant_id).where(Invitation.wave_id == wave.id)))
    issued = []
    for participant in participants:
        if participant.id in invited or participant.organization_id != wave.organization_id:
            continue
        token = new_token()
        invitation = Invitation(wave=wave, participant=participant, token_hash=hash_token(token))
        db.session.add(invitation)
        db.session.merge(
            WaveMember(
                wave_id=wave.id,
                participant_id=participant.id,
                team_id=participant.team_id,
                attributes=dict(participant.attributes or {}),
            )
        )
        issued.append(IssuedInvitation(invitation, token))
        invited.add(participant.id)
    db.session.flush()
    return issued


def find_invitation(token: str) -> Invitation | None:
    """The invitation whose token this is, looked up by its hash."""
    if not token or len(token) > 128:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))


def reissue(invitation: Invitation) -> IssuedInvitation:
    """Give ``invitation`` a new token; the old link stops working, saved answers stay."""
    token = new_token()
    invitation.token_hash = hash_token(token)
    invitation.revoked_at = None
    return IssuedInvitation(invitation, token)
