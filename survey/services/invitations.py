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


#: How the links export names the way a link was handed out (``Invitation.handed_out_via``).
HANDED_OUT_BY = {"email": "by e-mail", "download": "in a links download", "page": "on the wave page"}


def hand_out(invitation: Invitation, via: str) -> IssuedInvitation:
    """Issue ``invitation``'s link for handing out ``via`` e-mail, download or page, and record that.

    The caller has checked that no earlier link was handed out (:func:`handed_out`), or was
    asked to replace it; the time is kept to the day in anonymous waves.
    """
    issued = reissue(invitation)
    invitation.handed_out_via, invitation.handed_out_at = via, now_for(invitation.wave.mode)
    return issued


def handed_out(invitation: Invitation) -> bool:
    """Whether someone has been given the invitation's current link (re-issuing it would break it)."""
    return invitation.handed_out_via is not None


def handed_out_text(invitation: Invitation) -> str:
    """How and when the current link was handed out, e.g. ``by e-mail on 2026-12-07``."""
    how = HANDED_OUT_BY.get(invitation.handed_out_via or "", "")
    when = f" on {invitation.handed_out_at:%Y-%m-%d}" if invitation.handed_out_at else ""
    return f"{how}{when}"


@dataclass(frozen=True)
class LinkRow:
    """One line of the links export."""

    email: str
    name: str
    team: str
    #: ``submitted``, ``new link`` (handed out now for the first time) or ``handed out …``
    #: (given out before: no link, it cannot be shown again without replacing it).
    status: str
    link: str


def _open_invitations(wave: Wave):
    return db.session.execute(
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


def export_links(wave: Wave, *, replace: bool = False) -> list[LinkRow]:
    """The links of everyone invited who has not submitted, as far as they can be shown.

    Only the hash of a link is stored, so a link can be shown only when it is issued. Without
    ``replace`` the export issues links for invitations whose link nobody has been given yet
    (never e-mailed, downloaded or shown) and lists the others as handed out, without a link:
    nothing handed out before stops working. With ``replace`` (asked for on a confirmation
    page) everyone who has not submitted gets a new link and earlier ones stop working; saved
    answers stay. People who have submitted are listed without a link; revoked invitations are
    left out.
    """
    lines = []
    for invitation, participant, team_name in _open_invitations(wave):
        email, name = participant.email or "", participant.display_name or ""
        if invitation.used_at is not None:
            lines.append(LinkRow(email, name, team_name, "submitted", ""))
        elif replace or not handed_out(invitation):
            status = "new link (replaces the earlier one)" if handed_out(invitation) else "new link"
            lines.append(LinkRow(email, name, team_name, status, hand_out(invitation, "download").link))
        else:
            status = f"handed out {handed_out_text(invitation)}; re-issue it to get a new link"
            lines.append(LinkRow(email, name, team_name, status, ""))
    db.session.flush()
    return lines


def replaceable_links(wave: Wave) -> int:
    """How many handed-out links re-issuing everyone's would break (not submitted, not revoked)."""
    return sum(
        1
        for invitation, _, _ in _open_invitations(wave)
        if invitation.used_at is None and handed_out(invitation)
    )


def reissue_link(invitation: Invitation) -> IssuedInvitation:
    """Replace one person's link at the consultant's request; the new one is shown once, on the page.

    Refused for a submitted or revoked invitation and for a closed wave (the link would lead
    nowhere).
    """
    if invitation.wave.status == "closed":
        raise ServiceError("The wave is closed: a new link would not open the survey.")
    if invitation.used_at is not None:
        raise ServiceError("This person has submitted: there is nothing left to answer.")
    if invitation.revoked_at is not None:
        raise ServiceError("This invitation was withdrawn.")
    return hand_out(invitation, "page")


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
