"""Invitation links: random tokens of which only a hash is stored."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from survey.extensions import db
from survey.models import Invitation, Participant, Team, Wave, WaveMember
from survey.models.types import now_for
from survey.services import ServiceError
from survey.services.spreadsheets import neutralise

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
    created_at = now_for(wave.mode)
    issued = []
    for participant in participants:
        if participant.id in invited or participant.organization_id != wave.organization_id:
            continue
        token = new_token()
        invitation = Invitation(
            wave=wave, participant=participant, token_hash=hash_token(token), created_at=created_at
        )
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


def invite_roster(wave: Wave) -> list[IssuedInvitation]:
    """Invite every active roster entry of the wave's organisation not invited yet."""
    if wave.status == "closed":
        raise ServiceError("The wave is closed; clone it to invite people to a new round.")
    participants = db.session.scalars(
        select(Participant)
        .where(Participant.organization_id == wave.organization_id, Participant.active.is_(True))
        .order_by(Participant.id)
    )
    return invite(wave, participants)


@dataclass(frozen=True)
class LinkRow:
    """One line of the links export."""

    email: str
    name: str
    team: str
    #: ``submitted`` (no link: the survey is done) or ``open`` (a fresh link).
    status: str
    link: str


def export_links(wave: Wave) -> list[LinkRow]:
    """Fresh links for everyone invited who has not submitted, and a line for those who have.

    Tokens exist only when issued, so every exported link is re-issued: links handed out
    before (by an earlier export or e-mail) stop working, saved answers stay. Revoked
    invitations are left out.
    """
    rows = db.session.execute(
        select(Invitation, Participant, Team.name)
        .join(Participant, Participant.id == Invitation.participant_id)
        .join(
            WaveMember,
            (WaveMember.wave_id == Invitation.wave_id) & (WaveMember.participant_id == Participant.id),
        )
        .join(Team, Team.id == WaveMember.team_id)
        .where(Invitation.wave_id == wave.id, Invitation.revoked_at.is_(None))
        .order_by(Team.name, Participant.email, Participant.id)
    ).all()
    lines = []
    for invitation, participant, team_name in rows:
        email, name = participant.email or "", participant.display_name or ""
        if invitation.used_at is not None:
            lines.append(LinkRow(email, name, team_name, "submitted", ""))
        else:
            lines.append(LinkRow(email, name, team_name, "open", reissue(invitation).link))
    db.session.flush()
    return lines


def links_csv(rows: Iterable[LinkRow]) -> str:
    """The rows of :func:`export_links` as CSV text (participant, name, team, status, link).

    Roster and team names are typed by people: every cell is neutralised, so a spreadsheet
    shows ``=HYPERLINK(...)`` as text instead of running it.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["participant", "name", "team", "status", "link"])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in (row.email, row.name, row.team, row.status, row.link)])
    return buffer.getvalue()
